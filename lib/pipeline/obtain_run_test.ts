import assert from "node:assert/strict";
import { join } from "node:path";
import { loadExperiment } from "../config/load.ts";
import { writeSyntheticSet } from "../data/synthetic.ts";
import { listRuns } from "../runs/latest.ts";
import { obtainRun } from "./obtain_run.ts";

const LIVER = new URL("../../experiments/liver.json", import.meta.url).pathname;

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
