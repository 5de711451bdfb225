import assert from "node:assert/strict";
import { join } from "node:path";
import { loadExperiment } from "../config/load.ts";
import { writeSyntheticSet } from "../data/synthetic.ts";
import { configDifferences, latestRun, listRuns, obtainRun } from "./runs.ts";

const LIVER = new URL("../../experiments/liver.json", import.meta.url).pathname;

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
    assert.equal((await latestRun(root, "liver", "cpu"))?.id, "b-run");
    assert.equal((await latestRun(root, "liver"))?.id, "a-run");
    assert.equal(await latestRun(root, "liver", "paper"), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("obtainRun trains when there is no run, then loads the latest; train forces a new one", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = join(tmp, "data");
    await writeSyntheticSet({ out: data, cases: 4, size: 32, seed: 1, slices: 24 });
    const cfg = await loadExperiment(LIVER, {
      profile: "smoke",
      overrides: { data: { root: data }, train: { epochs: 1 } },
    });
    const runsDir = join(tmp, "runs");
    let epochs = 0;
    const first = await obtainRun(cfg, { runsDir, onEpoch: () => epochs++ });
    first.model.dispose();
    assert.equal(first.trained, true);
    assert.equal(epochs, 1);
    assert.match(first.note, /no finished liver run of profile smoke/);
    assert.equal(first.metrics.length, 1);

    const again = await obtainRun(cfg, { runsDir });
    again.model.dispose();
    assert.equal(again.trained, false);
    assert.equal(again.runDir, first.runDir);
    assert.deepEqual(again.metrics, first.metrics);
    assert.match(again.note, /^loaded .* \(profile smoke, 1 epoch, best validation Dice/);

    const byPath = await obtainRun(cfg, { runsDir, runId: first.runDir, checkpoint: "last" });
    byPath.model.dispose();
    assert.equal(byPath.runDir, first.runDir);

    // Post-processing changed after training: the experiment's applies, and the note says so.
    const post = { erosionRadius: 7, dilationRadius: 7, anisotropic: true };
    const repost = await obtainRun({ ...cfg, postprocess: post }, { runsDir });
    repost.model.dispose();
    assert.deepEqual(repost.config.postprocess, post);
    assert.match(repost.note, /post-processing .*"erosionRadius":7.* from the experiment/);
    assert.doesNotMatch(again.note, /post-processing/);

    const fresh = await obtainRun(cfg, { runsDir, train: true });
    fresh.model.dispose();
    assert.equal(fresh.trained, true);
    assert.notEqual(fresh.runDir, first.runDir);
    assert.equal((await listRuns(runsDir, "liver")).length, 2);
    await assert.rejects(obtainRun(cfg, { runsDir, runId: "nope" }), /nope/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("configDifferences lists differing settings, ignoring keys and prefixes", () => {
  const a = { name: "liver", model: { activation: "elu", growthRate: 16 }, train: { lr: 1e-4 } };
  const b = {
    name: "relu",
    model: { activation: "relu", growthRate: 8 },
    train: { lr: 1e-4, x: 1 },
  };
  assert.deepEqual(configDifferences(a, b, ["name", "model.activation"]), [
    "model.growthRate: 16 -> 8",
    "train.x: (none) -> 1",
  ]);
  assert.deepEqual(configDifferences(a, b, ["name", "model", "train"]), []);
});
