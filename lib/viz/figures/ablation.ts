/**
 * Notebook 04 (paper section II-B1): the 2x2 ablation of the liver model, ELU
 * vs ReLU and bilinear + convolution vs transposed convolution. The variants'
 * configs and runs, a check that the runs differ only in the ablated settings,
 * their learning curves side by side and grouped bars of their Dice.
 *
 * @example
 * ```ts
 * const configs = await Promise.all(ABLATION_VARIANTS.map((n) => profileExperiment(n, profile, dataRoot)));
 * const runs = await obtainAblationRuns(configs, { runsDir, runIds: { liver: liverRun }, train });
 * sameSettingsNote(runs);
 * ablationCurves(runs);
 * ```
 * @module
 */
import type { ExperimentConfig } from "../../config/experiment.ts";
import { readAblationRun } from "../../reports/ablation.ts";
import { configDifferences } from "../../config/experiments.ts";
import type { ObtainedRun } from "../../pipeline/obtain_run.ts";
import { ablationTable, type Table } from "../../reports/tables.ts";
import type { ChartFigure } from "../chart.ts";
import { groupedBars, trainingCurves } from "../charts.ts";
import { obtainRunLive, type ObtainRunLiveOptions } from "../live.ts";
import { htmlTable, type TableFigure } from "../table.ts";

/** A finished run's config and metrics (its model is not kept: only metrics are compared). */
export type AblationRunInfo = Omit<ObtainedRun, "model">;

/** Activation, transition up and training length of each variant. */
export function variantsTable(configs: ExperimentConfig[]): TableFigure {
  return htmlTable(
    configs.map((c) => ({
      experiment: c.name,
      activation: c.model.activation,
      "transition up": c.model.upsampling === "bilinear"
        ? "bilinear x2 + 3x3 conv"
        : "3x3 transposed conv, stride 2",
      epochs: c.train.epochs,
      "iterations / epoch": c.train.trainIterations,
    })),
    {
      caption: `The four variants (profile ${configs[0]?.profile}); everything else is identical`,
    },
  );
}

/** Options of {@link obtainAblationRuns}. */
export interface AblationRunsOptions extends Omit<ObtainRunLiveOptions, "runId"> {
  /** Run id or folder per experiment name; missing or empty: the latest of the profile. */
  runIds?: Record<string, string>;
}

/**
 * Each config's run (the given one, else its latest of the profile, else
 * trained now with live curves), its model disposed.
 */
export async function obtainAblationRuns(
  configs: ExperimentConfig[],
  opts: AblationRunsOptions,
): Promise<AblationRunInfo[]> {
  const { runIds = {}, ...rest } = opts;
  const runs: AblationRunInfo[] = [];
  for (const cfg of configs) {
    const { model, ...run } = await obtainRunLive(cfg, { ...rest, runId: runIds[cfg.name] });
    model.dispose();
    runs.push(run);
  }
  return runs;
}

const bestDice = (r: AblationRunInfo) => Math.max(...r.metrics.map((m) => m.valDice));

/** Which run each variant uses, its epochs and best validation Dice, trained or loaded. */
export function ablationRunsTable(runs: AblationRunInfo[]): TableFigure {
  return htmlTable(runs.map((r) => ({
    experiment: r.config.name,
    run: r.runDir,
    epochs: r.metrics.length,
    "best validation Dice": bestDice(r),
    how: r.trained ? "trained now" : "loaded",
  })));
}

/** Settings the variants may differ in besides their names and where data and backend come from. */
const ABLATED = [
  "name",
  "description",
  "model.activation",
  "model.upsampling",
  "data.root",
  "train.backend",
];

/**
 * Whether the comparison is fair: a warning listing every setting (other than
 * activation and up-sampling) in which a run differs from the first, or a line saying none does.
 */
export function sameSettingsNote(runs: AblationRunInfo[]): string {
  const differences = runs.slice(1).flatMap((r) =>
    configDifferences(runs[0].config, r.config, ABLATED).map((d) => `${r.config.name}: ${d}`)
  );
  return differences.length
    ? `WARNING: the runs differ in more than the ablated settings:\n  ${differences.join("\n  ")}`
    : `The ${runs.length} runs differ only in model.activation and model.upsampling.`;
}

/** Validation Dice of the liver and training loss per epoch, one line per variant. */
export function ablationCurves(runs: AblationRunInfo[]): ChartFigure {
  const records = runs.flatMap((r) =>
    r.metrics.map((m) => ({
      epoch: m.epoch,
      variant: r.config.name,
      "validation dice": m.valDice,
      "training loss": m.trainLoss,
    }))
  );
  return trainingCurves(records, {
    y: ["validation dice", "training loss"],
    series: "variant",
    panelWidth: 460,
  });
}

/** The 2x2 table of best validation Dice (`ablationTable`, as `deno task tables --ablation`). */
export async function ablationTableOf(runs: AblationRunInfo[]): Promise<Table> {
  return ablationTable(await Promise.all(runs.map((r) => readAblationRun(r.runDir))));
}

/** Best and last validation Dice and last training Dice, grouped by metric, one bar per variant. */
export function ablationBars(runs: AblationRunInfo[]): ChartFigure {
  const rows = runs.flatMap((r) => {
    const last = r.metrics.at(-1)!;
    return [
      { metric: "best validation Dice", variant: r.config.name, value: bestDice(r) },
      { metric: "last validation Dice", variant: r.config.name, value: last.valDice },
      { metric: "last training Dice", variant: r.config.name, value: last.trainDice },
    ];
  });
  return groupedBars(rows, {
    x: "metric",
    group: "variant",
    y: "value",
    yLabel: "Dice (liver)",
    title: "ELU/ReLU x bilinear/transposed",
  });
}
