/**
 * Batch normalisation in training (tfjs-layers' `BatchNormalization`, channels last) as two
 * kernels, `BatchNormTrain` and `BatchNormTrainGrad`, on every backend that registers them.
 * tfjs computes it through `tf.moments` and autodiff: a mean, a centring, a square, another
 * mean, the normalisation, and about a dozen full-size passes back through them. A backend
 * with a fused batch norm (oneDNN's primitive) does the same in one pass forward and one back.
 *
 * Same quantities as tfjs-layers: the batch mean and biased variance per channel,
 * y = (x - mean) / sqrt(var + eps) * gamma + beta, the moving averages
 * moving - (moving - batch) * (1 - momentum), and the exact gradient of y through the batch
 * statistics.
 *
 * Kernel contract: `BatchNormTrain` takes {x, gamma, beta, mm, mv} and {epsilon, decay} and
 * returns [y, mean, variance, new mm, new mv]; `BatchNormTrainGrad` takes
 * {dy, x, gamma, mean, variance} and {epsilon} and returns [dx, dgamma, dbeta].
 *
 * @example
 * ```ts
 * routeTrainingBatchNorm(); // then layers train through the kernels where they exist
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export const BATCH_NORM_TRAIN = "BatchNormTrain";
export const BATCH_NORM_TRAIN_GRAD = "BatchNormTrainGrad";

/** The fields of tfjs-layers' BatchNormalization (4.22) read here. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor };
  beta: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(t: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(t: tf.Tensor): void };
}

/** One training-mode batch norm of `x` through the kernels, updating the moving stats. */
function trainingBatchNorm(layer: BatchNormLayer, x: tf.Tensor): tf.Tensor {
  const eps = layer.epsilon;
  // customGrad passes the inputs, then the save function.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, gamma, beta] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const mm = layer.movingMean.read();
    const mv = layer.movingVariance.read();
    const [y, mean, variance, mmNew, mvNew] = tf.engine().runKernel(
      BATCH_NORM_TRAIN,
      { x: xs, gamma, beta, mm, mv },
      { epsilon: eps, decay: 1 - layer.momentum },
    ) as tf.Tensor[];
    layer.movingMean.write(mmNew);
    layer.movingVariance.write(mvNew);
    save([xs, gamma, mean, variance]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xv, g, m, v] = saved;
        return tf.engine().runKernel(
          BATCH_NORM_TRAIN_GRAD,
          { dy, x: xv, gamma: g, mean: m, variance: v },
          { epsilon: eps },
        ) as tf.Tensor[];
      },
    };
  });
  return op(x, layer.gamma.read(), layer.beta.read());
}

let routed = false;
let stock = false;

/** Route training batch norms back to tfjs-layers' own ops (true) or through the kernels. */
export function useStockBatchNorm(useStock: boolean): void {
  stock = useStock;
}

/**
 * Routes `BatchNormalization.call` in training mode (4D, channels last, with gamma and beta)
 * through the kernels when the current backend registers them; everything else keeps
 * tfjs-layers' code. Idempotent.
 */
export function routeTrainingBatchNorm(): void {
  if (routed) return;
  // tfjs-layers does not export the class; every instance shares its prototype.
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as {
    call(
      this: BatchNormLayer,
      inputs: tf.Tensor | tf.Tensor[],
      kwargs: tf.serialization.ConfigDict,
    ): tf.Tensor;
  };
  const original = proto.call;
  proto.call = function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const ours = !stock && kwargs?.["training"] &&
      tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) != null &&
      (!Array.isArray(inputs) || inputs.length === 1) && x.rank === 4 && x.dtype === "float32" &&
      (this.axis === -1 || this.axis === 3) && this.center && this.scale;
    if (!ours) return original.call(this, inputs, kwargs);
    return tf.tidy(() => trainingBatchNorm(this, x));
  };
  routed = true;
}
