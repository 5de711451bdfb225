import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/experiment.ts";
import { buildFCDenseNet, outputSize } from "./fc_densenet.ts";
import { dropoutMask, setDropoutStep, StepDropout } from "./step_dropout.ts";
import { PAPER_LIVER_MODEL } from "./testing.ts";

await tf.setBackend("cpu");

const paperLiver: ModelConfig = PAPER_LIVER_MODEL;
const paperTumor: ModelConfig = { ...paperLiver, inputChannels: 3, sbu: false };
const tiny: ModelConfig = {
  ...paperLiver,
  firstFilters: 4,
  growthRate: 2,
  layersPerBlock: 2,
  poolingLevels: 1,
};

function layerClasses(model: tf.LayersModel): string[] {
  return model.layers.map((l) => l.getClassName());
}
function inboundNames(model: tf.LayersModel, name: string): string[] {
  return model.getLayer(name).inboundNodes[0].inboundLayers.map((l) => l.name);
}

Deno.test("paper-size liver model maps 256 -> 512, tumor model 512 -> 512 (symbolic shapes)", () => {
  const liver = buildFCDenseNet(paperLiver, 256);
  assert.deepEqual(liver.inputs[0].shape, [null, 256, 256, 1]);
  assert.deepEqual(liver.outputs[0].shape, [null, 512, 512, 2]);
  assert.equal(outputSize(paperLiver, 256), 512);
  const tumor = buildFCDenseNet(paperTumor, 512);
  assert.deepEqual(tumor.inputs[0].shape, [null, 512, 512, 3]);
  assert.deepEqual(tumor.outputs[0].shape, [null, 512, 512, 2]);
  liver.dispose();
  tumor.dispose();
});

Deno.test("small liver and tumor models run and output softmax maps of the right size", () => {
  const liver = buildFCDenseNet({ ...paperLiver, firstFilters: 8, growthRate: 4 }, 16);
  const tumor = buildFCDenseNet({ ...paperTumor, firstFilters: 8, growthRate: 4 }, 16);
  tf.tidy(() => {
    const yl = liver.predict(tf.ones([2, 16, 16, 1])) as tf.Tensor;
    assert.deepEqual(yl.shape, [2, 32, 32, 2]);
    const yt = tumor.predict(tf.ones([1, 16, 16, 3])) as tf.Tensor;
    assert.deepEqual(yt.shape, [1, 16, 16, 2]);
    // Softmax: the two class probabilities sum to 1 at every pixel.
    const sums = yt.sum(-1).dataSync();
    for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5);
  });
  liver.dispose();
  tumor.dispose();
});

Deno.test("an input size not divisible by 2^poolingLevels is refused", () => {
  assert.throws(() => buildFCDenseNet(paperLiver, 100), /multiple of 2\^poolingLevels = 8/);
});

Deno.test("relu and transposed variants swap the layers", () => {
  const base = layerClasses(buildFCDenseNet(tiny, 8));
  assert.ok(base.includes("ELU") && !base.includes("ReLU"));
  assert.ok(!base.includes("Conv2DTranspose"));
  // first conv down/up: 1 TU up-sampling + SBU.
  assert.equal(base.filter((c) => c === "UpSampling2D").length, 2);

  const relu = layerClasses(buildFCDenseNet({ ...tiny, activation: "relu" }, 8));
  assert.ok(relu.includes("ReLU") && !relu.includes("ELU"));
  assert.equal(relu.filter((c) => c === "ReLU").length, base.filter((c) => c === "ELU").length);

  const transposed = layerClasses(buildFCDenseNet({ ...tiny, upsampling: "transposed" }, 8));
  assert.equal(transposed.filter((c) => c === "Conv2DTranspose").length, 1);
  // Only the SBU remains a bilinear up-sampler.
  assert.equal(transposed.filter((c) => c === "UpSampling2D").length, 1);
});

Deno.test("down path concatenates its input, up path does not; no down->up skips", () => {
  const model = buildFCDenseNet({ ...tiny, poolingLevels: 2 }, 8);
  // Down block output = [block input, new maps].
  assert.deepEqual(inboundNames(model, "down0_out"), ["first_conv", "down0_new"]);
  assert.deepEqual(model.getLayer("down0_out").outputShape, [null, 8, 8, 4 + 2 * 2]);
  assert.deepEqual(inboundNames(model, "down1_out"), ["td0_pool", "down1_new"]);
  // Up block output = only its new maps (the dropout outputs of its layers).
  assert.deepEqual(inboundNames(model, "up0_new"), ["up0_layer0_dropout", "up0_layer1_dropout"]);
  assert.deepEqual(model.getLayer("up0_new").outputShape, [null, 4, 4, 2 * 2]);
  assert.deepEqual(inboundNames(model, "tu1_up"), ["up0_new"]);
  assert.deepEqual(inboundNames(model, "sbu"), ["up1_new"]);
  // No layer of the up path takes anything from the down path.
  for (const layer of model.layers) {
    if (!/^(tu|up)\d/.test(layer.name)) continue;
    for (const from of inboundNames(model, layer.name)) {
      assert.match(from, /^(tu|up|bottleneck)/, `${layer.name} <- ${from}`);
    }
  }
  // Dropout layers are the deterministic ones.
  assert.ok(model.layers.some((l) => l instanceof StepDropout));
  assert.ok(!layerClasses(model).includes("Dropout"));
});

Deno.test("parameter count matches the hand count for a tiny config", () => {
  // Cin=1, F=4, k=2, L=2, 1 pooling level, 2 classes, every conv with bias, BN = 4 params/channel
  // (gamma, beta trainable; moving mean, variance not).
  const firstConv = 9 * 1 * 4 + 4; // 40; c = 4
  const denseOn = (c: number) =>
    // two layers on c then c+2 channels
    (4 * c + 9 * c * 2 + 2) + (4 * (c + 2) + 9 * (c + 2) * 2 + 2);
  const down0 = denseOn(4); // (16 + 74) + (24 + 110) = 224; c = 8
  assert.equal(down0, 224);
  const td0 = 4 * 8 + (8 * 8 + 8); // 32 + 72 = 104
  const bottleneck = denseOn(8); // (32 + 146) + (40 + 182) = 400; outputs 4
  assert.equal(bottleneck, 400);
  const tu0 = 9 * 4 * 4 + 4 + 4 * 4; // conv 148 + BN 16 = 164
  const up0 = denseOn(4); // 224; outputs 4
  const classifier = 4 * 2 + 2; // 10
  const total = firstConv + down0 + td0 + bottleneck + tu0 + up0 + classifier;
  assert.equal(total, 1166);
  // BN channels: down0 4+6, td0 8, bottleneck 8+10, tu0 4, up0 4+6 = 50; 2 non-trainable each.
  const nonTrainable = 2 * 50;

  const model = buildFCDenseNet(tiny, 8);
  assert.equal(model.countParams(), total);
  const count = (ws: tf.LayerVariable[]) => ws.reduce((s, w) => s + w.read().size, 0);
  assert.equal(count(model.nonTrainableWeights), nonTrainable);
  assert.equal(count(model.trainableWeights), total - nonTrainable);
  // A 3x3 transposed conv has as many parameters as the 3x3 conv it replaces.
  assert.equal(buildFCDenseNet({ ...tiny, upsampling: "transposed" }, 8).countParams(), total);
});

Deno.test("a seed makes the initial weights repeatable; different seeds differ", () => {
  const weights = (seed: number) => {
    const m = buildFCDenseNet(tiny, 8, { seed });
    const w = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.dispose();
    return w;
  };
  assert.deepEqual(weights(3), weights(3));
  assert.notDeepEqual(weights(3)[0], weights(4)[0]);
});

Deno.test("dropout is active in training, keyed on (seed, step), and off in inference", () => {
  const model = buildFCDenseNet({ ...tiny, dropout: 0.5 }, 8, { seed: 1 });
  const x = tf.randomUniform([1, 8, 8, 1], 0, 1, "float32", 5);
  const run = (seed: number, step: number) =>
    tf.tidy(() => {
      setDropoutStep(model, { seed, step });
      return Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync());
    });
  const infer = () => Array.from((model.predict(x) as tf.Tensor).dataSync());
  assert.deepEqual(run(1, 3), run(1, 3));
  assert.notDeepEqual(run(1, 3), run(1, 4));
  assert.notDeepEqual(run(1, 3), run(2, 3));
  // Inference ignores the step (no dropout) and BN uses its moving statistics.
  setDropoutStep(model, { seed: 9, step: 9 });
  const a = infer();
  setDropoutStep(model, { seed: 1, step: 1 });
  assert.deepEqual(infer(), a);
  x.dispose();
  model.dispose();
});

Deno.test("dropout masks: rate respected, values 0 or 1/(1-rate), pure in their seeds", () => {
  const m = dropoutMask(100_000, 0.2, [1, 2, 3]);
  const zeros = m.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / m.length - 0.2) < 0.01, `${zeros} zeros`);
  assert.ok(m.every((v) => v === 0 || v === Math.fround(1 / 0.8)));
  assert.deepEqual(dropoutMask(1000, 0.2, [1, 2, 3]), m.slice(0, 1000));
  assert.notDeepEqual(dropoutMask(1000, 0.2, [1, 2, 4]), m.slice(0, 1000));
  assert.ok(dropoutMask(1000, 0, [1]).every((v) => v === 1));
});
