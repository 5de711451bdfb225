/**
 * Load an experiment file into a typed, complete {@link ExperimentConfig}.
 *
 * A file holds the experiment's paper settings plus `profiles` (`smoke`, `cpu`,
 * `paper`): patches deep-merged over them. A file may say
 * `"extends": "liver.json"` (relative to itself) and list only what it changes.
 * Resolution: parent file, then child file, then the chosen profile's patch
 * (profiles of parent and child deep-merged too), then `overrides`. Objects
 * merge key by key; arrays and `data.split` are replaced whole.
 *
 * Every file is checked against the schema: an unknown key, a wrong type or a
 * number outside its valid range is an error naming the file and the key path,
 * e.g. `experiments/liver.json: model.growthRat is not a known key` or
 * `experiments/liver.json: train.learningRate must be > 0, got -0.001`.
 *
 * @example
 * ```ts
 * const cfg = await loadExperiment("experiments/liver.json", { profile: "cpu" });
 * ```
 * @module
 */
import { dirname, resolve } from "node:path";
import {
  ACTIVATIONS,
  BACKENDS,
  type ExperimentConfig,
  LR_SCHEDULES,
  type ProfileName,
  PROFILES,
  TASKS,
  UPSAMPLINGS,
} from "./experiment.ts";

/** A deep partial of an object: what a profile or override patch may hold. */
export type Patch = { [key: string]: unknown };

export interface LoadOptions {
  /**
   * Which profile patch to apply (`paper`: the file's own settings). Required: the one default
   * scale is the command line's (`PROFILE_FLAG` in `lib/util/cli_args.ts`).
   */
  profile: ProfileName;
  /** A last patch, e.g. `{ data: { root: "data/lits" } }` from the command line. */
  overrides?: Patch;
}

/** Valid range of a number: inclusive `min`/`max`, exclusive `above`/`below`. */
interface Range {
  min?: number;
  max?: number;
  above?: number;
  below?: number;
}

type Spec =
  | ({ kind: "number" | "integer" } & Range)
  | { kind: "string" | "boolean" }
  | { kind: "enum"; values: string[] }
  | { kind: "tuple"; items: Spec[] }
  | { kind: "array"; item: Spec }
  | { kind: "oneOf"; options: Spec[] }
  | { kind: "object"; keys: Record<string, Spec>; optional?: string[]; replace?: boolean };

const num: Spec = { kind: "number" };
const int: Spec = { kind: "integer" };
/** A number or integer in `range` (every numeric key has one where one exists). */
const numIn = (range: Range): Spec => ({ kind: "number", ...range });
const intIn = (range: Range): Spec => ({ kind: "integer", ...range });
const count = intIn({ min: 1 });
const nonNegative = numIn({ min: 0 });
const positive = numIn({ above: 0 });
const str: Spec = { kind: "string" };
const bool: Spec = { kind: "boolean" };
const oneOfValues = (...values: string[]): Spec => ({ kind: "enum", values });
const obj = (keys: Record<string, Spec>, extra: Partial<{ optional: string[] }> = {}): Spec => ({
  kind: "object",
  keys,
  ...extra,
});

const caseIds: Spec = { kind: "array", item: intIn({ min: 0 }) };
const countsOrIds = (min: number): Spec => ({ kind: "oneOf", options: [intIn({ min }), caseIds] });

const experimentKeys: Record<string, Spec> = {
  name: str,
  description: str,
  task: oneOfValues(...TASKS),
  data: obj({
    root: str,
    split: {
      kind: "object",
      keys: {
        seed: int,
        train: countsOrIds(1),
        validation: countsOrIds(0),
        test: countsOrIds(0),
      },
      optional: ["seed"],
      replace: true,
    },
    sliceSize: count,
    inputSize: count,
    patchSize: count,
    intensityShift: nonNegative,
    liverMedianHU: num,
    liverPatches: numIn({ min: 0, max: 1 }),
    windows: { kind: "array", item: { kind: "tuple", items: [num, num] } },
    histogramEqualize: bool,
    selectBy: oneOfValues(...TASKS),
    sliceMargin: intIn({ min: 0 }),
    weights: obj({
      background: nonNegative,
      liver: nonNegative,
      tumor: nonNegative,
      contour: nonNegative,
      contourRadius: nonNegative,
    }),
  }, { optional: ["patchSize", "intensityShift", "liverMedianHU", "liverPatches"] }),
  model: obj({
    inputChannels: count,
    classes: intIn({ min: 2 }),
    firstFilters: count,
    growthRate: count,
    layersPerBlock: count,
    poolingLevels: intIn({ min: 1, max: 10 }),
    dropout: numIn({ min: 0, below: 1 }),
    activation: oneOfValues(...ACTIVATIONS),
    upsampling: oneOfValues(...UPSAMPLINGS),
    sbu: bool,
    bnMomentum: numIn({ min: 0, below: 1 }),
    bnEpsilon: positive,
  }),
  train: obj({
    loss: obj({ crossEntropy: nonNegative, dice: nonNegative, diceEpsilon: positive }),
    learningRate: positive,
    learningRateSchedule: oneOfValues(...LR_SCHEDULES),
    weightDecay: nonNegative,
    batchSize: count,
    microBatch: count,
    epochs: count,
    trainIterations: count,
    validationIterations: intIn({ min: 0 }),
    seed: int,
    backend: oneOfValues(...BACKENDS),
  }, { optional: ["learningRateSchedule"] }),
  postprocess: obj({
    erosionRadius: nonNegative,
    dilationRadius: nonNegative,
    anisotropic: bool,
  }),
};

/** Cluster resources of one training run (`slurm` in a file or profile); not part of the config. */
const slurmSpec = obj({
  partition: str,
  time: str,
  gpus: intIn({ min: 0 }),
  cpus: intIn({ min: 1 }),
  mem: str,
}, {
  optional: ["partition", "time", "gpus", "cpus", "mem"],
});

/** The resolved config (everything required; `profile` is set by the loader). */
const resolvedSpec = obj(experimentKeys, { optional: ["postprocess"] });

/** A profile patch: a description of the profile plus patches of the data/model/... sections. */
const profileSpec = obj({
  description: str,
  data: experimentKeys.data,
  model: experimentKeys.model,
  train: experimentKeys.train,
  postprocess: experimentKeys.postprocess,
  slurm: slurmSpec,
});

/** What one file may hold (every key optional; completeness is checked after merging). */
const fileSpec = obj({
  ...experimentKeys,
  extends: str,
  slurm: slurmSpec,
  profiles: obj({ smoke: profileSpec, cpu: profileSpec, paper: profileSpec }),
});

const isObject = (v: unknown): v is Patch =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === null ? "null" : `a ${typeof v}`;
}

/** Why `value` is outside `range` (null when inside), e.g. `train.learningRate must be > 0, got -1`. */
function outOfRange(value: number, range: Range, at: string): string | null {
  const bounds: string[] = [];
  if (range.min !== undefined) bounds.push(`>= ${range.min}`);
  if (range.above !== undefined) bounds.push(`> ${range.above}`);
  if (range.max !== undefined) bounds.push(`<= ${range.max}`);
  if (range.below !== undefined) bounds.push(`< ${range.below}`);
  const inside = (range.min === undefined || value >= range.min) &&
    (range.above === undefined || value > range.above) &&
    (range.max === undefined || value <= range.max) &&
    (range.below === undefined || value < range.below);
  return inside ? null : `${at} must be ${bounds.join(" and ")}, got ${value}`;
}

/** Why `value` does not fit `spec` (null when it does), with `partial` allowing missing keys. */
function check(value: unknown, spec: Spec, path: string, partial: boolean): string | null {
  const at = path || "(top level)";
  switch (spec.kind) {
    case "number":
      if (!(typeof value === "number" && Number.isFinite(value))) {
        return `${at} must be a number, got ${describe(value)}`;
      }
      return outOfRange(value, spec, at);
    case "integer":
      if (!Number.isInteger(value)) return `${at} must be an integer, got ${JSON.stringify(value)}`;
      return outOfRange(value as number, spec, at);
    case "string":
      return typeof value === "string" ? null : `${at} must be a string, got ${describe(value)}`;
    case "boolean":
      return typeof value === "boolean"
        ? null
        : `${at} must be true or false, got ${describe(value)}`;
    case "enum":
      return spec.values.includes(value as string)
        ? null
        : `${at} must be one of ${spec.values.join(", ")}, got ${JSON.stringify(value)}`;
    case "tuple": {
      if (!Array.isArray(value) || value.length !== spec.items.length) {
        return `${at} must be an array of ${spec.items.length} items`;
      }
      for (let i = 0; i < value.length; i++) {
        const err = check(value[i], spec.items[i], `${path}[${i}]`, partial);
        if (err) return err;
      }
      return null;
    }
    case "array": {
      if (!Array.isArray(value)) return `${at} must be an array, got ${describe(value)}`;
      for (let i = 0; i < value.length; i++) {
        const err = check(value[i], spec.item, `${path}[${i}]`, partial);
        if (err) return err;
      }
      return null;
    }
    case "oneOf": {
      const errs = spec.options.map((o) => check(value, o, path, partial));
      return errs.some((e) => e === null) ? null : errs.join("; or ");
    }
    case "object": {
      if (!isObject(value)) return `${at} must be an object, got ${describe(value)}`;
      for (const [key, v] of Object.entries(value)) {
        const sub = path ? `${path}.${key}` : key;
        if (!(key in spec.keys)) return `${sub} is not a known key`;
        const err = check(v, spec.keys[key], sub, partial);
        if (err) return err;
      }
      if (!partial) {
        for (const key of Object.keys(spec.keys)) {
          if (!(key in value) && !spec.optional?.includes(key)) {
            return `${path ? `${path}.${key}` : key} is missing`;
          }
        }
      }
      return null;
    }
  }
}

/** Deep-merge `patch` over `base` (new object); arrays and `replace` objects are replaced. */
function merge(base: Patch, patch: Patch, spec: Spec | undefined): Patch {
  const out: Patch = { ...base };
  for (const [key, v] of Object.entries(patch)) {
    const sub = spec?.kind === "object" ? spec.keys[key] : undefined;
    const replace = sub?.kind === "object" && sub.replace;
    out[key] = isObject(v) && isObject(out[key]) && !replace ? merge(out[key] as Patch, v, sub) : v;
  }
  return out;
}

async function readFileLayers(path: string, seen: string[]): Promise<Patch> {
  const abs = resolve(path);
  if (seen.includes(abs)) throw new Error(`${path}: "extends" cycle through ${seen.join(" -> ")}`);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read experiment file (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const err = check(raw, fileSpec, "", true);
  if (err) throw new Error(`${path}: ${err}`);
  const file = raw as Patch;
  const { extends: parent, ...own } = file;
  if (typeof parent !== "string") return own;
  const base = await readFileLayers(resolve(dirname(path), parent), [...seen, abs]);
  return merge(base, own, fileSpec);
}

/** Consistency rules between sections that the schema cannot express. */
function crossCheck(cfg: ExperimentConfig): string | null {
  const { data, model, train } = cfg;
  if (cfg.task === "liver" && cfg.postprocess === undefined) {
    return "postprocess is required for a liver experiment (the cascade's liver post-processing)";
  }
  const out = model.sbu ? data.inputSize * 2 : data.inputSize;
  if (out !== data.sliceSize) {
    return `data.sliceSize (${data.sliceSize}) must equal the model output size (${out} = inputSize${
      model.sbu ? " x 2 with sbu" : ""
    })`;
  }
  const flat = data.windows.findIndex(([lo, hi]) => !(lo < hi));
  if (flat >= 0) {
    return `data.windows[${flat}] must be [low, high] with low < high, got [${data.windows[flat]}]`;
  }
  if (train.loss.crossEntropy + train.loss.dice === 0) {
    return "train.loss.crossEntropy and train.loss.dice are both 0: nothing to train on";
  }
  if (data.windows.length !== model.inputChannels) {
    return `data.windows has ${data.windows.length} windows but model.inputChannels is ${model.inputChannels}`;
  }
  if (data.inputSize % 2 ** model.poolingLevels !== 0) {
    return `data.inputSize (${data.inputSize}) must be a multiple of 2^model.poolingLevels`;
  }
  if (
    data.patchSize !== undefined &&
    (data.patchSize > data.inputSize || data.patchSize % 2 ** model.poolingLevels !== 0)
  ) {
    return `data.patchSize (${data.patchSize}) must be at most data.inputSize (${data.inputSize}) and a multiple of 2^model.poolingLevels`;
  }
  if (train.microBatch < 1 || train.microBatch > train.batchSize) {
    return `train.microBatch (${train.microBatch}) must be in 1..train.batchSize (${train.batchSize})`;
  }
  const s = data.split;
  const counts = [s.train, s.validation, s.test];
  if (!counts.every((c) => typeof c === "number") && !counts.every(Array.isArray)) {
    return "data.split must give train, validation and test all as counts or all as id lists";
  }
  if (counts.every((c) => typeof c === "number") && !("seed" in s)) {
    return "data.split.seed is missing (needed with counts)";
  }
  return null;
}

/** The file's layers with the profile's patch merged over them (its description dropped). */
async function readProfileLayers(path: string, profile: ProfileName): Promise<Patch> {
  const { profiles, ...merged } = await readFileLayers(path, []);
  const patches = (profiles ?? {}) as Record<string, Patch>;
  if (!(profile in patches) && profile !== "paper") {
    throw new Error(`${path}: has no profile "${profile}"`);
  }
  const { description: _profileDescription, ...patch } = patches[profile] ?? {};
  return merge(merged, patch, fileSpec);
}

/** What a training run asks of a cluster: `slurm` of an experiment file and its profile. */
export interface SlurmResources {
  partition?: string;
  /** Time limit in Slurm's format, e.g. `30:00` or `1-00:00:00`. */
  time?: string;
  /** GPUs per run. */
  gpus?: number;
  /** CPUs per run. */
  cpus?: number;
  /** Memory per run, e.g. `8G`. */
  mem?: string;
}

/**
 * The cluster resources `path` asks for at `profile` (the file's `slurm`, then its
 * profile's, merged key by key; `{}` when neither says). They are not part of the
 * experiment's config, so changing them never makes a run another one.
 * @example
 * await loadSlurmResources("experiments/liver.json", "paper"); // { gpus: 1, time: "2-00:00:00" }
 */
export async function loadSlurmResources(
  path: string,
  profile: ProfileName = "paper",
): Promise<SlurmResources> {
  return ((await readProfileLayers(path, profile)).slurm ?? {}) as SlurmResources;
}

/** Read `path` (following `extends`), apply the profile and overrides, and validate. */
export async function loadExperiment(
  path: string,
  opts: LoadOptions,
): Promise<ExperimentConfig> {
  const profile = opts.profile;
  const label = `${path} (profile ${profile})`;
  const { slurm: _slurm, ...merged } = await readProfileLayers(path, profile);
  let cfg = merged;
  if (opts.overrides) {
    const err = check(opts.overrides, fileSpec, "", true);
    if (err) throw new Error(`overrides: ${err}`);
    cfg = merge(cfg, opts.overrides, fileSpec);
  }
  // Here, not in crossCheck: runs saved before the rule keep a tumor postprocess and still load.
  if (cfg.task === "tumor" && cfg.postprocess !== undefined) {
    throw new Error(`${label}: postprocess applies to the liver experiment only (never read here)`);
  }
  return checkResolvedConfig({ ...cfg, profile }, label);
}

/**
 * Check a resolved config, e.g. a run's `config.json` read back: the schema, the ranges and
 * the cross-section rules of {@linkcode loadExperiment}; an error names `label` and the key.
 * @example
 * checkResolvedConfig(JSON.parse(text), "results/runs/liver/x/config.json");
 */
export function checkResolvedConfig(value: unknown, label: string): ExperimentConfig {
  if (!isObject(value)) throw new Error(`${label}: must be an object, got ${describe(value)}`);
  const { profile, ...cfg } = value;
  if (!(PROFILES as readonly unknown[]).includes(profile)) {
    throw new Error(
      `${label}: profile must be one of ${PROFILES.join(", ")}, got ${JSON.stringify(profile)}`,
    );
  }
  const err = check(cfg, resolvedSpec, "", false);
  if (err) throw new Error(`${label}: ${err}`);
  const resolved = value as unknown as ExperimentConfig;
  const cross = crossCheck(resolved);
  if (cross) throw new Error(`${label}: ${cross}`);
  return resolved;
}
