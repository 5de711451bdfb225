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
import { join } from "node:path";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { EpochMetrics } from "../train/loop.ts";
import { exists } from "../util/fs.ts";
import type { AblationRun } from "./tables.ts";

/**
 * The run folder itself when it holds `metrics.jsonl`; otherwise (an
 * experiment's folder of run ids) its last run id in name order that does.
 */
export async function resolveRunDir(dir: string): Promise<string> {
  if (await exists(join(dir, "metrics.jsonl"))) return dir;
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && (await exists(join(dir, e.name, "metrics.jsonl")))) ids.push(e.name);
    }
  } catch (err) {
    throw new Error(`${dir}: cannot read run folder (${(err as Error).message})`);
  }
  if (ids.length === 0) throw new Error(`${dir}: no metrics.jsonl here or in a run below`);
  return join(dir, ids.sort().at(-1)!);
}

/** Best validation Dice of a run and the model variant it trained. */
export async function readAblationRun(dir: string): Promise<AblationRun> {
  const runDir = await resolveRunDir(dir);
  let config: ExperimentConfig;
  const cfgPath = join(runDir, "config.json");
  try {
    config = JSON.parse(await Deno.readTextFile(cfgPath));
  } catch (err) {
    throw new Error(`${cfgPath}: cannot read run config (${(err as Error).message})`);
  }
  const metricsPath = join(runDir, "metrics.jsonl");
  const lines = (await Deno.readTextFile(metricsPath)).split("\n").filter((l) => l.trim());
  let best: EpochMetrics | undefined;
  const validationDice: number[] = [];
  lines.forEach((l, i) => {
    let m: EpochMetrics;
    try {
      m = JSON.parse(l);
    } catch {
      throw new Error(`${metricsPath}:${i + 1}: not JSON`);
    }
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
