/**
 * `--flags K=V,...` of the GPU benchmarks: tfjs environment flags set before the steps
 * (e.g. `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64`, `WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false`), so
 * that a flag is measured, not guessed.
 *
 * @example
 * ```ts
 * setTfFlags("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64"); // after the backend is initialised
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Sets each `K=V` of the comma-separated `spec` (V: true, false or a number). */
export function setTfFlags(spec: string | undefined): Record<string, boolean | number> {
  const set: Record<string, boolean | number> = {};
  for (const item of (spec ?? "").split(",").filter((s) => s.trim())) {
    const [key, raw] = item.split("=").map((s) => s.trim());
    const value = raw === "true" ? true : raw === "false" ? false : Number(raw);
    if (!key || raw === undefined || (typeof value === "number" && !Number.isFinite(value))) {
      throw new Error(`--flags: '${item}' is not K=V with V true, false or a number`);
    }
    tf.env().set(key, value);
    set[key] = value;
  }
  return set;
}
