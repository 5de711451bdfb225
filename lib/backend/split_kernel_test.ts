import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { compareWithCpu, values } from "./testing.ts";

registerWasmKernels();

Deno.test("SplitV along the last axis on wasm: hand-computed values", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const [a, b] = tf.split(x, [1, 2], -1);
  assert.deepEqual(a.shape, [2, 1]);
  assert.deepEqual(Array.from(a.dataSync()), [1, 4]);
  assert.deepEqual(Array.from(b.dataSync()), [2, 3, 5, 6]);
  tf.dispose([x, a, b]);
});

Deno.test("SplitV (concat gradient, short and long rows, other axes) on wasm matches cpu", async () => {
  const xv = values(2 * 3 * 4 * 40, 1);
  const wv = values(2 * 3 * 4 * 40, 2);
  const fn = () => {
    const x = tf.tensor4d(xv, [2, 3, 4, 40]);
    const w = tf.tensor4d(wv, [2, 3, 4, 40]);
    const f = (t: tf.Tensor) => {
      const [p, q, r] = tf.split(t, [3, 35, 2], 3);
      return tf.concat([q, p.square(), r.mul(2)], 3).mul(w).sum();
    };
    return [
      ...tf.split(x, [3, 35, 2], 3),
      ...tf.split(x, 2, 0),
      ...tf.split(x, [1, 3], 2),
      tf.grad(f)(x),
    ];
  };
  await compareWithCpu("wasm", "SplitV", fn, 1e-5);
});
