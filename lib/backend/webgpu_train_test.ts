import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";
import { values } from "./testing.ts";
import { useStockWebGPUKernels } from "./webgpu_stock.ts";
import { buildFCDenseNet, outputSize } from "../models/fc_densenet.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";
import { setDropoutStep } from "../models/step_dropout.ts";
import { createAdam } from "../train/adam.ts";
import { combinedLoss } from "../train/losses.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

/** The paper's network shrunk (dropout and SBU kept), 16 px input, batch 2. */
const MODEL = { ...PAPER_LIVER_MODEL, firstFilters: 6, growthRate: 4, layersPerBlock: 2 };
const INPUT = 16;
const STEPS = 6;

/** The losses of `STEPS` training steps (cross-entropy + Dice, Adam + L2) on `backend`. */
async function lossCurve(backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  const model = buildFCDenseNet(MODEL, INPUT, { seed: 3 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const adam = createAdam(vars, {
    learningRate: 1e-3,
    weightDecay: 5e-6,
    decay: vars.map((v) => v.shape.length > 1),
  });
  const out = outputSize(MODEL, INPUT);
  const images = tf.tensor4d(values(2 * INPUT * INPUT, 1), [2, INPUT, INPUT, 1]);
  const [labels, weights] = tf.tidy(() => {
    const fg = tf.tensor3d(values(2 * out * out, 2), [2, out, out]).greater(0.2).cast("float32");
    return [tf.stack([tf.sub(1, fg), fg], -1) as tf.Tensor4D, fg.mul(4).add(1) as tf.Tensor3D];
  });
  const loss = { crossEntropy: 1, dice: 1, diceEpsilon: 1 };
  const before = tf.memory().numTensors;
  const curve: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    setDropoutStep(model, { seed: 1, step });
    const { value, grads } = tf.variableGrads(() => {
      const probs = model.apply(images, { training: true }) as tf.Tensor4D;
      return combinedLoss(loss, labels, probs, weights);
    }, vars);
    curve.push((await value.data())[0]);
    adam.apply(vars.map((v) => grads[v.name]));
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors after step ${step}`);
  }
  tf.dispose([images, labels, weights]);
  adam.dispose();
  model.dispose();
  return curve;
}

// The tolerance of the loss curves: 1e-5 relative over six steps (measured on lavapipe: ours
// and tfjs's own webgpu kernels differ by at most 1.2e-6 relative, ours and cpu by 3e-7).
const TOL = 1e-5;

Deno.test({
  name: "webgpu training with our kernels gives the loss curve of tfjs's kernels and of cpu",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    const ours = await lossCurve("webgpu");
    useStockWebGPUKernels(true);
    let stock: number[];
    try {
      stock = await lossCurve("webgpu");
    } finally {
      useStockWebGPUKernels(false);
    }
    const cpu = await lossCurve("cpu");
    assert.ok(ours[STEPS - 1] < ours[0], `the loss decreases: ${ours}`);
    for (let i = 0; i < STEPS; i++) {
      assert.ok(Math.abs(ours[i] - stock[i]) <= TOL * stock[i], `step ${i}: ${ours} vs ${stock}`);
      assert.ok(Math.abs(ours[i] - cpu[i]) <= TOL * cpu[i], `step ${i}: ${ours} vs cpu ${cpu}`);
    }
  },
});
