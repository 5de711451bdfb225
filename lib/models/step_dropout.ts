/**
 * Dropout whose mask is a pure function of (run seed, layer seed, step), so a
 * resumed run draws exactly the masks an uninterrupted run would have drawn.
 *
 * Why not `tf.layers.dropout`: with a fixed `seed` it repeats the same mask at
 * every call, and without one it draws from `Math.random`, which can be neither
 * seeded nor saved. Here the training loop sets the step (the global
 * micro-batch counter) before each forward pass with {@link setDropoutStep};
 * each layer then seeds its mask with (runSeed, layerSeed, step).
 * The mask is drawn in JS with sfc32 (about 1 ns a value; `tf.randomUniform`'s
 * seeded alea generator was most of a CPU training step) and uploaded.
 * The random state of all dropout layers is therefore just `{ seed, step }`.
 *
 * @example
 * ```ts
 * setDropoutStep(model, { seed: 7, step: 42 });
 * const y = model.apply(x, { training: true });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createKeyedRng } from "../util/prng.ts";

/** Everything that determines the dropout masks of a model at one step. */
export interface DropoutState {
  /** The run's seed. */
  seed: number;
  /** The global micro-batch counter. */
  step: number;
}

/** Serialisable options of a {@link StepDropout} layer. */
export interface StepDropoutArgs {
  rate: number;
  /** Distinguishes the layers of one model (its index along the network). */
  layerSeed: number;
  name?: string;
}

/** Inverted dropout (kept units scaled by 1 / (1 - rate)) keyed on a step counter. */
export class StepDropout extends tf.layers.Layer {
  static className = "StepDropout";
  readonly rate: number;
  readonly layerSeed: number;
  /** Set by {@link setDropoutStep}; not part of the saved config. */
  state: DropoutState = { seed: 0, step: 0 };

  constructor(args: StepDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`dropout rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.layerSeed = args.layerSeed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs["training"] !== true || this.rate === 0) return x;
    const mask = dropoutMask(x.size, this.rate, [this.state.seed, this.layerSeed, this.state.step]);
    return tf.tidy(() => x.mul(tf.tensor(mask, x.shape)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, layerSeed: this.layerSeed };
  }
}
tf.serialization.registerClass(StepDropout);

/**
 * Inverted-dropout multipliers: each value is 0 with probability `rate`, else
 * 1 / (1 - rate); a pure function of `seeds` (`createKeyedRng`).
 */
export function dropoutMask(size: number, rate: number, seeds: number[]): Float32Array {
  const rng = createKeyedRng(seeds);
  const out = new Float32Array(size);
  const keep = 1 / (1 - rate);
  const threshold = rate * 2 ** 32;
  for (let i = 0; i < size; i++) out[i] = rng.uint32() < threshold ? 0 : keep;
  return out;
}

/** Point every {@link StepDropout} of `model` at the run seed and step. */
export function setDropoutStep(model: tf.LayersModel, state: DropoutState): void {
  for (const layer of model.layers) {
    if (layer instanceof StepDropout) layer.state = { ...state };
  }
}
