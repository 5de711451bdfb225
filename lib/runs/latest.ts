/**
 * The runs of an experiment under `<runsDir>/<experiment>/<run-id>/` and the one rule for
 * "the latest run": the most recently updated (`metrics.jsonl`, else `config.json`), ties by
 * id. Run ids need not sort by time (`deno task reproduce` names them by config digest), so
 * every caller (notebooks, `train --resume`, the ablation table) asks here.
 *
 * @example
 * ```ts
 * const run = await latestRun("results/runs", "liver", { profile: "cpu" });
 * console.log(run?.dir); // "results/runs/liver/cpu-1b1582583e"
 * ```
 * @module
 */
import { join } from "node:path";
import type { ExperimentConfig, ProfileName } from "../config/experiment.ts";
import { checkpointDir } from "./checkpoint.ts";
import { runPaths } from "./folder.ts";

/** A run folder and what its files say. */
export interface RunInfo {
  id: string;
  dir: string;
  profile: ProfileName | undefined;
  /** Epochs recorded in `metrics.jsonl`, and the configured number. */
  epochsDone: number;
  epochs: number | undefined;
  /** Whether a `best` checkpoint exists (the run can be loaded). */
  loadable: boolean;
  /** Whether a `last` checkpoint exists (the run can be resumed). */
  resumable: boolean;
  /** When `metrics.jsonl` (else `config.json`) was last written. */
  updated: Date;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** The runs (folders with a `config.json`) of `experiment` in `runsDir`, least recently updated first. */
export async function listRuns(runsDir: string, experiment: string): Promise<RunInfo[]> {
  const root = join(runsDir, experiment);
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) if (e.isDirectory) ids.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const runs: RunInfo[] = [];
  for (const id of ids.sort()) {
    const dir = join(root, id);
    const paths = runPaths(dir);
    const configText = await readText(paths.config);
    if (configText === undefined) continue;
    let cfg: Partial<ExperimentConfig>;
    try {
      cfg = JSON.parse(configText);
    } catch {
      throw new Error(`${paths.config}: not JSON`);
    }
    const metrics = (await readText(paths.metrics)) ?? "";
    const stat = await Deno.stat(metrics ? paths.metrics : paths.config);
    runs.push({
      id,
      dir,
      profile: cfg.profile,
      epochsDone: metrics.split("\n").filter((l) => l.trim()).length,
      epochs: cfg.train?.epochs,
      loadable: (await checkpointDir(paths.checkpoints.best)) !== null,
      resumable: (await checkpointDir(paths.checkpoints.last)) !== null,
      updated: stat.mtime ?? new Date(0),
    });
  }
  return runs.sort((a, b) => a.updated.getTime() - b.updated.getTime() || (a.id < b.id ? -1 : 1));
}

/** What a run must have to count in {@link latestRun}. */
export interface LatestRunFilter {
  /** Trained at this profile (any when omitted). */
  profile?: ProfileName;
  /**
   * `loadable` (a `best` checkpoint, the default), `resumable` (a `last` checkpoint) or
   * `recorded` (at least one epoch in `metrics.jsonl`).
   */
  needs?: "loadable" | "resumable" | "recorded";
}

/** The most recently updated run of `experiment` that passes `filter` (see the module doc). */
export async function latestRun(
  runsDir: string,
  experiment: string,
  filter: LatestRunFilter = {},
): Promise<RunInfo | undefined> {
  const needs = filter.needs ?? "loadable";
  const ok = (r: RunInfo) => needs === "recorded" ? r.epochsDone > 0 : r[needs];
  return (await listRuns(runsDir, experiment))
    .filter((r) => ok(r) && (!filter.profile || r.profile === filter.profile))
    .at(-1);
}
