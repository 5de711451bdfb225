/**
 * Training losses: spatially weighted cross-entropy, soft Dice of the target
 * class, and their weighted sum (`LossConfig`).
 *
 * Shapes: `labels` and `probs` are [B, S, S, C] (labels one-hot, probs a
 * softmax), `weights` is [B, S, S]. Class 1 is the target class (liver for the
 * liver model, tumor for the tumor model).
 *
 * Normalisation: both losses are means over slices of a per-slice value, so the
 * loss of a batch is the mean of the losses of its micro-batches weighted by
 * their size, and gradient accumulation reproduces the full-batch gradient.
 *
 * @example
 * ```ts
 * const loss = combinedLoss(cfg.train.loss, batch.labels, probs, batch.weights);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LossConfig } from "../config/experiment.ts";
import { weightedCrossEntropyFused } from "../backend/weighted_ce.ts";

/** Probabilities are clipped to [PROB_FLOOR, 1] before the log, so log(0) never occurs. */
export const PROB_FLOOR = 1e-7;

/** The class whose Dice is optimised and reported. */
export const TARGET_CLASS = 1;

/**
 * Spatially weighted cross-entropy: the mean over all B*S*S pixels of
 * w * -sum_c g_c log p_c. The weights are not re-normalised (dividing by the
 * pixel count, not by the sum of weights), as in the TF1 prototype's
 * `reduce_mean(weights * cross_entropy)`.
 */
export function weightedCrossEntropy(
  labels: tf.Tensor4D,
  probs: tf.Tensor4D,
  weights: tf.Tensor3D,
): tf.Scalar {
  // One kernel each way where the backend has them (onednn), the same gradient bit for bit.
  const fused = weightedCrossEntropyFused(labels, probs, weights, PROB_FLOOR);
  if (fused !== null) return fused;
  return tf.tidy(() => {
    const logp = probs.clipByValue(PROB_FLOOR, 1).log();
    const ce = labels.mul(logp).sum(-1).neg(); // [B, S, S]
    return ce.mul(weights).mean() as tf.Scalar;
  });
}

/** Soft Dice of class `cls` per slice: 2 sum(p g) / (sum p + sum g + eps), shape [B]. */
export function softDicePerSlice(
  labels: tf.Tensor4D,
  probs: tf.Tensor4D,
  epsilon: number,
  cls = TARGET_CLASS,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, h, w] = labels.shape;
    const g = labels.slice([0, 0, 0, cls], [b, h, w, 1]).reshape([b, -1]);
    const p = probs.slice([0, 0, 0, cls], [b, h, w, 1]).reshape([b, -1]);
    const inter = p.mul(g).sum(1);
    return inter.mul(2).div(p.sum(1).add(g.sum(1)).add(epsilon)) as tf.Tensor1D;
  });
}

/** Soft Dice loss: 1 - mean over slices of the soft Dice of the target class. */
export function softDiceLoss(labels: tf.Tensor4D, probs: tf.Tensor4D, epsilon: number): tf.Scalar {
  return tf.tidy(() => tf.scalar(1).sub(softDicePerSlice(labels, probs, epsilon).mean()));
}

/** `crossEntropy * weightedCE + dice * softDiceLoss`; a term with weight 0 is not computed. */
export function combinedLoss(
  cfg: LossConfig,
  labels: tf.Tensor4D,
  probs: tf.Tensor4D,
  weights: tf.Tensor3D,
): tf.Scalar {
  return tf.tidy(() => {
    let loss: tf.Scalar = tf.scalar(0);
    if (cfg.crossEntropy !== 0) {
      loss = loss.add(weightedCrossEntropy(labels, probs, weights).mul(cfg.crossEntropy));
    }
    if (cfg.dice !== 0) {
      loss = loss.add(softDiceLoss(labels, probs, cfg.diceEpsilon).mul(cfg.dice));
    }
    return loss;
  });
}

/**
 * Counts for the hard Dice of the target class over a batch (prediction = argmax), as a
 * tensor `[|P and G|, |P| + |G|]` so it can be kept inside a gradient tape. Pool them over
 * batches and report `diceFromCounts` (`lib/metrics/overlap.ts`).
 */
export function hardDiceCounts(labels: tf.Tensor4D, probs: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const pred = isTargetClass(probs), g = isTargetClass(labels);
    return tf.stack([pred.mul(g).sum(), pred.sum().add(g.sum())]) as tf.Tensor1D;
  });
}

/**
 * 1 where the argmax over the last axis is {@link TARGET_CLASS}, else 0. With two classes the
 * argmax is that indicator itself, which saves an `Equal` with a broadcast scalar: on the cpu
 * backends the costlier half of this metric (0.8 of 1.2 s an epoch of the cpu liver run).
 */
function isTargetClass(t: tf.Tensor4D): tf.Tensor3D {
  const index = t.argMax(-1) as tf.Tensor3D;
  return (t.shape[3] === 2 && TARGET_CLASS === 1 ? index : index.equal(TARGET_CLASS)).cast(
    "float32",
  );
}
