/**
 * Dropout whose mask is a pure function of (run seed, layer seed, step), so a
 * resumed run draws exactly the masks an uninterrupted run would have drawn.
 *
 * Why not `tf.layers.dropout`: with a fixed `seed` it repeats the same mask at
 * every call, and without one it draws from `Math.random`, which can be neither
 * seeded nor saved. Here the training loop sets the step (the global
 * micro-batch counter) before each forward pass with {@link setDropoutStep};
 * each layer then seeds its mask with `${runSeed}:${layerSeed}:${step}`.
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
    return tf.tidy(() => {
      const seed = `${this.state.seed}:${this.layerSeed}:${this.state.step}`;
      const keep = tf.randomUniform(x.shape, 0, 1, "float32", seed).greaterEqual(this.rate);
      return x.mul(keep.cast("float32")).mul(1 / (1 - this.rate));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, layerSeed: this.layerSeed };
  }
}
tf.serialization.registerClass(StepDropout);

/** Point every {@link StepDropout} of `model` at the run seed and step. */
export function setDropoutStep(model: tf.LayersModel, state: DropoutState): void {
  for (const layer of model.layers) {
    if (layer instanceof StepDropout) layer.state = { ...state };
  }
}
