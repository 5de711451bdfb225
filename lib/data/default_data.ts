/**
 * The embedded default data: the synthetic LiTS-layout set that `deno task data`
 * writes to `data/synthetic`, generated on first use so that a fresh clone runs
 * the notebooks without a step before. Any other folder must already hold cases:
 * a mistyped path fails here, naming it, instead of running on something else.
 *
 * @example
 * ```ts
 * await ensureDataRoot("../data/synthetic"); // generates the set once, with progress
 * await ensureDataRoot("/data/LiTS");         // checks it holds volume-N files
 * ```
 * @module
 */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createProgress, type Progress } from "../util/progress.ts";
import { indexDataset } from "./dataset.ts";
import { NiftiError } from "./nifti_error.ts";
import {
  DEFAULT_SYNTHETIC_CASES,
  DEFAULT_SYNTHETIC_SEED,
  isSyntheticSet,
  writeSyntheticSet,
} from "./synthetic.ts";

/** Absolute path of the default data folder, `<repo>/data/synthetic`. */
export const DEFAULT_DATA_DIR: string = fileURLToPath(
  new URL("../../data/synthetic", import.meta.url),
);

/** In-plane size of the default set (as `deno task data`). */
export const DEFAULT_SYNTHETIC_SIZE = 512;

/** Options of {@link ensureDataRoot}. */
export interface EnsureDataOptions {
  /** Progress of the generation (default: a bar on stderr). */
  progress?: (total: number, label: string) => Progress;
  /** Folder treated as the default (tests point it at a temp dir). */
  defaultDir?: string;
  /** Cases, size and seed of a generated default set (tests make it small). */
  synthetic?: { cases?: number; size?: number; seed?: number; slices?: number };
}

/** What {@link ensureDataRoot} did. */
export type EnsureDataOutcome = "present" | "generated";

/**
 * Make `dataRoot` usable: the default folder is generated when it lacks a
 * finished set (`synthetic.json` is written last, so an interrupted generation
 * starts over); any other folder must exist and hold `volume-N` files, else a
 * {@link NiftiError} names it and says what to pass instead.
 */
export async function ensureDataRoot(
  dataRoot: string,
  opts: EnsureDataOptions = {},
): Promise<EnsureDataOutcome> {
  const defaultDir = resolve(opts.defaultDir ?? DEFAULT_DATA_DIR);
  if (resolve(dataRoot) !== defaultDir) {
    try {
      await indexDataset(dataRoot);
    } catch (err) {
      if (!(err instanceof NiftiError) || err.path !== dataRoot) throw err;
      throw new NiftiError(
        dataRoot,
        `${err.problem}${resolve(dataRoot) === dataRoot ? "" : ` (${resolve(dataRoot)})`}. ` +
          `dataRoot must be a LiTS-layout folder ` +
          `(volume-N.nii[.gz] and segmentation-N.nii[.gz]), or the default ` +
          `${relative(Deno.cwd(), defaultDir) || "."}, which is generated on first use`,
        { cause: err },
      );
    }
    return "present";
  }
  if (await isSyntheticSet(defaultDir)) return "present";
  const s = opts.synthetic ?? {};
  const total = s.cases ?? DEFAULT_SYNTHETIC_CASES;
  const label = `synthetic CT (first use of ${relative(Deno.cwd(), defaultDir) || "."})`;
  const bar = (opts.progress ?? ((n, l) => createProgress({ total: n, label: l })))(total, label);
  const summary = await writeSyntheticSet({
    out: defaultDir,
    cases: total,
    size: s.size ?? DEFAULT_SYNTHETIC_SIZE,
    seed: s.seed ?? DEFAULT_SYNTHETIC_SEED,
    slices: s.slices,
    onProgress: (done) => bar.update(done),
  });
  bar.done({ seconds: summary.seconds.toFixed(1) });
  return "generated";
}
