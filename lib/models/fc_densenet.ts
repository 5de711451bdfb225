/**
 * FC-DenseNet without skip connections (Kaluva et al. 2017), built with the
 * tfjs layers API so `summary()`, saving and loading work.
 *
 * Graph, with L = layersPerBlock, k = growthRate, F = firstFilters:
 * - `first_conv`: 3x3 conv, F filters.
 * - Down path, `poolingLevels` times: dense block whose output is its input
 *   concatenated with its L new feature maps (c -> c + L*k channels), then a
 *   transition down: BN -> act -> 1x1 conv (depth preserving) -> dropout ->
 *   2x2 max-pool.
 * - Bottleneck: a dense block whose output is only its L new feature maps
 *   (L*k channels), as in Tiramisu (Jégou et al. 2016).
 * - Up path, `poolingLevels` times: transition up (bilinear x2 -> 3x3 conv with
 *   L*k filters -> BN; ablation `transposed`: 3x3 transposed conv, stride 2,
 *   L*k filters -> BN), then a dense block that is NOT concatenated with its
 *   input: its output is the concatenation of its L new feature maps (L*k
 *   channels), following Tiramisu's up path.
 * - With `sbu`: a bilinear x2 up-sampling (liver model: 256 in -> 512 out).
 * - `classifier`: 1x1 conv -> softmax over `classes`.
 *
 * Inside every dense block each layer sees the concatenation of the block input
 * and all previous layers' outputs (DenseNet connectivity). A dense layer is
 * BN -> act -> 3x3 conv (k filters) -> dropout. Every convolution has a bias.
 * There are no connections between the down and the up path.
 *
 * BatchNormalization uses Keras semantics, as did the TF1 prototype's `decay`:
 * moving = momentum * moving + (1 - momentum) * batch, so `bnMomentum` 0.9 is
 * passed as is. Dropout is {@link StepDropout} (deterministic per step).
 *
 * @example
 * ```ts
 * const model = buildFCDenseNet(cfg.model, cfg.data.inputSize);
 * model.summary();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/experiment.ts";
import { StepDropout } from "./step_dropout.ts";

type Sym = tf.SymbolicTensor;

/** Side of the model's output map for an input side. */
export function outputSize(cfg: ModelConfig, inputSize: number): number {
  return cfg.sbu ? inputSize * 2 : inputSize;
}

export interface BuildOptions {
  /**
   * Seeds the Glorot-uniform kernel initialisers (convolution i gets seed
   * `seed * 1000 + i`), so a run's initial weights are repeatable. Without it
   * tfjs draws them from Math.random.
   */
  seed?: number;
}

/** Build the FC-DenseNet of `cfg` for square inputs of side `inputSize`. */
export function buildFCDenseNet(
  cfg: ModelConfig,
  inputSize: number,
  opts: BuildOptions = {},
): tf.LayersModel {
  const divisor = 2 ** cfg.poolingLevels;
  if (!Number.isInteger(inputSize) || inputSize <= 0 || inputSize % divisor !== 0) {
    throw new RangeError(
      `model input size ${inputSize} must be a positive multiple of 2^poolingLevels = ${divisor}`,
    );
  }
  let dropoutCount = 0;
  let convCount = 0;
  const kernelInitializer = () =>
    opts.seed === undefined
      ? "glorotUniform"
      : tf.initializers.glorotUniform({ seed: opts.seed * 1000 + convCount++ });
  const sym = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const act = (name: string) =>
    cfg.activation === "elu" ? tf.layers.elu({ name }) : tf.layers.reLU({ name });
  const bn = (name: string) =>
    tf.layers.batchNormalization({ name, momentum: cfg.bnMomentum, epsilon: cfg.bnEpsilon });
  const dropout = (name: string) =>
    new StepDropout({ name, rate: cfg.dropout, layerSeed: dropoutCount++ });
  const conv = (name: string, filters: number, kernelSize: number) =>
    tf.layers.conv2d({
      name,
      filters,
      kernelSize,
      padding: "same",
      useBias: true,
      kernelInitializer: kernelInitializer(),
    });

  /** Dense block; returns the concatenation of the L new layers' outputs. */
  const denseBlock = (x: Sym, prefix: string): Sym => {
    const features: Sym[] = [];
    let input = x;
    for (let j = 0; j < cfg.layersPerBlock; j++) {
      const p = `${prefix}_layer${j}`;
      let y = sym(bn(`${p}_bn`), input);
      y = sym(act(`${p}_act`), y);
      y = sym(conv(`${p}_conv`, cfg.growthRate, 3), y);
      y = sym(dropout(`${p}_dropout`), y);
      features.push(y);
      input = sym(tf.layers.concatenate({ name: `${p}_concat` }), [input, y]);
    }
    return features.length === 1
      ? features[0]
      : sym(tf.layers.concatenate({ name: `${prefix}_new` }), features);
  };

  const input = tf.input({ shape: [inputSize, inputSize, cfg.inputChannels], name: "image" });
  let x = sym(conv("first_conv", cfg.firstFilters, 3), input);
  let channels = cfg.firstFilters;
  for (let i = 0; i < cfg.poolingLevels; i++) {
    const block = denseBlock(x, `down${i}`);
    x = sym(tf.layers.concatenate({ name: `down${i}_out` }), [x, block]);
    channels += cfg.layersPerBlock * cfg.growthRate;
    x = sym(bn(`td${i}_bn`), x);
    x = sym(act(`td${i}_act`), x);
    x = sym(conv(`td${i}_conv`, channels, 1), x);
    x = sym(dropout(`td${i}_dropout`), x);
    x = sym(tf.layers.maxPooling2d({ name: `td${i}_pool`, poolSize: 2, strides: 2 }), x);
  }
  x = denseBlock(x, "bottleneck");
  const upFilters = cfg.layersPerBlock * cfg.growthRate;
  for (let i = 0; i < cfg.poolingLevels; i++) {
    if (cfg.upsampling === "bilinear") {
      x = sym(
        tf.layers.upSampling2d({ name: `tu${i}_up`, size: [2, 2], interpolation: "bilinear" }),
        x,
      );
      x = sym(conv(`tu${i}_conv`, upFilters, 3), x);
    } else {
      x = sym(
        tf.layers.conv2dTranspose({
          name: `tu${i}_tconv`,
          filters: upFilters,
          kernelSize: 3,
          strides: 2,
          padding: "same",
          kernelInitializer: kernelInitializer(),
        }),
        x,
      );
    }
    x = sym(bn(`tu${i}_bn`), x);
    x = denseBlock(x, `up${i}`);
  }
  if (cfg.sbu) {
    x = sym(tf.layers.upSampling2d({ name: "sbu", size: [2, 2], interpolation: "bilinear" }), x);
  }
  const output = sym(
    tf.layers.conv2d({
      name: "classifier",
      filters: cfg.classes,
      kernelSize: 1,
      activation: "softmax",
      kernelInitializer: kernelInitializer(),
    }),
    x,
  );
  return tf.model({ inputs: input, outputs: output, name: "fc_densenet" });
}
