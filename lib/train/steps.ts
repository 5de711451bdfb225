/**
 * The steps of one training iteration and one validation batch, each a function of the model,
 * the config and a batch: forward and backward over micro-batches with the gradients
 * accumulated, one Adam update at the scheduled learning rate; and the loss and Dice counts
 * of a batch without training. Numbers come back as plain JS values so that the loop only adds.
 *
 * @example
 * ```ts
 * const r = await trainBatch(model, adam, cfg, batch, { step });
 * lossSum += r.loss; inter += r.inter; sum += r.sum;
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import { setDropoutStep } from "../models/step_dropout.ts";
import type { Adam } from "./adam.ts";
import type { Batch } from "../data/sampler.ts";
import { disposeBatch, microBatches } from "./batches.ts";
import { combinedLoss, hardDiceCounts } from "./losses.ts";

/** Thrown when a loss becomes NaN or infinite; the last good checkpoint stays. */
export class NonFiniteLossError extends Error {}

/** The loss of a batch (micro-batches weighted by their size) and its hard Dice counts. */
export interface BatchResult {
  loss: number;
  /** |P and G| and |P| + |G| of the target class. */
  inter: number;
  sum: number;
}

/**
 * The learning rate of the update after `done` updates: constant, or cosine
 * from `learningRate` down to 0 at `epochs * trainIterations` updates.
 */
export function learningRateAt(train: ExperimentConfig["train"], done: number): number {
  if ((train.learningRateSchedule ?? "constant") === "constant") return train.learningRate;
  const total = train.epochs * train.trainIterations;
  return train.learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(done, total) / total));
}

/** The model's trainable variables, in the order Adam and the gradients use. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Adam over the trainable weights; L2 decay on convolution kernels only (not biases, not BN). */
export function adamOptions(cfg: ExperimentConfig, model: tf.LayersModel) {
  return {
    weightDecay: cfg.train.weightDecay,
    decay: model.trainableWeights.map((w) => /kernel/.test(w.originalName)),
  };
}

/**
 * One training iteration on `batch` (disposed here): each micro-batch's forward pass under its
 * own dropout step (`counter.step`, advanced here) and its gradients, summed weighted by size,
 * then one Adam update. A non-finite loss throws {@link NonFiniteLossError} with `where`.
 */
export async function trainBatch(
  model: tf.LayersModel,
  adam: Adam,
  cfg: ExperimentConfig,
  batch: Batch,
  counter: { step: number },
  where: (step: number) => string,
): Promise<BatchResult> {
  const vars = trainableVariables(model);
  const { batchSize } = cfg.train;
  const parts = microBatches(batch, cfg.train.microBatch);
  let acc: tf.Tensor[] = [];
  const result: BatchResult = { loss: 0, inter: 0, sum: 0 };
  for (const part of parts) {
    setDropoutStep(model, { seed: cfg.train.seed, step: counter.step });
    counter.step++;
    const share = part.images.shape[0] / batchSize;
    const kept: { counts?: tf.Tensor } = {};
    const { value, grads } = tf.variableGrads(() => {
      const probs = model.apply(part.images, { training: true }) as tf.Tensor4D;
      kept.counts = tf.keep(hardDiceCounts(part.labels, probs));
      return combinedLoss(cfg.train.loss, part.labels, probs, part.weights);
    }, vars);
    const lossValue = (await value.data())[0];
    const [i, s] = await kept.counts!.data();
    tf.dispose([value, kept.counts!]);
    if (!Number.isFinite(lossValue)) {
      tf.dispose(Object.values(grads));
      tf.dispose(acc);
      throw new NonFiniteLossError(`${cfg.name}: loss is ${lossValue} ${where(counter.step)}`);
    }
    result.loss += lossValue * share;
    result.inter += i;
    result.sum += s;
    const parted = vars.map((v) => grads[v.name]);
    if (parts.length === 1) {
      acc = parted; // the whole batch: nothing to scale (saves a kernel per variable)
    } else {
      const prev = acc;
      acc = tf.tidy(() => {
        const w = tf.scalar(share);
        return parted.map((g, k) => prev.length ? prev[k].add(g.mul(w)) : g.mul(w));
      });
      tf.dispose(prev);
      tf.dispose(Object.values(grads));
    }
  }
  disposeBatch(batch, parts);
  adam.apply(acc, learningRateAt(cfg.train, adam.state().step));
  tf.dispose(acc);
  return result;
}

/**
 * The loss and Dice counts of `batch` (disposed here) without training, by micro-batches,
 * added to `into` (each micro-batch's share in turn, so sums do not depend on batching).
 */
export async function validateBatch(
  model: tf.LayersModel,
  cfg: ExperimentConfig,
  batch: Batch,
  into: BatchResult,
): Promise<void> {
  const parts = microBatches(batch, cfg.train.microBatch);
  for (const part of parts) {
    const out = tf.tidy(() => {
      const probs = model.apply(part.images, { training: false }) as tf.Tensor4D;
      const l = combinedLoss(cfg.train.loss, part.labels, probs, part.weights);
      return tf.concat([l.reshape([1]), hardDiceCounts(part.labels, probs)]);
    });
    const [loss, i, s] = await out.data();
    out.dispose();
    into.loss += loss * part.images.shape[0] / cfg.train.batchSize;
    into.inter += i;
    into.sum += s;
  }
  disposeBatch(batch, parts);
}
