import assert from "node:assert/strict";
import { inPool, sideBySideThreads } from "./pool.ts";

const tick = () => new Promise((r) => setTimeout(r, 1));

Deno.test("inPool runs every item, at most `lanes` at once, in item order", async () => {
  let running = 0, most = 0;
  const started: number[] = [];
  const lanes = new Set<number>();
  await inPool([10, 11, 12, 13, 14], 2, async (_item, index, lane) => {
    started.push(index);
    lanes.add(lane);
    most = Math.max(most, ++running);
    await tick();
    running--;
  });
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
  assert.deepEqual([...lanes].sort(), [0, 1]);
});

Deno.test("inPool starts nothing after a failure and throws the first error", async () => {
  const started: number[] = [];
  await assert.rejects(
    () =>
      inPool([0, 1, 2, 3, 4], 2, async (item) => {
        started.push(item);
        await tick();
        if (item === 1) throw new Error("item 1 failed");
      }),
    /item 1 failed/,
  );
  // Item 2 started beside the failing one; none after it.
  assert.deepEqual(started, [0, 1, 2]);
});

Deno.test("inPool with no items does nothing", async () => {
  await inPool([], 3, () => Promise.reject(new Error("not called")));
});

Deno.test("sideBySideThreads: one thread each only when processes share the cores", () => {
  assert.equal(sideBySideThreads(2, 2), "1");
  assert.equal(sideBySideThreads(5, 2), "1");
  assert.equal(sideBySideThreads(1, 2), undefined); // alone
  assert.equal(sideBySideThreads(5, 1), undefined); // one after another
});
