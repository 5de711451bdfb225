/**
 * A LiTS-layout dataset folder (`volume-N.nii[.gz]`, `segmentation-N.nii[.gz]`)
 * indexed from headers only, and its train/validation/test split.
 *
 * @example
 * ```ts
 * const cases = await indexDataset("data/lits", { requireSegmentation: true });
 * const { train, validation, test } = splitCases(cases, { seed: 1, train: 91, validation: 26, test: 14 });
 * ```
 * @module
 */
import { join } from "node:path";
import type { SplitConfig } from "../config/experiment.ts";
import { NiftiError } from "./nifti_error.ts";
import { readNiftiHeader } from "./nifti_read.ts";
import { createRng } from "../util/prng.ts";
import type { Vec3 } from "./volume.ts";

/** One case of a dataset folder, from its headers. */
export interface CaseEntry {
  /** N of `volume-N`. */
  id: number;
  volumePath: string;
  /** Absent for unlabelled (test) cases. */
  segmentationPath?: string;
  /** Canonical shape and spacing of the volume. */
  shape: Vec3;
  spacing: Vec3;
}

export interface IndexOptions {
  /** Report volumes without a segmentation as a problem (training data). Default false. */
  requireSegmentation?: boolean;
}

const NAME = /^(volume|segmentation)-(\d+)\.nii(\.gz)?$/;

/**
 * Index a LiTS-layout folder, sorted by id. All problems (segmentation
 * without volume, two files for one case, volume/segmentation shape mismatch,
 * missing segmentation when required, unreadable headers) are collected and
 * reported together, each by case name.
 */
export async function indexDataset(root: string, opts: IndexOptions = {}): Promise<CaseEntry[]> {
  const files = { volume: new Map<number, string>(), segmentation: new Map<number, string>() };
  const problems: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) {
      const m = e.isFile || e.isSymlink ? NAME.exec(e.name) : null;
      if (!m) continue;
      const kind = m[1] as "volume" | "segmentation";
      const id = Number(m[2]);
      const seen = files[kind].get(id);
      if (seen) {
        problems.push(`${kind}-${id}: two files (${basename(seen)}, ${e.name})`);
      }
      files[kind].set(id, join(root, e.name));
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NiftiError(root, "no such folder", { cause: err });
    }
    throw new NiftiError(root, `cannot list: ${(err as Error).message}`, { cause: err });
  }
  if (files.volume.size === 0) {
    throw new NiftiError(root, "no volume-N.nii or volume-N.nii.gz files");
  }
  for (const id of files.segmentation.keys()) {
    if (!files.volume.has(id)) problems.push(`case ${id}: segmentation-${id} has no volume-${id}`);
  }

  const ids = [...files.volume.keys()].sort((a, b) => a - b);
  const entryOf = async (id: number): Promise<CaseEntry | null> => {
    const volumePath = files.volume.get(id)!;
    const segmentationPath = files.segmentation.get(id);
    try {
      const vh = await readNiftiHeader(volumePath);
      if (segmentationPath) {
        const sh = await readNiftiHeader(segmentationPath);
        if (sh.shape.some((n, i) => n !== vh.shape[i])) {
          problems.push(
            `case ${id}: segmentation shape ${sh.shape.join("x")} differs from volume ${
              vh.shape.join("x")
            }`,
          );
        }
      } else if (opts.requireSegmentation) {
        problems.push(`case ${id}: no segmentation-${id}.nii[.gz]`);
      }
      const entry: CaseEntry = { id, volumePath, shape: vh.shape, spacing: vh.spacing };
      if (segmentationPath) entry.segmentationPath = segmentationPath;
      return entry;
    } catch (err) {
      problems.push(`case ${id}: ${(err as Error).message}`);
      return null;
    }
  };
  // One header at a time (a 512-byte gzip prefix each: 48 cases in 0.1 s), so problems are
  // listed in id order.
  const entries: (CaseEntry | null)[] = [];
  for (const id of ids) entries.push(await entryOf(id));
  if (problems.length > 0) {
    throw new NiftiError(root, `${problems.length} problem(s): ${problems.join("; ")}`);
  }
  return entries as CaseEntry[];
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/** The three parts of a split. */
export interface Split<T> {
  train: T[];
  validation: T[];
  test: T[];
}

const PARTS = ["train", "validation", "test"] as const;

/**
 * Split cases by seeded counts (a deterministic shuffle of the ids, sorted
 * first, so the order cases were given in does not matter) or by explicit id
 * lists (unknown ids, repeats and overlaps are errors naming the ids).
 */
export function splitCases<T extends { id: number }>(cases: T[], split: SplitConfig): Split<T> {
  const byId = new Map(cases.map((c) => [c.id, c]));
  if ("seed" in split) {
    const want = split.train + split.validation + split.test;
    if (PARTS.some((p) => !(Number.isInteger(split[p]) && split[p] >= 0))) {
      throw new Error(`split counts must be whole numbers >= 0: ${JSON.stringify(split)}`);
    }
    if (want > cases.length) {
      throw new Error(
        `split asks for ${split.train}+${split.validation}+${split.test} = ${want} cases, ` +
          `the dataset has ${cases.length}`,
      );
    }
    const ids = [...byId.keys()].sort((a, b) => a - b);
    const rng = createRng(split.seed);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const pick = (from: number, n: number) =>
      ids.slice(from, from + n).sort((a, b) => a - b).map((id) => byId.get(id)!);
    return {
      train: pick(0, split.train),
      validation: pick(split.train, split.validation),
      test: pick(split.train + split.validation, split.test),
    };
  }
  const problems: string[] = [];
  const owner = new Map<number, string>();
  for (const part of PARTS) {
    for (const id of split[part]) {
      const other = owner.get(id);
      if (other === part) problems.push(`id ${id} twice in ${part}`);
      else if (other) problems.push(`id ${id} in both ${other} and ${part}`);
      owner.set(id, part);
    }
  }
  const unknown = [...owner.keys()].filter((id) => !byId.has(id));
  if (unknown.length > 0) problems.unshift(`unknown case ids ${unknown.join(", ")}`);
  if (problems.length > 0) throw new Error(`split: ${problems.join("; ")}`);
  return {
    train: split.train.map((id) => byId.get(id)!),
    validation: split.validation.map((id) => byId.get(id)!),
    test: split.test.map((id) => byId.get(id)!),
  };
}

/** Index `root` and split its cases by `split`: the one way a folder becomes its three parts. */
export async function datasetSplit(
  root: string,
  split: SplitConfig,
  opts: IndexOptions = {},
): Promise<Split<CaseEntry>> {
  return splitCases(await indexDataset(root, opts), split);
}
