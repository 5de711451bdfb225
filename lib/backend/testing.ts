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

/** Runs `fn` on a backend and returns its outputs as plain arrays. */
export async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  // data(), not dataSync(): webgpu cannot read synchronously.
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return data;
}

/** Every element of `a` within `tol` (relative above 1) of `b`. */
export function assertClose(a: Float32Array[], b: Float32Array[], what: string, tol: number): void {
  assert.equal(a.length, b.length, `${what}: number of outputs`);
  for (let k = 0; k < a.length; k++) {
    assert.equal(a[k].length, b[k].length, `${what}: output ${k} length`);
    for (let i = 0; i < a[k].length; i++) {
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
