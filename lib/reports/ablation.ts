/**
 * Reading ablation runs for the 2x2 table: a run folder's `config.json`
 * (activation, up-sampling) and `metrics.jsonl` (one {@link EpochMetrics} per
 * epoch; the best `valDice`). Reads files only, no model is loaded.
 *
 * @example
 * ```ts
 * const run = await readAblationRun("results/runs/ablation-relu");
 * ```
 * @module
 */
import { basename, dirname } from "node:path";
import type { ExperimentConfig } from "../config/experiment.ts";
import { exists } from "../util/fs.ts";
import { type EpochMetrics, readMetrics, runPaths } from "../runs/folder.ts";
import { latestRun } from "../runs/latest.ts";
import type { AblationRun } from "./tables.ts";

/**
 * The run folder itself when it holds `metrics.jsonl`; otherwise (an experiment's folder of
 * run ids) its latest run that recorded an epoch (`lib/runs/latest.ts`'s rule).
 */
async function resolveRunDir(dir: string): Promise<string> {
  if (await exists(runPaths(dir).metrics)) return dir;
  let run;
  try {
    run = await latestRun(dirname(dir), basename(dir), { needs: "recorded" });
  } catch (err) {
    throw new Error(`${dir}: cannot read run folder (${(err as Error).message})`);
  }
  if (!run) {
    if (!(await exists(dir))) throw new Error(`${dir}: cannot read run folder (no such folder)`);
    throw new Error(`${dir}: no metrics.jsonl here or in a run below`);
  }
  return run.dir;
}

/** Best validation Dice of a run and the model variant it trained. */
export async function readAblationRun(dir: string): Promise<AblationRun> {
  const runDir = await resolveRunDir(dir);
  let config: ExperimentConfig;
  const { config: cfgPath, metrics: metricsPath } = runPaths(runDir);
  try {
    config = JSON.parse(await Deno.readTextFile(cfgPath));
  } catch (err) {
    throw new Error(`${cfgPath}: cannot read run config (${(err as Error).message})`);
  }
  let best: EpochMetrics | undefined;
  const validationDice: number[] = [];
  (await readMetrics(metricsPath)).forEach((m, i) => {
    if (typeof m.valDice !== "number") throw new Error(`${metricsPath}:${i + 1}: no valDice`);
    validationDice.push(m.valDice);
    if (!best || m.valDice > best.valDice) best = m;
  });
  if (!best) throw new Error(`${metricsPath}: no epoch recorded`);
  return {
    activation: config.model.activation,
    upsampling: config.model.upsampling,
    name: `${config.name}/${runDir.split(/[\\/]/).at(-1)}`,
    bestValidationDice: best.valDice,
    bestEpoch: best.epoch,
    validationDice,
  };
}
