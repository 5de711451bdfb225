import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { middleReduction } from "./reduce_kernels.ts";

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
