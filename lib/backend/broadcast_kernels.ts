/**
 * `Add`, `Sub`, `Multiply` and `RealDiv` for the `wasm` backend when one float32 operand is
 * full-size and the other repeats along the leading axes (a per-channel vector against an
 * NHWC activation, as in batch norm, its gradient and the moments). The stock kernels take a
 * generic broadcasting path there (~10 ns a value); this is one pass in memory order. Every
 * other case goes to the stock kernel.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, type Info } from "./wasm_util.ts";

type Op = (full: Float32Array, rep: Float32Array, out: Float32Array, fullFirst: boolean) => void;

/**
 * Period of `small` broadcast to `outShape` when it only repeats along leading axes (its
 * shape, right-aligned, is 1s then the trailing dims of `outShape`); 0 otherwise.
 */
export function trailingPeriod(small: number[], outShape: number[]): number {
  const offset = outShape.length - small.length;
  if (offset < 0) return 0;
  let k = 0; // first axis of `small` that is not 1
  while (k < small.length && small[k] === 1) k++;
  let period = 1;
  for (let j = k; j < small.length; j++) {
    if (small[j] !== outShape[j + offset]) return 0;
    period *= small[j];
  }
  return period;
}

// One loop per op, written out: a shared loop calling `f` would be a megamorphic call per value.
const add: Op = (full, rep, out) => {
  const p = rep.length;
  for (let s = 0; s < full.length; s += p) {
    for (let i = 0; i < p; i++) out[s + i] = full[s + i] + rep[i];
  }
};
const mul: Op = (full, rep, out) => {
  const p = rep.length;
  for (let s = 0; s < full.length; s += p) {
    for (let i = 0; i < p; i++) out[s + i] = full[s + i] * rep[i];
  }
};
const sub: Op = (full, rep, out, fullFirst) => {
  const p = rep.length;
  for (let s = 0; s < full.length; s += p) {
    if (fullFirst) { for (let i = 0; i < p; i++) out[s + i] = full[s + i] - rep[i]; }
    else for (let i = 0; i < p; i++) out[s + i] = rep[i] - full[s + i];
  }
};
const div: Op = (full, rep, out, fullFirst) => {
  const p = rep.length;
  for (let s = 0; s < full.length; s += p) {
    if (fullFirst) { for (let i = 0; i < p; i++) out[s + i] = full[s + i] / rep[i]; }
    else for (let i = 0; i < p; i++) out[s + i] = rep[i] / full[s + i];
  }
};

const OPS: [string, Op][] = [[tf.Add, add], [tf.Sub, sub], [tf.Multiply, mul], [tf.RealDiv, div]];

function makeBinary(op: Op, stock: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: { a: Info; b: Info }; backend: BackendWasm }) => {
    const { inputs: { a, b }, backend } = args;
    const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
    if (a.dtype === "float32" && b.dtype === "float32") {
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = size(outShape);
      const aFull = size(a.shape) === n && a.shape.length === outShape.length;
      const bFull = size(b.shape) === n && b.shape.length === outShape.length;
      // Equal shapes and scalars are fast in the stock kernel.
      if (aFull !== bFull && n > 0) {
        const [full, rep] = aFull ? [a, b] : [b, a];
        const period = trailingPeriod(rep.shape, outShape);
        if (period > 1) {
          const out = backend.makeOutput(outShape, "float32");
          op(heapF32(backend, full), heapF32(backend, rep), heapF32(backend, out), aFull);
          return out;
        }
      }
    }
    return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
  }) as unknown as tf.KernelFunc;
}

/**
 * Kernel configs for the four broadcasting binary ops on `wasm`; call after the stock wasm
 * kernels are registered (they fall back to them).
 */
export function broadcastKernels(): tf.KernelConfig[] {
  return OPS.map(([name, op]) => {
    const stock = tf.getKernel(name, "wasm");
    if (stock == null) throw new Error(`broadcast_kernels.ts: no stock wasm '${name}' kernel`);
    return {
      kernelName: name,
      backendName: "wasm",
      // The stock setup binds the wasm function the fallback calls.
      setupFunc: stock.setupFunc,
      kernelFunc: makeBinary(op, stock.kernelFunc),
    };
  });
}
