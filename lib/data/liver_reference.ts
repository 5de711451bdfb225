/**
 * Liver-relative intensities (the data config's `liverMedianHU`; not the paper's): the
 * offset in HU that moves the median of a volume's liver to a fixed value before windowing.
 * Livers differ by tens of HU between patients and contrast phases, while a tumor is darker
 * or brighter than its own liver; with absolute windows a model trained in a few minutes
 * learns "darker than about 60 HU" and calls whole dark livers tumor.
 *
 * @example
 * ```ts
 * const offset = liverOffset(vol, liverMask, 60); // HU to add to every voxel
 * const stats = windows.map((w) => windowStats(vol, w, offset));
 * const x = sliceInput(vol, z, windows, stats, 256, { offsetHU: offset });
 * ```
 * @module
 */
import type { DataConfig } from "../config/experiment.ts";
import { isLiver } from "./segmentation.ts";
import type { Volume } from "./volume.ts";

/** Median HU of `vol` over the voxels where `liver` is non-zero (a volume-sized mask). */
export function liverMedian(vol: Volume, liver: ArrayLike<number>): number {
  const where = vol.source?.path ?? "volume";
  if (liver.length !== vol.data.length) {
    throw new RangeError(
      `liverMedian: the liver mask has ${liver.length} voxels, ${where} has ${vol.data.length}`,
    );
  }
  let n = 0;
  for (let i = 0; i < liver.length; i++) if (liver[i]) n++;
  if (n === 0) throw new RangeError(`liverMedian: the liver mask of ${where} is empty`);
  const values = new Float32Array(n);
  for (let i = 0, k = 0; i < liver.length; i++) if (liver[i]) values[k++] = vol.data[i];
  values.sort();
  return n % 2 === 1 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/** HU to add to `vol` so that the median over `liver` becomes `targetHU`. */
export function liverOffset(vol: Volume, liver: ArrayLike<number>, targetHU: number): number {
  return targetHU - liverMedian(vol, liver);
}

/** The reference liver of a LiTS segmentation (labels >= 1, tumor included) as a 0/1 mask. */
export function referenceLiver(segmentation: Volume): Uint8Array {
  const labels = segmentation.data;
  const mask = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) mask[i] = isLiver(labels[i]) ? 1 : 0;
  return mask;
}

/**
 * The offset a model's input takes (`model_input.ts`): 0 without `liverMedianHU`, else the
 * one that moves the median over `liver` (a volume-sized mask) to it; `model` names the
 * model in the error when it needs a liver and has none.
 */
export function inputOffset(
  data: Pick<DataConfig, "liverMedianHU">,
  vol: Volume,
  liver: ArrayLike<number> | undefined,
  model: string,
): number {
  if (data.liverMedianHU === undefined) return 0;
  if (!liver) {
    throw new Error(
      `${model}: trained with liverMedianHU ${data.liverMedianHU}, so it needs a liver mask`,
    );
  }
  return liverOffset(vol, liver, data.liverMedianHU);
}

/**
 * The offset training applies to a case: 0 without `liverMedianHU`, else measured on the
 * reference liver, as validation does.
 */
export function referenceOffset(
  data: Pick<DataConfig, "liverMedianHU">,
  vol: Volume,
  segmentation: Volume,
): number {
  if (data.liverMedianHU === undefined) return 0;
  return inputOffset(data, vol, referenceLiver(segmentation), "training");
}
