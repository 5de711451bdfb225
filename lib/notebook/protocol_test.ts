import assert from "node:assert/strict";
import { deserialize, newMessage, serialize, sign } from "./protocol.ts";

Deno.test("sign is HMAC-SHA256 over the four frames (checked with Python's hmac)", () => {
  assert.equal(
    sign("secret", ['{"a":1}', "{}", "{}", '{"code":"1"}']),
    "4cd721348272a9d38f52e40f18755f0c1547d1172085474a01e7af8f3442da14",
  );
  assert.equal(sign("", ["x"]), "");
});

Deno.test("serialize and deserialize round-trip, with routing identities ignored", () => {
  const msg = newMessage("execute_request", { code: "1 + 1" }, "s1");
  assert.equal(msg.header.version, "5.3");
  const frames = serialize(msg, "k").map((f) => new TextEncoder().encode(f));
  const back = deserialize([new TextEncoder().encode("identity"), ...frames], "k");
  assert.deepEqual(back.header, msg.header);
  assert.deepEqual(back.content, { code: "1 + 1" });
  assert.deepEqual(back.buffers, []);
});

Deno.test("deserialize rejects a wrong key and a frame list without delimiter", () => {
  const frames = serialize(newMessage("status", {}, "s"), "k").map((f) =>
    new TextEncoder().encode(f)
  );
  assert.throws(() => deserialize(frames, "other"), /signature does not match/);
  assert.throws(() => deserialize(frames.slice(1), "k"), /malformed Jupyter message/);
});
