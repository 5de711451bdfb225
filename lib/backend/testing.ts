/**
 * Helpers for tests that compare a backend's kernels with the `cpu` backend.
 *
 * @example
 * ```ts
 * await compareWithCpu("wasm", "relu", () => [tf.relu(tf.tensor(values(8, 1)))]);
 * ```
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/experiment.ts";
import { buildFCDenseNet, outputSize } from "../models/fc_densenet.ts";
import { setDropoutStep } from "../models/step_dropout.ts";
import { createAdam } from "../train/adam.ts";
import { combinedLoss } from "../train/losses.ts";

/** Deterministic pseudo-random values in [-1, 1) (LCG), so both backends see the same data. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Convolution cases for kernel tests: odd shapes, stride 2, 1x1, asymmetric padding, batch 1. */
export const CONV_CASES: { x: number[]; k: number[]; s: number; pad: "same" | "valid" }[] = [
  { x: [2, 5, 6, 3], k: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [2, 5, 6, 3], k: [3, 3, 3, 4], s: 1, pad: "valid" },
  { x: [2, 7, 6, 3], k: [3, 3, 3, 2], s: 2, pad: "same" },
  { x: [1, 7, 8, 2], k: [3, 3, 2, 3], s: 2, pad: "valid" },
  { x: [3, 4, 5, 5], k: [1, 1, 5, 2], s: 1, pad: "valid" },
  { x: [2, 6, 6, 4], k: [1, 1, 4, 3], s: 2, pad: "same" },
  { x: [1, 6, 4, 7], k: [1, 1, 7, 3], s: 1, pad: "same" },
  { x: [2, 5, 6, 3], k: [2, 2, 3, 4], s: 1, pad: "same" }, // asymmetric padding
  { x: [2, 7, 5, 2], k: [3, 1, 2, 3], s: 1, pad: "same" },
  { x: [1, 7, 6, 2], k: [5, 3, 2, 2], s: 1, pad: "valid" },
];

/** Runs `fn` on a backend and returns its outputs as plain arrays. */
export async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  // data(), not dataSync(): webgpu cannot read synchronously.
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return data;
}

/** Every element of `a` within `tol` (relative above 1) of `b`, or NaN where `b` is NaN. */
export function assertClose(a: Float32Array[], b: Float32Array[], what: string, tol: number): void {
  assert.equal(a.length, b.length, `${what}: number of outputs`);
  for (let k = 0; k < a.length; k++) {
    assert.equal(a[k].length, b[k].length, `${what}: output ${k} length`);
    for (let i = 0; i < a[k].length; i++) {
      if (Number.isNaN(a[k][i]) && Number.isNaN(b[k][i])) continue; // NaN where cpu has NaN
      const scale = Math.max(1, Math.abs(b[k][i]));
      assert.ok(
        Math.abs(a[k][i] - b[k][i]) <= tol * scale,
        `${what}: output ${k}[${i}] ${a[k][i]} vs cpu ${b[k][i]}`,
      );
    }
  }
}

/** Runs `fn` on `backend` and on `cpu` and asserts the outputs agree within `tol`. */
export async function compareWithCpu(
  backend: string,
  what: string,
  fn: () => tf.Tensor[],
  tol: number,
): Promise<void> {
  const cpu = await on("cpu", fn);
  const other = await on(backend, fn);
  assertClose(other, cpu, what, tol);
}

/** What {@link lossCurve} trains. */
export interface LossCurveOptions {
  model: ModelConfig;
  input: number;
  steps: number;
  /** Called after each step (e.g. to read memory counters). */
  onStep?: (step: number) => void;
}

/**
 * The losses of `steps` training steps (cross-entropy + Dice, Adam + L2, batch 2, fixed data
 * and dropout masks) of `model` on the current backend, asserting that no tensor outlives a
 * step. Backends are compared by running it on each.
 * @example
 * await tf.setBackend("cpu");
 * const curve = await lossCurve({ model: TINY, input: 16, steps: 6 });
 */
export async function lossCurve(opts: LossCurveOptions): Promise<number[]> {
  const { model: cfg, input, steps } = opts;
  const model = buildFCDenseNet(cfg, input, { seed: 3 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const adam = createAdam(vars, {
    weightDecay: 5e-6,
    decay: vars.map((v) => v.shape.length > 1),
  });
  const out = outputSize(cfg, input);
  const images = tf.tensor4d(values(2 * input * input, 1), [2, input, input, 1]);
  const [labels, weights] = tf.tidy(() => {
    const fg = tf.tensor3d(values(2 * out * out, 2), [2, out, out]).greater(0.2).cast("float32");
    return [tf.stack([tf.sub(1, fg), fg], -1) as tf.Tensor4D, fg.mul(4).add(1) as tf.Tensor3D];
  });
  const loss = { crossEntropy: 1, dice: 1, diceEpsilon: 1 };
  const before = tf.memory().numTensors;
  const curve: number[] = [];
  for (let step = 0; step < steps; step++) {
    setDropoutStep(model, { seed: 1, step });
    const { value, grads } = tf.variableGrads(() => {
      const probs = model.apply(images, { training: true }) as tf.Tensor4D;
      return combinedLoss(loss, labels, probs, weights);
    }, vars);
    curve.push((await value.data())[0]);
    adam.apply(vars.map((v) => grads[v.name]), 1e-3);
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `${tf.getBackend()}: tensors after step ${step}`);
    opts.onStep?.(step);
  }
  tf.dispose([images, labels, weights]);
  adam.dispose();
  model.dispose();
  return curve;
}
