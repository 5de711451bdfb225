/**
 * Gradient of `FusedBatchNorm` without `Tile`, for every backend. tfjs-core's version tiles
 * the per-channel factor to the full activation shape and multiplies twice; here the
 * per-channel factors are folded first and broadcast, so each input gradient costs one
 * full-size multiply or one reduction.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

function gradFunc(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const eps = attrs.varianceEpsilon as number;
  const [x, mean, variance, scale] = saved;
  const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
  const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
  const inv = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
  const gain = scale == null ? inv : tf.mul(inv, scale);
  // Per-channel sums shared by the mean/variance/scale/offset gradients. Computed here, not in
  // the closures: the engine runs each closure in its own tidy, which would free a cache.
  const sumDy = reduce(dy);
  const sumDyCentered = reduce(tf.mul(dy, tf.sub(x, mean)));
  return {
    x: () => tf.mul(dy, gain),
    mean: () => tf.reshape(tf.neg(tf.mul(gain, sumDy)), mean.shape),
    variance: () => {
      const g = scale == null ? tf.scalar(1) : scale;
      const factor = tf.mul(tf.mul(tf.pow(inv, tf.scalar(3)), tf.scalar(-0.5)), g);
      return tf.reshape(tf.mul(factor, sumDyCentered), mean.shape);
    },
    scale: () => tf.reshape(tf.mul(inv, sumDyCentered), mean.shape),
    offset: () => tf.reshape(sumDy, mean.shape), // a new handle: the engine may dispose it
  };
}

let registered = false;

/**
 * Registers the tile-free `FusedBatchNorm` gradient (once; later calls do nothing).
 * @example
 * registerBatchNormGrad();
 * const g = tf.grad((x) => tf.batchNorm(x, m, v).sum())(x);
 */
export function registerBatchNormGrad(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ["x", "mean", "variance", "scale"],
    gradFunc: gradFunc as tf.GradFunc,
  });
  registered = true;
}
