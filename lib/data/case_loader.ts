/**
 * One CT case for the figures: read `volume-N` / `segmentation-N` from a
 * LiTS-layout folder (a missing case is an error naming the folder and the ids
 * it has), and the label counts per slice that the figures plot.
 *
 * @example
 * ```ts
 * const c = await loadCase("../data/synthetic", 0);
 * c.source;                          // "../data/synthetic/volume-0.nii.gz"
 * caseSliceCounts(c.segmentation);   // [{ z: 0, liver: 0, tumor: 0 }, ...]
 * ```
 * @module
 */
import { join } from "node:path";
import { indexDataset } from "./dataset.ts";
import { NiftiError } from "./nifti_error.ts";
import { readNifti } from "./nifti_read.ts";
import { checkSameGrid, isLiver, isTumor } from "./segmentation.ts";
import { sliceCounts } from "./slice_counts.ts";
import type { Volume } from "./volume.ts";

/** A case's CT (HU) and reference labels, and where they came from. */
export interface CtCase {
  id: number;
  volume: Volume;
  segmentation: Volume;
  /** The volume's file. */
  source: string;
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

/** Case `id` of `dataRoot`: `volume-N.nii[.gz]` and its `segmentation-N`. */
export async function loadCase(dataRoot: string, id: number): Promise<CtCase> {
  const file = await firstExisting(
    [".nii.gz", ".nii"].map((ext) => join(dataRoot, `volume-${id}${ext}`)),
  );
  if (file) {
    const segFile = await firstExisting(
      [".nii.gz", ".nii"].map((ext) => join(dataRoot, `segmentation-${id}${ext}`)),
    );
    if (!segFile) throw new Error(`${file}: no segmentation-${id}.nii[.gz] beside it`);
    const volume = await readNifti(file);
    const segmentation = await readNifti(segFile);
    checkSameGrid(segmentation, volume, segFile);
    return { id, volume, segmentation, source: file };
  }
  const ids = (await indexDataset(dataRoot)).map((c) => c.id);
  throw new NiftiError(dataRoot, `no case ${id} (volume-${id}.nii[.gz]); it has ${ids.join(", ")}`);
}

/** Liver (labels >= 1) and tumor (label 2) voxels of one slice. */
export interface SliceLabelCount {
  z: number;
  liver: number;
  tumor: number;
}

/** Liver and tumor voxels of every axial slice. */
export function caseSliceCounts(seg: Volume): SliceLabelCount[] {
  const tumor = sliceCounts(seg, isTumor);
  return sliceCounts(seg, isLiver).map((liver, z) => ({ z, liver, tumor: tumor[z] }));
}

/** Smallest and largest value of a volume (a loop: spreading 10^7 voxels into Math.min overflows the stack). */
export function valueRange(vol: Pick<Volume, "data">): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < vol.data.length; i++) {
    const v = vol.data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
