/**
 * Label volumes: read a segmentation, check it against its CT volume and its
 * label set, count labels. LiTS labels are 0 background, 1 liver, 2 tumor.
 *
 * @example
 * ```ts
 * const ct = await readNifti("volume-3.nii");
 * const seg = await readSegmentation("segmentation-3.nii", ct); // shape + labels checked
 * labelCounts(seg); // Map { 0 => ..., 1 => ..., 2 => ... }
 * ```
 * @module
 */
import { NiftiError } from "./nifti_error.ts";
import { geometryMismatch } from "./geometry.ts";
import { readNifti } from "./nifti_read.ts";
import type { Volume, VoxelArray } from "./volume.ts";

/** The LiTS label set. */
export const LITS_LABELS: readonly number[] = [0, 1, 2];

/** LiTS label selectors: liver is every label >= 1 (tumor lies inside the liver), tumor is 2. */
export const isLiver = (label: number): boolean => label >= 1;
export const isTumor = (label: number): boolean => label === 2;

/**
 * Whether LiTS label `v` belongs to the target of a model: the liver target is the whole
 * liver, tumor included; the tumor target is label 2.
 * @example
 * isTargetLabel(2, "liver"); // true
 */
export function isTargetLabel(v: number, target: "liver" | "tumor"): boolean {
  return target === "liver" ? isLiver(v) : isTumor(v);
}

export interface ReadSegmentationOptions {
  /** Labels allowed; `null` allows any integer 0..255. Default {@link LITS_LABELS}. */
  allowedLabels?: readonly number[] | null;
}

/** Count of voxels of each value, keys ascending. */
export function labelCounts(vol: Pick<Volume, "data">): Map<number, number> {
  const counts = new Map<number, number>();
  const data = vol.data;
  if (data instanceof Uint8Array) {
    const hist = new Float64Array(256);
    for (let i = 0; i < data.length; i++) hist[data[i]]++;
    hist.forEach((n, v) => n > 0 && counts.set(v, n));
    return counts;
  }
  for (let i = 0; i < data.length; i++) counts.set(data[i], (counts.get(data[i]) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => a[0] - b[0]));
}

/** `data` as a Uint8Array: itself, or a copy when every value is an integer in 0..255. */
export function asLabels(data: VoxelArray, path: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new NiftiError(path, `not a label image: value ${v} at voxel ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Throws when `seg` and `like` are not on the same grid: shape (canonical order, as both are
 * read) or affine beyond `GEOMETRY_TOLERANCE` (geometry.ts); the message names both files.
 */
export function checkSameGrid(seg: Volume, like: Volume, path: string): void {
  const problem = geometryMismatch(seg, like);
  if (problem) {
    const other = like.source?.path ?? "its volume";
    throw new NiftiError(path, `not on the grid of ${other}: ${problem}`);
  }
}

/** Throws on labels outside `allowed`, naming them and their voxel counts. */
export function checkLabels(seg: Volume, allowed: readonly number[], path: string): void {
  const unknown = [...labelCounts(seg)].filter(([v]) => !allowed.includes(v));
  if (unknown.length > 0) {
    const list = unknown.map(([v, n]) => `${v} (${n} voxels)`).join(", ");
    throw new NiftiError(path, `unknown labels ${list}; allowed: ${allowed.join(", ")}`);
  }
}

/**
 * Read a label volume as Uint8Array (integer files of other types are
 * converted), checking its shape against `like` and its labels against
 * `opts.allowedLabels` (LiTS 0/1/2 by default).
 */
export async function readSegmentation(
  path: string,
  like?: Volume,
  opts: ReadSegmentationOptions = {},
): Promise<Volume<Uint8Array>> {
  const vol = await readNifti(path);
  const seg: Volume<Uint8Array> = { ...vol, data: asLabels(vol.data, path) };
  if (like) checkSameGrid(seg, like, path);
  const allowed = opts.allowedLabels === undefined ? LITS_LABELS : opts.allowedLabels;
  if (allowed) checkLabels(seg, allowed, path);
  return seg;
}
