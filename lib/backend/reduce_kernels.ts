/**
 * `Sum` and `Mean` for the `wasm` backend without a transpose when the reduced axes are one
 * contiguous run followed by kept axes, e.g. the per-channel reductions of an NHWC
 * activation (axes [0, 1, 2]) that batch norm, its gradient and every broadcast gradient do.
 * The stock kernels transpose the whole tensor so that the reduced axes come last, then reduce
 * (~14 ns a value); here the tensor is read once in memory order and accumulated per kept
 * position in float64 (~1 ns a value). Other cases (trailing axes, int dtypes) go to the stock
 * kernel.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, type Info } from "./wasm_util.ts";

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/**
 * Splits `shape` as [outer, reduced, inner] when `axes` are contiguous and something is kept
 * after them; null otherwise (the stock kernel is then as good or the only option).
 */
export function middleReduction(
  shape: number[],
  axes: number[],
): { outer: number; reduced: number; inner: number } | null {
  if (axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  for (let k = 1; k < sorted.length; k++) if (sorted[k] !== sorted[k - 1] + 1) return null;
  const first = sorted[0], last = sorted[sorted.length - 1];
  if (last === shape.length - 1) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return {
    outer: size(0, first),
    reduced: size(first, last + 1),
    inner: size(last + 1, shape.length),
  };
}

/** sum over r of x[o, r, i] (float32 data, float64 accumulation) into `out[o, i]` times `scale`. */
function reduceMiddle(
  x: Float32Array,
  out: Float32Array,
  split: { outer: number; reduced: number; inner: number },
  scale: number,
): void {
  const { outer, reduced, inner } = split;
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let p = o * reduced * inner;
    for (let r = 0; r < reduced; r++, p += inner) {
      for (let i = 0; i < inner; i++) acc[i] += x[p + i];
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i] * scale;
  }
}

function makeReduce(name: string, mean: boolean, stock: tf.KernelFunc): tf.KernelFunc {
  const kernel = (args: { inputs: { x: Info }; backend: BackendWasm; attrs: ReduceAttrs }) => {
    const { inputs: { x }, backend, attrs } = args;
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
    const split = x.dtype === "float32" ? middleReduction(x.shape, axes) : null;
    if (split == null || split.reduced === 0) {
      return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    const outShape = attrs.keepDims
      ? x.shape.map((d, k) => axes.includes(k) ? 1 : d)
      : x.shape.filter((_, k) => !axes.includes(k));
    const out = backend.makeOutput(outShape, "float32");
    // Views after makeOutput: allocating may grow (and detach) the heap.
    reduceMiddle(heapF32(backend, x), heapF32(backend, out), split, mean ? 1 / split.reduced : 1);
    return out;
  };
  Object.defineProperty(kernel, "name", { value: name });
  return kernel as unknown as tf.KernelFunc;
}

/**
 * Kernel configs for `wasm` `Sum` and `Mean`; call after the stock wasm kernels are registered
 * (they fall back to them).
 */
export function reduceKernels(): tf.KernelConfig[] {
  return [[tf.Sum, false], [tf.Mean, true]].map(([name, mean]) => {
    const stock = tf.getKernel(name as string, "wasm");
    if (stock == null) throw new Error(`reduce_kernels.ts: no stock wasm '${name}' kernel`);
    return {
      kernelName: name as string,
      backendName: "wasm",
      // The stock setup binds the wasm function the fallback calls.
      setupFunc: stock.setupFunc,
      kernelFunc: makeReduce(name as string, mean as boolean, stock.kernelFunc),
    };
  });
}
