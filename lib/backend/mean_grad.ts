/**
 * Gradient of `Mean` for every backend: dy / n broadcast to the input's shape (`Tile`).
 * tfjs-core's version multiplies dy by a tensor of ones of the input's full size and then
 * divides, which allocates and fills that tensor in JS on every call (on wasm and webgpu it is
 * also uploaded) and makes two full passes; batch-norm statistics take this gradient twice per
 * layer. The values are the same: (dy * 1) / n and dy / n are equal in floating point.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

function gradFunc(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x] = saved;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const [, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const reduceSize = tf.util.sizeFromShape(reduceShape);
  return {
    x: () => {
      const expanded = x.shape.slice();
      for (const axis of axes) expanded[axis] = 1;
      return tf.broadcastTo(tf.div(tf.reshape(dy, expanded), reduceSize), x.shape);
    },
  };
}

let registered = false;

/**
 * Registers the broadcast `Mean` gradient (once; later calls do nothing).
 * @example
 * registerMeanGrad();
 * const g = tf.grad((x) => x.mean(0))(x);
 */
export function registerMeanGrad(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.Mean,
    inputsToSave: ["x"],
    gradFunc: gradFunc as tf.GradFunc,
  });
  registered = true;
}
