/**
 * The spatially weighted cross-entropy of `lib/train/losses.ts` as two kernels, its value
 * (`WeightedCrossEntropy`) and its gradient with respect to the probabilities
 * (`WeightedCrossEntropyGrad`), on the backends that register them (onednn:
 * `native/class_kernels.c`). Written with tf ops the loss and its gradient are about 20 kernels
 * over every output value (clip, log, products, sums, the clip's masks); with this and the C
 * softmax and argmax, the loss tail of a cpu-profile liver step (4 x 256 x 256 pixels) went
 * from 46 to 26 ms on one thread (alternating in one run).
 *
 * Kernel contract: inputs {labels [..., C] one-hot, probs [..., C], weights [...]}, attrs
 * {floor}: `WeightedCrossEntropy` returns the scalar mean over pixels of
 * w * -sum_c g log(clip(p, floor, 1)); `WeightedCrossEntropyGrad` (inputs plus {dy}) returns
 * d/dp, computed as the tf ops' gradient computes it, step for step in float32, so that the
 * two give the same bits (tested).
 *
 * @example
 * ```ts
 * const loss = weightedCrossEntropyFused(labels, probs, weights, 1e-7); // null where no kernel
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export const WEIGHTED_CE = "WeightedCrossEntropy";
export const WEIGHTED_CE_GRAD = "WeightedCrossEntropyGrad";

let disabled = false;

/** Turn the fused loss off (true) or on, for benchmarks and tests that compare both. */
export function useStockWeightedCE(stock: boolean): void {
  disabled = stock;
}

/**
 * The weighted cross-entropy (a scalar, differentiable in `probs`) where the current backend
 * has both kernels; elsewhere null, and the caller writes it with tf ops.
 */
export function weightedCrossEntropyFused(
  labels: tf.Tensor,
  probs: tf.Tensor,
  weights: tf.Tensor,
  floor: number,
): tf.Scalar | null {
  const backend = tf.getBackend();
  if (disabled || tf.getKernel(WEIGHTED_CE, backend) == null) return null;
  if (tf.getKernel(WEIGHTED_CE_GRAD, backend) == null) return null;
  const attrs = { floor };
  // Labels and weights are data, not parameters: the gradient is taken in probs only.
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([p]);
    return {
      value: tf.engine().runKernel(WEIGHTED_CE, { labels, probs: p, weights }, attrs) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) =>
        tf.engine().runKernel(
          WEIGHTED_CE_GRAD,
          { dy, labels, probs: saved, weights },
          attrs,
        ) as tf.Tensor,
    };
  });
  return loss(probs) as tf.Scalar;
}
