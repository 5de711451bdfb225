/**
 * Finding training runs for the notebooks and the cascade: the runs of an
 * experiment under `<runsDir>/<experiment>/<run-id>/`, the latest finished one
 * of a profile, and "use this run, else the latest, else train one now".
 *
 * @example
 * ```ts
 * const cfg = await loadExperiment("experiments/liver.json", { profile: "cpu" });
 * const run = await obtainRun(cfg, { runsDir: "results/runs" });
 * console.log(run.note); // "loaded results/runs/liver/20261126-203000 (12 epochs, best 0.93 at 11)"
 * ```
 * @module
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig, ProfileName } from "../config/experiment.ts";
import { loadExperiment } from "../config/load.ts";
import { checkpointDir } from "../train/checkpoint.ts";
import { type EpochMetrics, loadRun, trainExperiment, type TrainOptions } from "../train/loop.ts";

/**
 * `<experimentsDir>/<name>.json` at `profile`, reading its data from `dataRoot`:
 * the config a notebook (or `deno task reproduce`) trains and loads runs of.
 */
export function profileExperiment(
  name: string,
  profile: string,
  dataRoot: string,
  experimentsDir = "../experiments",
): Promise<ExperimentConfig> {
  // The loader rejects a profile the file does not define, naming the file.
  return loadExperiment(join(experimentsDir, `${name}.json`), {
    profile: profile as ProfileName,
    overrides: { data: { root: dataRoot } },
  });
}

/** The run's id: the last part of its folder. */
export function runId(run: { runDir: string }): string {
  return run.runDir.split(/[\\/]/).filter(Boolean).at(-1) ?? run.runDir;
}

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

/**
 * The runs of `experiment` in `runsDir`, least recently updated first (run ids
 * need not sort by time: `deno task reproduce` names them by config digest).
 */
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
    const configText = await readText(join(dir, "config.json"));
    if (configText === undefined) continue;
    let cfg: Partial<ExperimentConfig>;
    try {
      cfg = JSON.parse(configText);
    } catch {
      throw new Error(`${join(dir, "config.json")}: not JSON`);
    }
    const metricsPath = join(dir, "metrics.jsonl");
    const metrics = (await readText(metricsPath)) ?? "";
    const stat = await Deno.stat(metrics ? metricsPath : join(dir, "config.json"));
    runs.push({
      id,
      dir,
      profile: cfg.profile,
      epochsDone: metrics.split("\n").filter((l) => l.trim()).length,
      epochs: cfg.train?.epochs,
      loadable: (await checkpointDir(join(dir, "checkpoints", "best"))) !== null,
      updated: stat.mtime ?? new Date(0),
    });
  }
  return runs.sort((a, b) => a.updated.getTime() - b.updated.getTime() || (a.id < b.id ? -1 : 1));
}

/** The most recently updated loadable run of `experiment` trained at `profile` (any profile when omitted). */
export async function latestRun(
  runsDir: string,
  experiment: string,
  profile?: ProfileName,
): Promise<RunInfo | undefined> {
  const runs = await listRuns(runsDir, experiment);
  return runs.filter((r) => r.loadable && (!profile || r.profile === profile)).at(-1);
}

/** Options of {@link obtainRun}. */
export interface ObtainRunOptions extends Pick<TrainOptions, "onEpoch" | "onStep" | "backend"> {
  /** Folder of experiments' run folders (`results/runs`). */
  runsDir: string;
  /** A run id (or a run folder path) to load; empty or omitted: the latest of the profile. */
  runId?: string;
  /** Train a new run even when one exists. */
  train?: boolean;
  /** Checkpoint to load (default best). */
  checkpoint?: "best" | "last";
}

/** A run ready to use: its model, config and metrics, and how it was obtained. */
export interface ObtainedRun {
  runDir: string;
  config: ExperimentConfig;
  model: tf.LayersModel;
  metrics: EpochMetrics[];
  trained: boolean;
  /** One sentence saying what was loaded or why training ran. */
  note: string;
}

const runIdNow = () => new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

function describe(metrics: EpochMetrics[]): string {
  const best = metrics.reduce<EpochMetrics | undefined>(
    (b, m) => (!b || m.valDice > b.valDice ? m : b),
    undefined,
  );
  return `${metrics.length} epoch${metrics.length === 1 ? "" : "s"}${
    best ? `, best validation Dice ${best.valDice.toFixed(3)} at epoch ${best.epoch}` : ""
  }`;
}

/**
 * Load run `runId` of `cfg.name`; without one, the latest loadable run of
 * `cfg.profile`; when there is none, or `train` is set, train `cfg` into a new
 * run (the note says which happened). A loaded run takes `cfg.postprocess`.
 */
export async function obtainRun(
  cfg: ExperimentConfig,
  opts: ObtainRunOptions,
): Promise<ObtainedRun> {
  const which = opts.checkpoint ?? "best";
  let reason = "train = true";
  if (!opts.train) {
    let dir: string | undefined;
    if (opts.runId) {
      dir = opts.runId.includes("/") ? opts.runId : join(opts.runsDir, cfg.name, opts.runId);
    } else {
      dir = (await latestRun(opts.runsDir, cfg.name, cfg.profile))?.dir;
      reason = `no finished ${cfg.name} run of profile ${cfg.profile} in ${opts.runsDir}`;
    }
    if (dir) {
      const run = await loadRun(dir, which);
      // Post-processing acts after training (reproduce reruns only the cascade when it
      // changes), so the experiment's current setting applies to a loaded run.
      const post = JSON.stringify(run.config.postprocess) === JSON.stringify(cfg.postprocess)
        ? ""
        : `; post-processing ${JSON.stringify(cfg.postprocess)} from the experiment, not the run's`;
      return {
        runDir: dir,
        ...run,
        config: { ...run.config, postprocess: cfg.postprocess },
        trained: false,
        note: `loaded ${dir} (profile ${run.config.profile}, ${describe(run.metrics)}${post})`,
      };
    }
  }
  // A fresh id; a second run within the same second gets a suffix.
  let runDir = join(opts.runsDir, cfg.name, runIdNow());
  for (let k = 2; (await listRuns(opts.runsDir, cfg.name)).some((r) => r.dir === runDir); k++) {
    runDir = join(opts.runsDir, cfg.name, `${runIdNow()}-${k}`);
  }
  const result = await trainExperiment(cfg, {
    runDir,
    backend: opts.backend,
    onEpoch: opts.onEpoch,
    onStep: opts.onStep,
    quiet: true,
  });
  const run = await loadRun(result.runDir, which);
  return {
    runDir: result.runDir,
    ...run,
    trained: true,
    note: `trained ${result.runDir} at profile ${cfg.profile} (${reason}; ${
      describe(run.metrics)
    })`,
  };
}

function flattenJson(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenJson(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
}

/**
 * Settings (dotted keys) where two configs differ, as `key: a -> b`, leaving
 * out `ignore` (keys or key prefixes, e.g. `"model.activation"`, `"data"`).
 * Runs compared side by side (the ablation) should differ only where intended.
 */
export function configDifferences(a: unknown, b: unknown, ignore: string[] = []): string[] {
  const fa = new Map<string, string>(), fb = new Map<string, string>();
  flattenJson(a, "", fa);
  flattenJson(b, "", fb);
  const skip = (k: string) => ignore.some((p) => k === p || k.startsWith(`${p}.`));
  return [...new Set([...fa.keys(), ...fb.keys()])]
    .filter((k) => !skip(k) && fa.get(k) !== fb.get(k))
    .sort()
    .map((k) => `${k}: ${fa.get(k) ?? "(none)"} -> ${fb.get(k) ?? "(none)"}`);
}
