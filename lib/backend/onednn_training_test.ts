import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/experiment.ts";
import { initBackend } from "./select.ts";
import { registerOneDNNBackend } from "./onednn_backend.ts";
import { nativeBytes, primitiveCount } from "./onednn_primitives.ts";
import type { PooledCPUBackend } from "./pooled_cpu_backend.ts";
import { buildFCDenseNet } from "../models/fc_densenet.ts";
import { setDropoutStep } from "../models/step_dropout.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";
import { weightedCrossEntropy } from "../train/losses.ts";
import { createAdam } from "../train/adam.ts";
import { values } from "./testing.ts";

// One thread, as in onednn_kernels_test.ts (test files run side by side).
const why = registerOneDNNBackend({ threads: 1 });
const ignore = why !== null;

/** A small liver network with every layer kind of the real one (dropout, SBU, ELU). */
const TINY: ModelConfig = {
  ...PAPER_LIVER_MODEL,
  firstFilters: 8,
  growthRate: 4,
  layersPerBlock: 2,
  poolingLevels: 2,
};

/** `steps` training steps of TINY at `input` px on `backend`; the loss of each step. */
async function train(backend: "onednn" | "wasm", steps: number, input: number, each?: () => void) {
  await initBackend(backend, { threads: 1 });
  const model = buildFCDenseNet(TINY, input, { seed: 3 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const adam = createAdam(vars, {
    learningRate: 1e-3,
    weightDecay: 5e-6,
    decay: vars.map((v) => v.shape.length > 1),
  });
  const out = 2 * input;
  const images = tf.tensor4d(values(2 * input * input, 7), [2, input, input, 1]);
  const fg = tf.tensor3d(values(2 * out * out, 8).map((v) => (v > 0.2 ? 1 : 0)), [2, out, out]);
  const labels = tf.stack([tf.sub(1, fg), fg], -1) as tf.Tensor4D;
  const weights = fg.mul(4).add(1) as tf.Tensor3D;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    setDropoutStep(model, { seed: 1, step });
    const { value, grads } = tf.variableGrads(() => {
      const probs = model.apply(images, { training: true }) as tf.Tensor4D;
      return weightedCrossEntropy(labels, probs, weights);
    }, vars);
    losses.push((await value.data())[0]);
    adam.apply(vars.map((v) => grads[v.name]));
    tf.dispose([value, ...Object.values(grads)]);
    each?.();
  }
  adam.dispose();
  model.dispose();
  tf.dispose([images, fg, labels, weights]);
  return losses;
}

Deno.test({
  name: "a short training run on onednn follows wasm's loss curve within 1e-4 (relative)",
  ignore,
  fn: async () => {
    const native = await train("onednn", 15, 16);
    const wasm = await train("wasm", 15, 16);
    assert.ok(native[14] < native[0] * 0.9, `the loss falls: ${native[0]} -> ${native[14]}`);
    for (let i = 0; i < native.length; i++) {
      const rel = Math.abs(native[i] - wasm[i]) / Math.abs(wasm[i]);
      assert.ok(rel < 1e-4, `step ${i}: onednn ${native[i]} vs wasm ${wasm[i]} (${rel})`);
    }
  },
});

Deno.test({
  name: "1000 onednn training steps hold the tensor count, native buffers and pool steady",
  ignore,
  fn: async () => {
    const marks: { tensors: number; native: number; primitives: number; pooled: number }[] = [];
    let step = 0;
    await train("onednn", 1000, 8, () => {
      if (++step % 100 !== 0) return;
      const pooled = (tf.backend() as unknown as PooledCPUBackend).pooledBytes();
      marks.push({
        tensors: tf.memory().numTensors,
        native: nativeBytes(),
        primitives: primitiveCount(),
        pooled,
      });
    });
    // After the first hundred steps every shape has its primitive and its pooled buffers.
    for (const m of marks.slice(1)) assert.deepEqual(m, marks[0]);
  },
});
