/**
 * The model's input, one function for training (the sampler) and inference (the cascade), so
 * both see the same pixels: each HU window of `windows` min-max normalised over the whole
 * volume (after the liver offset, `liver_reference.ts`), the axial slice resampled to
 * `inputSize` and optionally histogram-equalised (`preprocess.ts`), channels last.
 *
 * @example
 * ```ts
 * const inputOf = modelInput(vol, cfg.data, referenceOffset(cfg.data, vol, seg));
 * const x = inputOf([40, 41]); // 2 * inputSize * inputSize * windows.length values in [0, 1]
 * ```
 * @module
 */
import type { DataConfig } from "../config/experiment.ts";
import { sliceInput, valueRange, windowStats } from "./preprocess.ts";
import type { Volume } from "./volume.ts";

/** The settings of the data config that shape the input. */
export type InputConfig = Pick<DataConfig, "windows" | "inputSize" | "histogramEqualize">;

/**
 * The inputs of slices of `vol` with `offsetHU` added before windowing: a function of the
 * slices `zs`, returning their inputs one after the other (each `inputSize`² x windows, HWC).
 * The windows' statistics are measured once, over the whole volume.
 */
export function modelInput(
  vol: Volume,
  data: InputConfig,
  offsetHU: number,
): (zs: readonly number[]) => Float32Array {
  const range = valueRange(vol);
  const stats = data.windows.map((w) => windowStats(vol, w, offsetHU, range));
  const length = data.inputSize * data.inputSize * data.windows.length;
  return (zs) => {
    const out = new Float32Array(zs.length * length);
    zs.forEach((z, k) => {
      const x = sliceInput(vol, z, data.windows, stats, data.inputSize, {
        histogramEqualize: data.histogramEqualize,
        offsetHU,
      });
      out.set(x, k * length);
    });
    return out;
  };
}
