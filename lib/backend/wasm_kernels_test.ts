import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { assertClose, compareWithCpu, CONV_CASES as convCases, on, values } from "./testing.ts";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";

registerWasmKernels();

const compare = (what: string, fn: () => tf.Tensor[], tol = 1e-4) =>
  compareWithCpu("wasm", what, fn, tol);

Deno.test("stride-1 filter gradient in input-channel chunks on wasm matches cpu", async () => {
  const { stackLimit } = await import("./conv_grad_kernels.ts");
  const saved = stackLimit.floats;
  stackLimit.floats = 9 * 2 * 7 * 8 * 2; // 2 of the 5 input channels per chunk
  try {
    const xv = values(2 * 5 * 6 * 5, 11), kv = values(3 * 3 * 5 * 3, 12);
    await compare("chunked filter gradient", () => {
      const x = tf.tensor4d(xv, [2, 5, 6, 5]);
      const k = tf.tensor4d(kv, [3, 3, 5, 3]);
      const f = (t: tf.Tensor) => tf.conv2d(x, t as tf.Tensor4D, 1, "same").square().sum();
      return [tf.grad(f)(k)];
    });
  } finally {
    stackLimit.floats = saved;
  }
});

Deno.test("1x1 filter gradient on wasm: hand-computed X^T dY", async () => {
  // Two pixels with channels (1, 2) and (3, 4); d(sum of outputs)/dW[ci, co] = sum of x[., ci].
  await tf.setBackend("wasm");
  const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
  const k = tf.zeros([1, 1, 2, 3]) as tf.Tensor4D;
  const dk = tf.grad((t: tf.Tensor) => tf.conv2d(x, t as tf.Tensor4D, 1, "same").sum())(k);
  assert.deepEqual(dk.shape, [1, 1, 2, 3]);
  assert.deepEqual(Array.from(dk.dataSync()), [4, 4, 4, 6, 6, 6]);
  tf.dispose([x, k, dk]);
});

Deno.test("conv2d forward and gradients on wasm match cpu", async () => {
  for (const c of convCases) {
    const xv = values(c.x.reduce((a, b) => a * b), 1);
    const kv = values(c.k.reduce((a, b) => a * b), 2);
    await compare(`conv ${JSON.stringify(c)}`, () => {
      const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
      const k = tf.tensor4d(kv, c.k as [number, number, number, number]);
      const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, c.s, c.pad).square().sum();
      const [dx, dk] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, k]);
      return [tf.conv2d(x, k, c.s, c.pad), dx, dk];
    }, 1e-4);
  }
});

Deno.test("conv2dTranspose (Conv2DBackpropInput forward) on wasm matches cpu", async () => {
  const xv = values(2 * 3 * 4 * 5, 3), kv = values(3 * 3 * 2 * 5, 4);
  for (const pad of ["same", "valid"] as const) {
    await compare(`conv2dTranspose ${pad}`, () => {
      const x = tf.tensor4d(xv, [2, 3, 4, 5]);
      const k = tf.tensor4d(kv, [3, 3, 2, 5]);
      const out = pad === "same" ? [2, 6, 8, 2] : [2, 7, 9, 2];
      const f = (a: tf.Tensor4D, b: tf.Tensor4D) =>
        tf.conv2dTranspose(a, b, out as [number, number, number, number], 2, pad).square().sum();
      const [dx, dk] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, k]);
      return [tf.conv2dTranspose(x, k, out as [number, number, number, number], 2, pad), dx, dk];
    });
  }
});

Deno.test("maxPool gradient on wasm routes to the max, also for all-negative windows", async () => {
  // Hand-computed: window values all negative; the max (-1) is the 2nd element.
  await tf.setBackend("wasm");
  const x = tf.tensor4d([-3, -1, -2, -5], [1, 2, 2, 1]);
  const g = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, "valid").sum())(x);
  assert.deepEqual(Array.from(g.dataSync()), [0, 1, 0, 0]);
  tf.dispose([x, g]);
  const shapes: {
    x: [number, number, number, number];
    f: number;
    s: number;
    pad: "same" | "valid";
  }[] = [
    { x: [2, 6, 6, 3], f: 2, s: 2, pad: "valid" },
    { x: [2, 5, 7, 2], f: 2, s: 2, pad: "same" },
    { x: [1, 6, 5, 2], f: 3, s: 1, pad: "same" },
  ];
  for (const c of shapes) {
    // Shifted negative so that many windows are all-negative.
    const n = c.x.reduce((a, b) => a * b);
    const xv = values(n, 5).map((v) => v - 0.8);
    await compare(`maxPool ${JSON.stringify(c)}`, () => {
      const t = tf.tensor4d(xv, c.x);
      const pool = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.f, c.s, c.pad);
      const shape = pool(t).shape;
      const w = tf.tensor(values(shape.reduce((a, b) => a * b), 6), shape);
      return [tf.grad((a: tf.Tensor) => pool(a).mul(w).sum())(t)];
    });
  }
});

Deno.test("batch-norm gradients (tile-free override) on wasm match plain ops on cpu", async () => {
  const xv = values(2 * 3 * 4 * 5, 7);
  const run = (fused: boolean) => () => {
    const x = tf.tensor4d(xv, [2, 3, 4, 5]);
    const scale = tf.tensor1d([1, 2, 0.5, -1, 3]);
    const offset = tf.tensor1d([0, 1, -1, 0.5, 2]);
    const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      const y = fused
        ? tf.batchNorm(a, mean, variance, o, s, 1e-3)
        : a.sub(mean).mul(tf.rsqrt(variance.add(1e-3))).mul(s).add(o);
      return y.square().mul(a).sum();
    };
    return tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, scale, offset]);
  };
  const expected = await on("cpu", run(false));
  assertClose(await on("wasm", run(true)), expected, "batchNorm wasm", 2e-4);
  assertClose(await on("cpu", run(true)), expected, "batchNorm cpu", 2e-4);
});

Deno.test("batch-norm gradient matches a hand-computed value", async () => {
  // y = (x - m) / sqrt(v + eps) with fixed m = 1, v = 3, eps = 1: dy/dx = 1/2 per element.
  await tf.setBackend("wasm");
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const g = tf.grad((t: tf.Tensor) =>
    tf.batchNorm(t, tf.tensor1d([1, 1]), tf.tensor1d([3, 3]), tf.zeros([2]), tf.ones([2]), 1).sum()
  )(x);
  assert.deepEqual(Array.from(g.dataSync()), [0.5, 0.5, 0.5, 0.5]);
  tf.dispose([x, g]);
});

Deno.test("other FC-DenseNet kernels (elu, relu, resize, concat, softmax, log, dropout) on wasm match cpu", async () => {
  const xv = values(2 * 4 * 4 * 3, 8);
  await compare("misc", () => {
    const x = tf.tensor4d(xv, [2, 4, 4, 3]);
    const f = (a: tf.Tensor) => {
      const e = tf.elu(a).add(tf.relu(a.mul(2)));
      const up = tf.image.resizeBilinear(e as tf.Tensor4D, [8, 8]);
      const c = tf.concat([up, up.mul(-1)], 3);
      const p = tf.softmax(c);
      return tf.log(p.add(1e-3)).mul(
        tf.image.resizeBilinear(a as tf.Tensor4D, [8, 8]).tile([1, 1, 1, 2]),
      ).sum();
    };
    return [tf.grad(f)(x), tf.elu(x), tf.image.resizeBilinear(x, [7, 5], false, true)];
  }, 2e-4);
});

Deno.test("Identity on wasm shares the buffer; the clone outlives its source", async () => {
  await tf.setBackend("wasm");
  const buffers = () => tf.backend().numDataIds();
  const before = buffers();
  const a = tf.tensor1d([1, 2, 3]);
  const b = a.clone();
  assert.equal(buffers() - before, 1); // one buffer for two tensors
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  b.dispose();
  assert.equal(buffers(), before);
});

Deno.test("a tiny FC-DenseNet's training gradients on wasm match cpu", async () => {
  const { buildFCDenseNet } = await import("../models/fc_densenet.ts");
  const { setDropoutStep } = await import("../models/step_dropout.ts");
  const cfg = {
    ...PAPER_LIVER_MODEL,
    firstFilters: 4,
    growthRate: 2,
    layersPerBlock: 2,
    poolingLevels: 2,
  };
  const xv = values(2 * 16 * 16, 9).map((v) => v - 0.5); // many all-negative pool windows
  const grads = (backend: string) =>
    on(backend, () => {
      const model = buildFCDenseNet(cfg, 16, { seed: 3 });
      setDropoutStep(model, { seed: 1, step: 0 });
      const x = tf.tensor4d(xv, [2, 16, 16, 1]);
      const w = tf.tensor4d(values(2 * 32 * 32 * 2, 10), [2, 32, 32, 2]);
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const { grads } = tf.variableGrads(
        () => (model.apply(x, { training: true }) as tf.Tensor).mul(w).sum() as tf.Scalar,
        vars,
      );
      const out = vars.map((v) => grads[v.name]);
      model.dispose();
      return out;
    });
  assertClose(await grads("wasm"), await grads("cpu"), "FC-DenseNet gradients", 1e-3);
});
