import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { middleReduction } from "./reduce_kernels.ts";
import { trailingPeriod } from "./broadcast_kernels.ts";

registerWasmKernels();

/** Deterministic pseudo-random values in [-1, 1) (LCG), so both backends see the same data. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return data;
}

async function compare(what: string, fn: () => tf.Tensor[], tol = 1e-5): Promise<void> {
  const cpu = await on("cpu", fn);
  const wasm = await on("wasm", fn);
  assert.equal(wasm.length, cpu.length);
  for (let k = 0; k < cpu.length; k++) {
    assert.equal(wasm[k].length, cpu[k].length, `${what}: output ${k} length`);
    for (let i = 0; i < cpu[k].length; i++) {
      const err = Math.abs(wasm[k][i] - cpu[k][i]);
      assert.ok(
        err <= tol * Math.max(1, Math.abs(cpu[k][i])),
        `${what}: output ${k}[${i}] wasm ${wasm[k][i]} vs cpu ${cpu[k][i]}`,
      );
    }
  }
}

Deno.test("middleReduction splits contiguous reduced axes with kept axes after them", () => {
  assert.deepEqual(middleReduction([2, 3, 4, 5], [0, 1, 2]), { outer: 1, reduced: 24, inner: 5 });
  assert.deepEqual(middleReduction([2, 3, 4, 5], [2, 1]), { outer: 2, reduced: 12, inner: 5 });
  assert.equal(middleReduction([2, 3, 4, 5], [3]), null); // trailing: stock kernel
  assert.equal(middleReduction([2, 3, 4, 5], [0, 2]), null); // not contiguous
});

Deno.test("trailingPeriod accepts operands that repeat along leading axes only", () => {
  assert.equal(trailingPeriod([5], [2, 3, 4, 5]), 5);
  assert.equal(trailingPeriod([1, 1, 1, 5], [2, 3, 4, 5]), 5);
  assert.equal(trailingPeriod([1, 4, 5], [2, 3, 4, 5]), 20);
  assert.equal(trailingPeriod([3, 1, 5], [2, 3, 4, 5]), 0); // repeats in the middle
  assert.equal(trailingPeriod([1], [2, 3]), 1);
});

Deno.test("per-channel Sum and Mean on wasm: hand-computed values", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2]);
  const s = tf.sum(x, [0, 1, 2]);
  const m = tf.mean(x, [0, 1, 2], true);
  const r = tf.sum(x, [1, 2]); // per image and channel
  assert.deepEqual(Array.from(s.dataSync()), [16, 20]);
  assert.deepEqual(m.shape, [1, 1, 1, 2]);
  assert.deepEqual(Array.from(m.dataSync()), [4, 5]);
  assert.deepEqual(Array.from(r.dataSync()), [4, 6, 12, 14]);
  tf.dispose([x, s, m, r]);
});

Deno.test("Sum and Mean (all axis patterns) and their gradients on wasm match cpu", async () => {
  const shape: [number, number, number, number] = [2, 3, 4, 5];
  const xv = values(120, 1);
  const wv = values(120, 2);
  const cases: number[][] = [[0, 1, 2], [1, 2], [0], [2, 1, 0], [3], [1, 3], [0, 1, 2, 3]];
  for (const axes of cases) {
    for (const keep of [false, true]) {
      await compare(`reduce ${axes} keepDims ${keep}`, () => {
        const x = tf.tensor4d(xv, shape);
        const w = tf.tensor4d(wv, shape);
        const f = (a: tf.Tensor) =>
          tf.sum(a, axes, keep).square().sum().add(tf.mean(a.mul(w), axes, keep).square().sum());
        return [tf.sum(x, axes, keep), tf.mean(x, axes, keep), tf.grad(f)(x)];
      });
    }
  }
  await compare(
    "int32 sum (stock kernel)",
    () => [tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"), 0)],
  );
});

Deno.test("broadcast Add/Sub/Mul/Div on wasm: hand-computed values", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor3d([1, 2, 3, 4, 6, 8], [3, 1, 2]);
  const c = tf.tensor1d([1, 2]);
  const got = [tf.add(x, c), tf.sub(c, x), tf.mul(x, c), tf.div(x, c), tf.div(c, x)];
  assert.deepEqual(Array.from(got[0].dataSync()), [2, 4, 4, 6, 7, 10]);
  assert.deepEqual(Array.from(got[1].dataSync()), [0, 0, -2, -2, -5, -6]);
  assert.deepEqual(Array.from(got[2].dataSync()), [1, 4, 3, 8, 6, 16]);
  assert.deepEqual(Array.from(got[3].dataSync()), [1, 1, 3, 2, 6, 4]);
  assert.deepEqual(
    Array.from(got[4].dataSync()),
    Array.from(new Float32Array([1, 1, 1 / 3, 0.5, 1 / 6, 0.25])),
  );
  tf.dispose([x, c, ...got]);
});

Deno.test("broadcast binary ops and their gradients on wasm match cpu", async () => {
  const xv = values(120, 3);
  const shapes = [[5], [1, 1, 1, 5], [4, 5], [1, 4, 1], [3, 1, 5], [1]];
  for (const s of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    const cv = values(n, 4).map((v) => v + (v >= 0 ? 0.5 : -0.5)); // away from 0 for Div
    await compare(`broadcast ${JSON.stringify(s)}`, () => {
      const x = tf.tensor4d(xv, [2, 3, 4, 5]);
      const c = tf.tensor(cv, s);
      const ops = [tf.add, tf.sub, tf.mul, tf.div];
      const out: tf.Tensor[] = [];
      for (const op of ops) {
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          (op(a, b) as tf.Tensor).square().sum().add((op(b, a) as tf.Tensor).sum());
        out.push(op(x, c), op(c, x), ...tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, c]));
      }
      return out;
    }, 1e-4);
  }
});

Deno.test("setStockWasmKernels swaps the stock Sum in and ours back", async () => {
  const { setStockWasmKernels, wasmKernels } = await import("./wasm_kernels.ts");
  await tf.setBackend("wasm");
  const ours = wasmKernels.find((k) => k.kernelName === tf.Sum)!.kernelFunc;
  const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [3, 1, 2]);
  setStockWasmKernels([tf.Sum], true);
  try {
    assert.notEqual(tf.getKernel(tf.Sum, "wasm")!.kernelFunc, ours);
    const s = tf.sum(x, [0, 1]);
    assert.deepEqual(Array.from(s.dataSync()), [9, 12]);
    s.dispose();
  } finally {
    setStockWasmKernels([tf.Sum], false);
  }
  assert.equal(tf.getKernel(tf.Sum, "wasm")!.kernelFunc, ours);
  x.dispose();
});
