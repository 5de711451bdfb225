/**
 * Reading one case, `volume-N` / `segmentation-N` of a LiTS-layout folder, for
 * training (synchronous, from its dataset entry) and for figures (by id; a
 * missing case is an error naming the folder and the ids it has). Both check
 * the pair alike: one grid, LiTS labels only. Also the label counts per slice
 * that the figures plot.
 *
 * @example
 * ```ts
 * const c = await loadCase("../data/synthetic", 0);
 * c.source;                          // "../data/synthetic/volume-0.nii"
 * caseSliceCounts(c.segmentation);   // [{ z: 0, liver: 0, tumor: 0 }, ...]
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CaseEntry, indexDataset } from "./dataset.ts";
import { NiftiError } from "./nifti_error.ts";
import { gunzipMembers, isGzip, parseNifti, readNifti } from "./nifti_read.ts";
import {
  asLabels,
  checkLabels,
  checkSameGrid,
  isLiver,
  isTumor,
  LITS_LABELS,
} from "./segmentation.ts";
import { sliceCounts } from "./slice_counts.ts";
import type { Volume } from "./volume.ts";

/** A case's volume and labels, in canonical order. */
export interface LoadedCase {
  volume: Volume;
  segmentation: Volume<Uint8Array>;
}

/** A case's CT (HU) and reference labels, and where they came from. */
export interface CtCase extends LoadedCase {
  id: number;
  /** The volume's file. */
  source: string;
}

/** The pair checked: the segmentation on the volume's grid, with LiTS labels only. */
function checkedCase(volume: Volume, segmentation: Volume, segPath: string): LoadedCase {
  const labels: Volume<Uint8Array> = {
    ...segmentation,
    data: asLabels(segmentation.data, segPath),
  };
  checkSameGrid(labels, volume, segPath);
  checkLabels(labels, LITS_LABELS, segPath);
  return { volume, segmentation: labels };
}

function readVolumeSync(path: string): Volume {
  let bytes: Uint8Array = readFileSync(path);
  if (isGzip(bytes)) bytes = gunzipMembers(bytes, path);
  return parseNifti(bytes, path, { inPlace: true });
}

/** Read a dataset entry's volume and segmentation synchronously (the sampler reads in `next`). */
export function loadCaseSync(c: CaseEntry): LoadedCase {
  if (!c.segmentationPath) throw new Error(`case ${c.id} (${c.volumePath}) has no segmentation`);
  return checkedCase(
    readVolumeSync(c.volumePath),
    readVolumeSync(c.segmentationPath),
    c.segmentationPath,
  );
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
    return {
      id,
      ...checkedCase(await readNifti(file), await readNifti(segFile), segFile),
      source: file,
    };
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
