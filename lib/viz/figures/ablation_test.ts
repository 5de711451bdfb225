import assert from "node:assert/strict";
import { join } from "node:path";
import { parseHTML } from "linkedom";
import type { ExperimentConfig } from "../../config/experiment.ts";
import { ABLATION_VARIANTS, profileExperiment } from "../../config/experiments.ts";
import type { EpochMetrics } from "../../runs/folder.ts";
import {
  ablationBars,
  ablationCurves,
  type AblationRunInfo,
  ablationRunsTable,
  ablationTableOf,
  sameSettingsNote,
  variantsTable,
} from "./ablation.ts";

const EXPERIMENTS = new URL("../../../experiments", import.meta.url).pathname;

const metric = (epoch: number, valDice: number): EpochMetrics => ({
  epoch,
  step: epoch,
  trainLoss: 1 / epoch,
  trainDice: 0.5,
  valLoss: 1,
  valDice,
  isBest: false,
  bestValDice: valDice,
  trainSeconds: 1,
  valSeconds: 1,
  slicesPerSecond: 1,
  time: "2026-11-26T00:00:00.000Z",
  backend: "cpu",
});

/** A finished run folder with config.json and metrics.jsonl. */
async function fakeRun(root: string, config: ExperimentConfig, dice: number[]) {
  const runDir = join(root, config.name, "r1");
  await Deno.mkdir(runDir, { recursive: true });
  const metrics = dice.map((d, i) => metric(i + 1, d));
  await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(config));
  await Deno.writeTextFile(
    join(runDir, "metrics.jsonl"),
    metrics.map((m) => JSON.stringify(m)).join("\n") + "\n",
  );
  return { runDir, config, metrics, trained: false, note: "" } satisfies AblationRunInfo;
}

Deno.test("the ablation's tables, fairness note, curves and bars from four runs", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const configs = await Promise.all(
      ABLATION_VARIANTS.map((n) => profileExperiment(n, "smoke", "data", EXPERIMENTS)),
    );
    assert.deepEqual(configs.map((c) => [c.model.activation, c.model.upsampling]), [
      ["elu", "bilinear"],
      ["relu", "bilinear"],
      ["elu", "transposed"],
      ["relu", "transposed"],
    ]);
    const dice = [[0.5, 0.9, 0.8], [0.4, 0.7], [0.6, 0.65], [0.3, 0.2]];
    const runs = await Promise.all(configs.map((c, i) => fakeRun(tmp, c, dice[i])));

    assert.match(variantsTable(configs).toHTML(), /3x3 transposed conv, stride 2/);
    const { document } = parseHTML(ablationRunsTable(runs).toHTML());
    const best = [...document.querySelectorAll("tbody tr")].map((tr) =>
      tr.querySelectorAll("td")[3].textContent
    );
    assert.deepEqual(best, ["0.900", "0.700", "0.650", "0.300"]);

    assert.equal(
      sameSettingsNote(runs),
      "The 4 runs differ only in model.activation and model.upsampling.",
    );
    const unfair = {
      ...runs[1],
      config: { ...runs[1].config, train: { ...runs[1].config.train, seed: 99 } },
    };
    assert.match(
      sameSettingsNote([runs[0], unfair]),
      /WARNING.*\n {2}ablation-relu: train\.seed: \d+ -> 99/,
    );

    const table = await ablationTableOf(runs);
    assert.deepEqual(table.rows.map((r) => r.slice(0, 2)), [
      ["ELU", "bilinear + conv"],
      ["ELU", "transposed conv"],
      ["RELU", "bilinear + conv"],
      ["RELU", "transposed conv"],
    ]);
    assert.deepEqual(table.rows[0].slice(2), [0.9, 2, null, "liver/r1"]);
    assert.deepEqual(table.rows[3].slice(2), [0.3, 1, null, "ablation-relu-transposed/r1"]);

    // One dot per epoch and variant in each of the two panels.
    assert.equal(ablationCurves(runs).toHTML().match(/<circle/g)?.length, 2 * (3 + 2 + 2 + 2));
    const bars = parseHTML(ablationBars(runs).toHTML()).document;
    assert.equal(bars.querySelectorAll('g[aria-label="bar"] rect').length, 12);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
