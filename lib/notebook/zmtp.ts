/**
 * A minimal ZeroMQ client (ZMTP 3.0, NULL security) in TypeScript over Deno TCP:
 * DEALER and SUB sockets connecting to one peer, enough to talk to a Jupyter kernel.
 *
 * Why not `npm:zeromq`: it loads in Deno, but its native addon relies on Deno's
 * young libuv `uv_poll` shim and crashes the process (SIGSEGV in
 * `zmq::Poller::Callback`) in about one run out of six when sockets close. The
 * wire protocol (rfc.zeromq.org/spec/23) is small enough to speak directly.
 *
 * @example
 * ```ts
 * const shell = await connectZmtp("127.0.0.1", 5555, "DEALER");
 * await shell.send(["<IDS|MSG>", "", "{}", "{}", "{}", "{}"]);
 * for await (const frames of shell) console.log(frames.length);
 * ```
 * @module
 */

/** Socket types this client speaks. */
export type ZmtpSocketType = "DEALER" | "SUB";

/** A connected socket: multipart messages in and out. */
export interface ZmtpSocket extends AsyncIterable<Uint8Array[]> {
  send(frames: (string | Uint8Array)[]): Promise<void>;
  /** Close the connection; iteration ends. */
  close(): void;
}

const MORE = 1, LONG = 2, COMMAND = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The 64-byte ZMTP 3.0 greeting of a NULL-mechanism client. */
export function greeting(): Uint8Array {
  const g = new Uint8Array(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3; // version 3.0
  g.set(encoder.encode("NULL"), 12);
  return g;
}

/** One ZMTP frame: flags, 1- or 8-byte size, body. */
export function encodeFrame(body: Uint8Array, flags: number): Uint8Array {
  const long = body.length > 255;
  const head = long ? 9 : 2;
  const out = new Uint8Array(head + body.length);
  out[0] = flags | (long ? LONG : 0);
  if (long) new DataView(out.buffer).setBigUint64(1, BigInt(body.length));
  else out[1] = body.length;
  out.set(body, head);
  return out;
}

/** The READY command announcing our socket type. */
export function readyCommand(type: ZmtpSocketType): Uint8Array {
  const prop = (name: string, value: string) => {
    const n = encoder.encode(name), v = encoder.encode(value);
    const out = new Uint8Array(1 + n.length + 4 + v.length);
    out[0] = n.length;
    out.set(n, 1);
    new DataView(out.buffer).setUint32(1 + n.length, v.length);
    out.set(v, 5 + n.length);
    return out;
  };
  return concat([
    new Uint8Array([5]),
    encoder.encode("READY"),
    prop("Socket-Type", type),
    ...(type === "DEALER" ? [prop("Identity", "")] : []),
  ]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads exact byte counts from a stream. */
function byteReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let buf: Uint8Array = new Uint8Array(0);
  return {
    async read(n: number): Promise<Uint8Array | null> {
      while (buf.length < n) {
        const { value, done } = await reader.read();
        if (done) return null;
        buf = buf.length ? concat([buf, value]) : value;
      }
      const out = buf.slice(0, n);
      buf = buf.subarray(n);
      return out;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** Connect, exchange greetings and READY commands; SUB subscribes to everything. */
export async function connectZmtp(
  hostname: string,
  port: number,
  type: ZmtpSocketType,
): Promise<ZmtpSocket> {
  const conn = await Deno.connect({ hostname, port });
  const writer = conn.writable.getWriter();
  const input = byteReader(conn.readable);
  const where = `zmtp ${type} ${hostname}:${port}`;

  const readFrame = async () => {
    const head = await input.read(1);
    if (!head) return null;
    const flags = head[0];
    const sizeBytes = await input.read(flags & LONG ? 8 : 1);
    if (!sizeBytes) return null;
    const size = flags & LONG
      ? Number(new DataView(sizeBytes.buffer, sizeBytes.byteOffset).getBigUint64(0))
      : sizeBytes[0];
    const body = await input.read(size);
    return body ? { flags, body } : null;
  };

  try {
    await writer.write(greeting());
    const peer = await input.read(64);
    if (!peer || peer[0] !== 0xff || peer[9] !== 0x7f || peer[10] < 3) {
      throw new Error(`${where}: peer did not send a ZMTP 3 greeting`);
    }
    const mechanism = decoder.decode(peer.subarray(12, 32)).replace(/\0+$/, "");
    if (mechanism !== "NULL") throw new Error(`${where}: peer wants mechanism ${mechanism}`);
    await writer.write(encodeFrame(readyCommand(type), COMMAND));
    const ready = await readFrame();
    const name = ready && decoder.decode(ready.body.subarray(1, 1 + ready.body[0]));
    if (!ready || !(ready.flags & COMMAND) || name !== "READY") {
      throw new Error(`${where}: expected READY, got ${name ?? "end of stream"}`);
    }
    if (type === "SUB") await writer.write(encodeFrame(new Uint8Array([1]), 0));
  } catch (err) {
    conn.close();
    throw err;
  }

  let closed = false;
  const messages: Uint8Array[][] = [];
  let wake: (() => void) | undefined;
  (async () => {
    let parts: Uint8Array[] = [];
    try {
      for (let frame = await readFrame(); frame; frame = await readFrame()) {
        if (frame.flags & COMMAND) continue; // e.g. PING/PONG of ZMTP 3.1 peers
        parts.push(frame.body);
        if (!(frame.flags & MORE)) {
          messages.push(parts);
          parts = [];
          wake?.();
        }
      }
    } catch (err) {
      if (!closed) console.error(`${where}: read failed: ${(err as Error).message}`);
    }
    closed = true;
    wake?.();
  })();

  return {
    async send(frames) {
      if (closed) throw new Error(`${where}: socket is closed`);
      const bodies = frames.map((f) => (typeof f === "string" ? encoder.encode(f) : f));
      await writer.write(
        concat(bodies.map((b, i) => encodeFrame(b, i < bodies.length - 1 ? MORE : 0))),
      );
    },
    close() {
      if (closed) return;
      closed = true;
      wake?.();
      input.cancel();
      try {
        conn.close();
      } catch { /* already closed by the peer */ }
    },
    async *[Symbol.asyncIterator]() {
      while (true) {
        if (messages.length) {
          yield messages.shift()!;
          continue;
        }
        if (closed) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}
