/**
 * `SplitV` for the `wasm` backend along the last axis (the gradient of every channel
 * concatenation of an FC-DenseNet) in one pass: each output row is copied out of each input
 * row, long rows with `TypedArray.set`. The stock kernel runs one generic `Slice` per output.
 * Other axes and dtypes go to the stock kernel.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, type Info } from "./wasm_util.ts";

interface SplitAttrs {
  numOrSizeSplits: number | number[];
  axis: number | number[];
}

/** Rows shorter than this are copied value by value (a `set` call costs more). */
const SET_MIN = 32;

function makeSplit(stock: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: { x: Info }; backend: BackendWasm; attrs: SplitAttrs }) => {
    const { inputs: { x }, backend, attrs } = args;
    const rank = x.shape.length;
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    if (x.dtype !== "float32" || axis !== rank - 1 || rank < 2) {
      return stock(args as unknown as Parameters<tf.KernelFunc>[0]);
    }
    const sizes = tf.backend_util.prepareSplitSize(
      x as unknown as tf.Tensor,
      attrs.numOrSizeSplits,
      axis,
    );
    const width = x.shape[axis];
    const outs = sizes.map((c) => backend.makeOutput([...x.shape.slice(0, -1), c], "float32"));
    const src = heapF32(backend, x); // views after makeOutput: the heap may have grown
    const rows = width === 0 ? 0 : src.length / width;
    let off = 0;
    sizes.forEach((c, j) => {
      const dst = heapF32(backend, outs[j]);
      for (let r = 0; r < rows; r++) {
        const s = r * width + off, d = r * c;
        if (c >= SET_MIN) dst.set(src.subarray(s, s + c), d);
        else for (let i = 0; i < c; i++) dst[d + i] = src[s + i];
      }
      off += c;
    });
    return outs;
  }) as unknown as tf.KernelFunc;
}

/** Kernel config for `wasm` `SplitV`; call after the stock wasm kernels are registered. */
export function splitKernel(): tf.KernelConfig {
  const stock = tf.getKernel(tf.SplitV, "wasm");
  if (stock == null) throw new Error("split_kernel.ts: no stock wasm 'SplitV' kernel");
  return {
    kernelName: tf.SplitV,
    backendName: "wasm",
    setupFunc: stock.setupFunc,
    kernelFunc: makeSplit(stock.kernelFunc),
  };
}
