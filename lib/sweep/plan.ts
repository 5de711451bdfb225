/**
 * A sweep's plan: a grid of experiment files times seeds, each cell one normal
 * training run in `<runsDir>/<experiment>/<profile>-seed<N>-<digest>/`. The run
 * folder is named by the cell's resolved config, so the same cell of any later
 * sweep finds its run (finished: skipped; killed: resumed). The plan is written
 * to `<sweep dir>/plan.json`, which every worker (a local process or a Slurm
 * array task) reads to find its cell by index.
 *
 * @example
 * ```ts
 * const plan = await planSweep({ experiments: ABLATION_GRID, seeds: [1, 2, 3], profile: "cpu" });
 * await writePlan(plan);
 * const state = await cellState(plan.cells[0]); // { epochsDone: 0, finished: false, ... }
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import type { BackendName, ExperimentConfig, ProfileName } from "../config/experiment.ts";
import { ABLATION_VARIANTS } from "../config/experiments.ts";
import { loadExperiment, type Patch } from "../config/load.ts";
import { digestOf } from "../util/digest.ts";
import { checkpointDir } from "../runs/checkpoint.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { runPaths } from "../runs/folder.ts";

/** The 2x2 ablation of the liver model: the paper's model and its three variants. */
export const ABLATION_GRID: readonly string[] = ABLATION_VARIANTS.map((n) =>
  new URL(`../../experiments/${n}.json`, import.meta.url).pathname
);

/** What to sweep. */
export interface SweepSpec {
  /** Experiment files (one grid row each). */
  experiments: readonly string[];
  /** Seeds (`train.seed`), the same for every experiment so that cells pair up by seed. */
  seeds: readonly number[];
  profile: ProfileName;
  /** Config patches for every cell (`--set`, `--data`). */
  overrides?: Patch;
  /** Folder of experiments' run folders (default `results/runs`). */
  runsDir?: string;
  /** Sweep folder: plan, Slurm script, logs (default `results/sweeps/<name>`). */
  dir?: string;
  /**
   * Default: `ablation-<profile>` for the 2x2 (whatever the overrides: notebook 04 shows the
   * latest), else `sweep-<digest of the run folders>`.
   */
  name?: string;
  /** Overrides each config's `train.backend` (not part of the run's identity, as on resume). */
  backend?: BackendName;
}

/** One cell: one experiment at one seed, one run folder. */
export interface SweepCell {
  index: number;
  /** Absolute path of the experiment file. */
  experiment: string;
  /** The experiment's `name`. */
  name: string;
  seed: number;
  /** Patches the worker applies when loading the experiment (the sweep's, plus the seed). */
  overrides: Patch;
  runDir: string;
  epochs: number;
}

/** A written sweep: what `plan.json` holds. */
export interface SweepPlan {
  name: string;
  dir: string;
  profile: ProfileName;
  backend?: BackendName;
  seeds: number[];
  experiments: string[];
  cells: SweepCell[];
}

/**
 * Set `path` (dotted, e.g. `train.epochs`) of a patch from `key=value` text; the value is
 * JSON when it parses (numbers, booleans, arrays), else a string.
 * @example
 * setOverride({}, "train.epochs=3"); // { train: { epochs: 3 } }
 */
export function setOverride(patch: Patch, text: string): Patch {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`--set wants KEY=VALUE (e.g. train.epochs=3), got "${text}"`);
  const keys = text.slice(0, eq).split(".");
  let value: unknown = text.slice(eq + 1);
  try {
    value = JSON.parse(value as string);
  } catch {
    // a plain string
  }
  const out: Patch = structuredClone(patch);
  let at = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== "object" || at[k] === null || Array.isArray(at[k])) at[k] = {};
    at = at[k] as Patch;
  }
  at[keys.at(-1)!] = value;
  return out;
}

/** A cell's overrides: the sweep's, with the seed set. */
function withSeed(overrides: Patch, seed: number): Patch {
  const train = (overrides.train ?? {}) as Patch;
  return { ...overrides, train: { ...train, seed } };
}

/** Resolve every cell's config (so that a bad file or override fails here, naming it) and its run folder. */
export async function planSweep(spec: SweepSpec): Promise<SweepPlan> {
  if (spec.experiments.length === 0) throw new Error("a sweep needs at least one experiment");
  if (spec.seeds.length === 0) throw new Error("a sweep needs at least one seed");
  if (new Set(spec.seeds).size !== spec.seeds.length) {
    throw new Error(`seeds repeat: ${spec.seeds.join(", ")}`);
  }
  const runsDir = resolve(spec.runsDir ?? join("results", "runs"));
  const cells: SweepCell[] = [];
  const names = new Set<string>();
  for (const file of spec.experiments) {
    const experiment = resolve(file);
    for (const seed of spec.seeds) {
      const overrides = withSeed(spec.overrides ?? {}, seed);
      const cfg = await loadExperiment(experiment, { profile: spec.profile, overrides });
      if (seed === spec.seeds[0]) {
        if (names.has(cfg.name)) {
          throw new Error(`${file}: experiment "${cfg.name}" is listed twice`);
        }
        names.add(cfg.name);
      }
      const digest = (await digestOf(cfg)).slice(0, 10);
      cells.push({
        index: cells.length,
        experiment,
        name: cfg.name,
        seed,
        overrides,
        runDir: join(runsDir, cfg.name, `${spec.profile}-seed${seed}-${digest}`),
        epochs: cfg.train.epochs,
      });
    }
  }
  const isAblation = spec.experiments.length === ABLATION_GRID.length &&
    spec.experiments.every((e, i) => resolve(e) === ABLATION_GRID[i]);
  const name = spec.name ??
    (isAblation
      ? `ablation-${spec.profile}`
      : `sweep-${(await digestOf(cells.map((c) => c.runDir))).slice(0, 8)}`);
  return {
    name,
    dir: resolve(spec.dir ?? join("results", "sweeps", name)),
    profile: spec.profile,
    backend: spec.backend,
    seeds: [...spec.seeds],
    experiments: spec.experiments.map((e) => resolve(e)),
    cells,
  };
}

/** Where a plan is written. */
export function planPath(plan: SweepPlan): string {
  return join(plan.dir, "plan.json");
}

/** A cell's log file (Slurm writes it for array tasks; the local engine for its processes). */
export function cellLogPath(plan: SweepPlan, index: number): string {
  return join(plan.dir, "logs", `cell-${index}.out`);
}

export async function writePlan(plan: SweepPlan): Promise<string> {
  await writeJsonAtomic(planPath(plan), plan);
  return planPath(plan);
}

/** Read `plan.json`, naming the file on any problem. */
export async function readPlan(path: string): Promise<SweepPlan> {
  let plan: SweepPlan;
  try {
    plan = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read sweep plan (${(err as Error).message})`);
  }
  if (!Array.isArray(plan.cells)) throw new Error(`${path}: not a sweep plan (no cells)`);
  return plan;
}

/** The resolved config a cell trains. */
export function cellConfig(plan: SweepPlan, cell: SweepCell): Promise<ExperimentConfig> {
  return loadExperiment(cell.experiment, { profile: plan.profile, overrides: cell.overrides });
}

/** How far a cell's run got, from its files. */
export interface CellState {
  /** Lines in `metrics.jsonl`. */
  epochsDone: number;
  /** Epochs in the `last` checkpoint (0 without one): where a resume starts. */
  checkpointEpoch: number;
  finished: boolean;
  /** Best validation Dice so far (NaN before the first epoch). */
  bestValDice: number;
}

/** Read a cell's run folder (a missing folder is a cell not started). */
export async function cellState(cell: SweepCell): Promise<CellState> {
  let lines: string[] = [];
  try {
    lines = (await Deno.readTextFile(runPaths(cell.runDir).metrics)).split("\n")
      .filter((l) => l.trim());
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
      throw err;
    }
  }
  let bestValDice = NaN;
  for (const l of lines) {
    try {
      const v = (JSON.parse(l) as { valDice: number }).valDice;
      if (!(v <= bestValDice)) bestValDice = v;
    } catch {
      // a line being written; counted, not read
    }
  }
  let checkpointEpoch = 0;
  const last = await checkpointDir(runPaths(cell.runDir).checkpoints.last).catch(() => null);
  if (last) {
    try {
      checkpointEpoch = JSON.parse(await Deno.readTextFile(join(last, "state.json"))).epoch ?? 0;
    } catch {
      // unreadable state: resume will say why
    }
  }
  return {
    epochsDone: lines.length,
    checkpointEpoch,
    finished: checkpointEpoch >= cell.epochs && lines.length >= cell.epochs,
    bestValDice,
  };
}
