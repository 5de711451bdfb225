/**
 * A training run's folder, `results/runs/<experiment>/<run-id>/`, and everything that reads it:
 * `config.json` (the resolved experiment), `metrics.jsonl` (one {@link EpochMetrics} a line,
 * and the same curves for TensorBoard, `tfevents.ts`), `checkpoints/{last,best}/`
 * (`checkpoint.ts`) and `.lock` while a process trains in it (`claim.ts`). Which run is the
 * latest is `latest.ts`'s one rule.
 *
 * @example
 * ```ts
 * const { config, model, metrics } = await loadRun("results/runs/liver/20261126-203000");
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { ExperimentConfig } from "../config/experiment.ts";
import { checkResolvedConfig } from "../config/load.ts";
import { checkpointDir, loadModelFiles } from "./checkpoint.ts";

/** One line of `metrics.jsonl`. */
export interface EpochMetrics {
  epoch: number;
  /** Micro-batches done so far. */
  step: number;
  trainLoss: number;
  /** Hard Dice of the target class, pooled over the epoch's training batches. */
  trainDice: number;
  valLoss: number;
  /** Hard Dice of the target class, pooled over the epoch's validation batches. */
  valDice: number;
  isBest: boolean;
  bestValDice: number;
  trainSeconds: number;
  valSeconds: number;
  /** Training slices per second (forward + backward). */
  slicesPerSecond: number;
  /** ISO time the epoch ended. */
  time: string;
  backend: string;
}

/** The files of a run folder. */
export interface RunPaths {
  config: string;
  metrics: string;
  checkpoints: { last: string; best: string };
}

/** Where each file of the run in `runDir` lives. */
export function runPaths(runDir: string): RunPaths {
  return {
    config: join(runDir, "config.json"),
    metrics: join(runDir, "metrics.jsonl"),
    checkpoints: {
      last: join(runDir, "checkpoints", "last"),
      best: join(runDir, "checkpoints", "best"),
    },
  };
}

/** A fresh run id: the UTC time, e.g. `20261126-203000`. */
export const newRunId = (): string =>
  new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

/** The run's id: the last part of its folder. */
export function runId(run: { runDir: string }): string {
  return run.runDir.split(/[\\/]/).filter(Boolean).at(-1) ?? run.runDir;
}

/** `metrics.jsonl`'s text for `metrics`. */
export function metricsText(metrics: EpochMetrics[]): string {
  return metrics.map((m) => JSON.stringify(m) + "\n").join("");
}

/** The lines of `metrics.jsonl` (none when it is missing); a damaged line is an error naming it. */
export async function readMetrics(path: string): Promise<EpochMetrics[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  return text.split("\n").flatMap((line, i) => {
    if (!line.trim()) return [];
    let m: EpochMetrics;
    try {
      m = JSON.parse(line);
    } catch (err) {
      throw new Error(`${path}: line ${i + 1} is not valid JSON (${(err as Error).message})`);
    }
    if (!m || typeof m !== "object" || !Number.isInteger(m.epoch)) {
      throw new Error(`${path}: line ${i + 1} is not an epoch's metrics (no integer "epoch")`);
    }
    return [m];
  });
}

/** A run's `config.json`, checked like an experiment file; errors name the file. */
export async function readRunConfig(configPath: string): Promise<ExperimentConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(configPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${configPath}: missing (not a run folder?)`);
    }
    throw new Error(`${configPath}: cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${configPath}: not valid JSON (${(err as Error).message})`);
  }
  return checkResolvedConfig(value, configPath);
}

/**
 * A run's config and the model of its `best` or `last` checkpoint, every file checked
 * (see `checkpoint.ts`); reads nothing else of the run.
 *
 * @example
 * ```ts
 * const { config, model } = await loadRunModel("results/runs/liver/20261126-203000");
 * ```
 */
export async function loadRunModel(
  runDir: string,
  which: "best" | "last" = "best",
): Promise<{ config: ExperimentConfig; model: tf.LayersModel }> {
  const paths = runPaths(runDir);
  const config = await readRunConfig(paths.config);
  const dir = await checkpointDir(paths.checkpoints[which]);
  if (!dir) throw new Error(`${runDir}: no "${which}" checkpoint`);
  return { config, model: await loadModelFiles(dir) };
}

/**
 * `run` with `experiment`'s post-processing, the one rule for which radii the cascade uses:
 * post-processing acts after training (reproduce reruns only the cascade when it changes), so
 * the experiment file's current setting applies to a loaded run, not the copy it was saved with.
 *
 * @example
 * ```ts
 * const liver = withPostprocessOf(await loadRunModel(dir), liverExperiment);
 * ```
 */
export function withPostprocessOf<R extends { config: ExperimentConfig }>(
  run: R,
  experiment: Pick<ExperimentConfig, "postprocess">,
): R {
  return { ...run, config: { ...run.config, postprocess: experiment.postprocess } };
}

/**
 * Load a finished (or running) run: its config, a model from the `best` or
 * `last` checkpoint, and its metrics.
 *
 * @example
 * ```ts
 * const { config, model, metrics } = await loadRun("results/runs/liver/20261126-203000");
 * ```
 */
export async function loadRun(
  runDir: string,
  which: "best" | "last" = "best",
): Promise<{ config: ExperimentConfig; model: tf.LayersModel; metrics: EpochMetrics[] }> {
  const metrics = await readMetrics(runPaths(runDir).metrics);
  return { ...(await loadRunModel(runDir, which)), metrics };
}
