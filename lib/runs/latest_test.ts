import assert from "node:assert/strict";
import { join } from "node:path";
import { latestRun, listRuns } from "./latest.ts";

async function fakeRun(
  root: string,
  id: string,
  profile: string,
  epochs: number,
  best: boolean,
  mtime: number,
): Promise<void> {
  const dir = join(root, "liver", id);
  await Deno.mkdir(join(dir, "checkpoints", "best"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({ profile, train: { epochs: 5 } }),
  );
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), '{"epoch":1}\n'.repeat(epochs));
  await Deno.utime(join(dir, "metrics.jsonl"), mtime, mtime);
  if (best) await Deno.writeTextFile(join(dir, "checkpoints", "best", "state.json"), "{}");
}

Deno.test("listRuns and latestRun: in update order, loadable when a best checkpoint exists", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.deepEqual(await listRuns(root, "liver"), []);
    // Ids do not sort by time (reproduce names runs by config digest): metrics.jsonl's mtime does.
    await fakeRun(root, "b-run", "cpu", 5, true, 1000);
    await fakeRun(root, "a-run", "smoke", 1, true, 2000);
    await fakeRun(root, "c-run", "cpu", 0, false, 3000); // started, nothing saved yet
    await Deno.mkdir(join(root, "liver", "empty")); // no config.json: not a run
    const runs = await listRuns(root, "liver");
    assert.deepEqual(
      runs.map((r) => [r.id, r.profile, r.epochsDone, r.epochs, r.loadable]),
      [
        ["b-run", "cpu", 5, 5, true],
        ["a-run", "smoke", 1, 5, true],
        ["c-run", "cpu", 0, 5, false],
      ],
    );
    assert.equal((await latestRun(root, "liver", { profile: "cpu" }))?.id, "b-run");
    assert.equal((await latestRun(root, "liver"))?.id, "a-run");
    assert.equal(await latestRun(root, "liver", { profile: "paper" }), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
