import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { middleReduction } from "./reduce_kernels.ts";
import { compareWithCpu, values } from "./testing.ts";

registerWasmKernels();

const compare = (what: string, fn: () => tf.Tensor[], tol = 1e-5) =>
  compareWithCpu("wasm", what, fn, tol);

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
