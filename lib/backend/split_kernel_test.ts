import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./wasm_kernels.ts";

registerWasmKernels();

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
  const cpu = await on("cpu", fn);
  const wasm = await on("wasm", fn);
  assert.equal(wasm.length, cpu.length);
  for (let k = 0; k < cpu.length; k++) {
    assert.equal(wasm[k].length, cpu[k].length);
    for (let i = 0; i < cpu[k].length; i++) {
      assert.ok(Math.abs(wasm[k][i] - cpu[k][i]) <= 1e-5 * Math.max(1, Math.abs(cpu[k][i])));
    }
  }
});
