/**
 * The Adam + L2 update of one variable (`lib/train/adam.ts`) as one kernel, `AdamUpdate`, on
 * every backend that registers it: webgpu (one dispatch, `webgpu_adam.ts`) and onednn (one
 * pass in JS over the cpu backend's arrays, {@link adamUpdateCpu}). Written with tf ops the
 * update is 12 to 14 kernels a variable: on webgpu as many dispatches, on a CPU as many passes
 * and as many times tfjs's per-kernel bookkeeping.
 *
 * Kernel contract: inputs {w, g, m, v}, attrs {@link AdamConstants}; returns [w', m', v'] with
 * g' = g + decay w; m' = b1 m + (1 - b1) g'; v' = b2 v + (1 - b2) g'^2;
 * w' = w - m' / (sqrt(v') + eps) * rate, the same operations in the same order as adam.ts.
 *
 * @example
 * ```ts
 * const out = adamUpdateFused(w, g, m, v, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
 *   rate: lrT, decay: 5e-6 }); // null where no kernel; else [w', m', v'], owned by the caller
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export const ADAM_UPDATE = "AdamUpdate";

/** Constants of one update: `rate` is the bias-corrected rate, `decay` the L2 factor or 0. */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
  rate: number;
  decay: number;
}

let disabled = false;

/** Turn the fused update off (true) or on, for benchmarks and tests that compare both. */
export function useStockAdam(stock: boolean): void {
  disabled = stock;
}

/**
 * [w', m', v'] of one Adam step of `w` (new tensors, the inputs untouched) where the current
 * backend has the kernel; elsewhere null, and the caller runs the update as tf ops.
 */
export function adamUpdateFused(
  w: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  c: AdamConstants,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (disabled || w.dtype !== "float32") return null;
  if (tf.getKernel(ADAM_UPDATE, tf.getBackend()) == null) return null;
  const out = tf.engine().runKernel(ADAM_UPDATE, { w, g, m, v }, { ...c }) as tf.Tensor[];
  return [out[0], out[1], out[2]];
}

/**
 * The update over plain arrays, every operation rounded to float32 as tfjs's cpu kernels
 * round each op's result, so the values equal the tf-op update's bit for bit.
 */
export function adamUpdateCpu(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  c: AdamConstants,
  out: { w: Float32Array; m: Float32Array; v: Float32Array },
): void {
  const f = Math.fround;
  const decay = f(c.decay), b1 = f(c.beta1), c1 = f(1 - c.beta1);
  const b2 = f(c.beta2), c2 = f(1 - c.beta2), eps = f(c.epsilon), rate = f(c.rate);
  for (let i = 0; i < w.length; i++) {
    const grad = c.decay !== 0 ? f(g[i] + f(w[i] * decay)) : g[i];
    const mi = f(f(m[i] * b1) + f(grad * c1));
    const vi = f(f(v[i] * b2) + f(f(grad * grad) * c2));
    out.m[i] = mi;
    out.v[i] = vi;
    out.w[i] = f(w[i] - f(f(mi / f(f(Math.sqrt(vi)) + eps)) * rate));
  }
}
