/**
 * An exponential moving average of a model's weights (Polyak averaging), kept
 * beside the weights being trained and swapped in to validate and to save the
 * `best` checkpoint.
 *
 * Few-minute runs with small batches swing from epoch to epoch; the average over
 * the last few hundred updates is steadier than any single point of the path.
 * All weights are averaged, batch-norm statistics included, so that the
 * statistics match the averaged filters. The decay is warmed up as in
 * TensorFlow's `ExponentialMovingAverage` with `num_updates`:
 * `min(decay, (1 + n) / (10 + n))` at update `n`, so early updates are not
 * weighed down by the random initial weights.
 *
 * @example
 * ```ts
 * const avg = createWeightAverage(model, 0.99);
 * // after each optimiser step:
 * avg.update();
 * // validate with the averaged weights, then train on:
 * const dice = await avg.swapped(() => validate(model));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The averaged weights and the number of updates behind them. */
export interface WeightAverageState {
  updates: number;
  /** One tensor per `model.weights`, same order and shapes. */
  values: tf.Tensor[];
}

export interface WeightAverage {
  /** Fold the model's current weights into the average. */
  update(): void;
  /** Run `f` with the averaged weights in the model, then put the trained weights back. */
  swapped<T>(f: () => Promise<T>): Promise<T>;
  /** The averaged weights (owned by the average; do not dispose). */
  state(): WeightAverageState;
  /** Replace the average with a saved one (takes ownership of `s.values`). */
  restore(s: WeightAverageState): void;
  dispose(): void;
}

/** The decay used at update `n` (0-based) for a target `decay`. */
export function averageDecay(decay: number, n: number): number {
  return Math.min(decay, (1 + n) / (10 + n));
}

/** Start averaging `model`'s weights (all of them, trainable or not) with `decay` in (0, 1). */
export function createWeightAverage(model: tf.LayersModel, decay: number): WeightAverage {
  if (!(decay > 0 && decay < 1)) {
    throw new RangeError(`weight average decay must be in (0, 1), got ${decay}`);
  }
  const vars = model.weights.map((w) => w.read() as tf.Variable);
  let values: tf.Tensor[] = vars.map((v) => tf.keep(v.clone()));
  let updates = 0;
  return {
    update() {
      const d = averageDecay(decay, updates++);
      const next = tf.tidy(() => values.map((a, k) => tf.keep(a.mul(d).add(vars[k].mul(1 - d)))));
      tf.dispose(values);
      values = next;
    },
    async swapped<T>(f: () => Promise<T>): Promise<T> {
      const trained = vars.map((v) => v.clone());
      vars.forEach((v, k) => v.assign(values[k]));
      try {
        return await f();
      } finally {
        vars.forEach((v, k) => v.assign(trained[k]));
        tf.dispose(trained);
      }
    },
    state: () => ({ updates, values }),
    restore(s) {
      if (
        s.values.length !== vars.length ||
        s.values.some((t, k) => !tf.util.arraysEqual(t.shape, vars[k].shape))
      ) {
        throw new Error(
          `weight average: ${s.values.length} saved tensors do not match the model's ${vars.length} weights`,
        );
      }
      tf.dispose(values);
      values = s.values;
      updates = s.updates;
    },
    dispose: () => tf.dispose(values),
  };
}
