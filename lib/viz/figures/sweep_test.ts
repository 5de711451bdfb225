import assert from "node:assert/strict";
import { join } from "node:path";
import { type SweepPlan, writePlan } from "../../sweep/plan.ts";
import { writeJsonAtomic, writeTextAtomic } from "../../util/atomic.ts";
import {
  claimsCharts,
  claimsVerdicts,
  loadAblationSweep,
  sweepDiceChart,
  sweepNote,
} from "./sweep.ts";

/** A finished run folder as training leaves it: config, metrics, the last checkpoint's state. */
async function finishedRun(dir: string, name: string, activation: string, curve: number[]) {
  await writeJsonAtomic(join(dir, "config.json"), {
    name,
    model: { activation, upsampling: "bilinear" },
  });
  await writeTextAtomic(
    join(dir, "metrics.jsonl"),
    curve.map((valDice, i) => JSON.stringify({ epoch: i + 1, valDice }) + "\n").join(""),
  );
  await writeJsonAtomic(join(dir, "checkpoints", "last", "state.json"), { epoch: curve.length });
}

Deno.test("notebook 04's sweep section: dice over seeds, the claims' intervals, verdicts", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.equal(await loadAblationSweep(join(root, "none"), 0.8), null);
    assert.match(
      sweepNote(null, join(root, "none"), "cpu"),
      /No sweep .*deno task sweep --profile cpu --seeds 3/,
    );
    const curves: Record<string, number[][]> = {
      liver: [[0.6, 0.85, 0.9], [0.7, 0.86, 0.91], [0.65, 0.84, 0.9]],
      "ablation-relu": [[0.5, 0.7, 0.89], [0.55, 0.75, 0.9], [0.5, 0.72, 0.88]],
    };
    const cells = Object.entries(curves).flatMap(([name, cs], e) =>
      cs.map((_, s) => ({
        index: e * 3 + s,
        name,
        seed: s + 1,
        experiment: "",
        overrides: {},
        runDir: join(root, "runs", name, `seed${s + 1}`),
        epochs: 3,
      }))
    );
    for (const c of cells) {
      await finishedRun(
        c.runDir,
        c.name,
        c.name === "liver" ? "elu" : "relu",
        curves[c.name][c.seed - 1],
      );
    }
    const plan: SweepPlan = {
      name: "ablation-cpu",
      dir: join(root, "sweep"),
      profile: "cpu",
      seeds: [1, 2, 3],
      experiments: [],
      cells: [...cells, {
        ...cells[0],
        index: 6,
        seed: 4,
        runDir: join(root, "runs", "liver", "seed4"),
      }],
    };
    await writePlan(plan);
    const sweep = (await loadAblationSweep(plan.dir, 0.8))!;
    assert.equal(sweep.runs.length, 6, "the unfinished cell is left out");
    assert.match(sweepNote(sweep, plan.dir, "cpu"), /6 of 7 runs finished .*rerun deno task sweep/);
    const dice = sweepDiceChart(sweep).toSVG();
    assert.match(dice, /Best validation Dice over seeds/);
    assert.equal((dice.match(/<circle/g) ?? []).length, 6 + 2, "a dot per seed and per mean");
    const charts = claimsCharts(sweep);
    assert.equal(charts.length, 2, "Dice and epochs, each on its own scale");
    assert.match(charts[1].toSVG(), /epochs to validation Dice 0\.8, ReLU - ELU/);
    // ELU reaches 0.8 at epoch 2 every seed, ReLU at epoch 3: +1 epoch, no spread.
    assert.match(
      claimsVerdicts(sweep),
      /ELU converges faster than ReLU \(epochs .*\): supported: ELU is faster by \+1\.0 epochs/,
    );
    assert.match(claimsVerdicts(sweep), /bilinear .*cannot say/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
