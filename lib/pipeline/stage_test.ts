import assert from "node:assert/strict";
import { runStage } from "./stage.ts";
import { digestOf } from "../util/digest.ts";

Deno.test("digestOf ignores key order and differs on values", async () => {
  assert.equal(await digestOf({ a: 1, b: [1, 2] }), await digestOf({ b: [1, 2], a: 1 }));
  assert.notEqual(await digestOf({ a: 1 }), await digestOf({ a: 2 }));
});

Deno.test("runStage skips an up-to-date stage and reruns on a new key, a missing output or force", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/out.txt`;
  let runs = 0;
  const spec = (key: unknown) => ({
    name: "s",
    key,
    outputs: [out],
    run: async () => {
      runs++;
      await Deno.writeTextFile(out, "x");
    },
  });
  const opts = { stampDir: `${dir}/stamps` };
  assert.equal((await runStage(spec(1), opts)).status, "ran");
  assert.equal((await runStage(spec(1), opts)).status, "skipped");
  assert.equal((await runStage(spec(2), opts)).status, "ran");
  await Deno.remove(out);
  assert.equal((await runStage(spec(2), opts)).status, "ran");
  assert.equal((await runStage(spec(2), { ...opts, force: true })).status, "ran");
  assert.equal(runs, 4);
  await Deno.remove(dir, { recursive: true });
});
