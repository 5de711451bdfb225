/**
 * The softmax gradient as one kernel, `SoftmaxGrad` {dy, y} (float32, the last axis), where
 * the active backend registers it (`onednn`: `native/class_kernels.c`), else tfjs's own
 * `dy y - sum(dy y) y`. That chain is four kernels over every output value (8 ms of a liver
 * step at the cpu profile, whose softmax covers 4 x 256 x 256 pixels); the kernel does the same
 * float operations per row, so it gives the same bits (tested).
 *
 * @example
 * ```ts
 * registerSoftmaxGrad();
 * const g = tf.grad((x) => tf.softmax(x).mul([1, 0]).sum())(tf.tensor1d([0, 1]));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernel name: {dy, y} -> dx, over the last axis. */
export const SOFTMAX_GRAD = "SoftmaxGrad";

let registered = false;

/**
 * Route the softmax gradient through {@link SOFTMAX_GRAD} where the backend registers it (once;
 * later calls do nothing).
 */
export function registerSoftmaxGrad(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dyOrList, saved, attrs) => {
      const dy = dyOrList as tf.Tensor, [y] = saved;
      const dim = (attrs as unknown as tf.SoftmaxAttrs).dim;
      const last = dim === -1 || dim === y.rank - 1;
      return {
        logits: () => {
          if (last && dy.dtype === "float32" && tf.getKernel(SOFTMAX_GRAD, tf.getBackend())) {
            return tf.engine().runKernel(SOFTMAX_GRAD, { dy, y }) as tf.Tensor;
          }
          const dyTimesY = tf.mul(dy, y);
          return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
        },
      };
    },
  });
  registered = true;
}
