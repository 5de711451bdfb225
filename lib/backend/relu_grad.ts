/**
 * The ReLU gradient as one kernel, `ReluGrad` {dy, x} (float32), where the active backend
 * registers it (`onednn`: oneDNN's ReLU backward), else tfjs's own `dy * step(x)`. That chain
 * costs three kernels, and the `cpu` backend's `Step` calls a closure per value: 157 of 571 ms
 * of a ReLU liver step on one thread. dy where x > 0, else dy * 0: equal to tfjs's chain bit
 * for bit, except that a NaN input gives 0 there, not NaN (the NaN reaches the loss through the
 * forward pass either way).
 *
 * It keeps ReLU's output, not its input: relu(x) > 0 exactly where x > 0 (and is NaN where x
 * is), so the gradient is the same, and the input, often a batch norm's output, need never be
 * written out (the onednn backend then normalises and activates in one pass).
 *
 * @example
 * ```ts
 * registerReluGrad();
 * const g = tf.grad((x) => tf.relu(x).sum())(tf.tensor1d([-1, 2])); // [0, 1]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernel name: {dy, x} -> dx. */
export const RELU_GRAD = "ReluGrad";

let registered = false;

/**
 * Route the ReLU gradient through {@link RELU_GRAD} where the backend registers it (once; later
 * calls do nothing).
 */
export function registerReluGrad(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.Relu,
    outputsToSave: [true],
    gradFunc: (dyOrList, saved) => {
      const dy = dyOrList as tf.Tensor, [x] = saved; // relu(x): see the module doc
      return {
        x: () =>
          x.dtype === "float32" && dy.dtype === "float32" &&
            tf.getKernel(RELU_GRAD, tf.getBackend())
            ? tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor
            : tf.mul(dy, tf.cast(tf.step(x), "float32")),
      };
    },
  });
  registered = true;
}
