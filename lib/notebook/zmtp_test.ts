import assert from "node:assert/strict";
import { connectZmtp, encodeFrame, greeting, readyCommand } from "./zmtp.ts";

Deno.test("encodeFrame uses a 1-byte size up to 255 bytes, else an 8-byte size", () => {
  assert.deepEqual([...encodeFrame(new Uint8Array([7, 8]), 1)], [1, 2, 7, 8]);
  const long = encodeFrame(new Uint8Array(300), 0);
  assert.deepEqual([...long.subarray(0, 9)], [2, 0, 0, 0, 0, 0, 0, 1, 44]);
  assert.equal(long.length, 309);
});

Deno.test("readyCommand carries the socket type as a property", () => {
  const sub = readyCommand("SUB");
  const text = new TextDecoder().decode(sub);
  assert.equal(sub[0], 5);
  assert.ok(text.startsWith("\x05READY\x0bSocket-Type\0\0\0\x03SUB"));
});

/** A one-connection ZMTP peer that answers READY and echoes each message reversed. */
async function fakePeer(listener: Deno.Listener, seen: Uint8Array[]) {
  const conn = await listener.accept();
  const reader = conn.readable.getReader();
  let buf = new Uint8Array(0);
  const read = async (n: number) => {
    while (buf.length < n) {
      const { value, done } = await reader.read();
      if (done) return null;
      const next = new Uint8Array(buf.length + value.length);
      next.set(buf);
      next.set(value, buf.length);
      buf = next;
    }
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
  const writer = conn.writable.getWriter();
  seen.push((await read(64))!);
  await writer.write(greeting());
  const frame = async () => {
    const [flags] = (await read(1)) ?? [];
    if (flags === undefined) return null;
    const size = flags & 2
      ? Number(new DataView((await read(8))!.buffer).getBigUint64(0))
      : (await read(1))![0];
    return { flags, body: (await read(size))! };
  };
  seen.push((await frame())!.body); // READY
  await writer.write(encodeFrame(readyCommand("DEALER"), 4));
  const parts: Uint8Array[] = [];
  for (let f = await frame(); f; f = await frame()) {
    parts.push(f.body);
    if (!(f.flags & 1)) break;
  }
  const reversed = parts.reverse();
  await writer.write(
    new Uint8Array(
      reversed.flatMap((p, i) => [...encodeFrame(p, i < reversed.length - 1 ? 1 : 0)]),
    ),
  );
  conn.close();
}

Deno.test("connectZmtp handshakes and exchanges multipart messages", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: Uint8Array[] = [];
  const peer = fakePeer(listener, seen);
  const socket = await connectZmtp("127.0.0.1", (listener.addr as Deno.NetAddr).port, "DEALER");
  const big = "x".repeat(1000);
  await socket.send(["a", big]);
  const got: string[][] = [];
  for await (const msg of socket) got.push(msg.map((f) => new TextDecoder().decode(f)));
  await peer;
  listener.close();
  socket.close();
  assert.deepEqual(got, [[big, "a"]]);
  assert.deepEqual([seen[0][0], seen[0][9], seen[0][10]], [0xff, 0x7f, 3]);
  assert.equal(new TextDecoder().decode(seen[1].subarray(1, 6)), "READY");
});
