/**
 * Small helpers for writing `wasm` kernels out of the backend's own kernels: run a registered
 * wasm kernel on tensor infos, free intermediates, and run a stride-1 convolution with
 * explicit (possibly negative) padding.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** A tensor as kernels see it: data id, shape, dtype. */
export type Info = tf.TensorInfo;

/** Runs the registered `wasm` kernel `name` directly (no engine, no tape). */
export function runWasm(
  name: string,
  backend: BackendWasm,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown> = {},
): Info {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel == null) throw new Error(`wasm kernel '${name}' is not registered`);
  const out = kernel.kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    backend,
    attrs: attrs as tf.NamedAttrMap,
  });
  return Array.isArray(out) ? out[0] : out;
}

/** Frees intermediate tensor infos made inside a kernel. */
export function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Float32 view of a tensor's data on the wasm heap (invalid after the heap grows). */
export function heapF32(backend: BackendWasm, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Transposes through the wasm kernel. */
export function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return runWasm("Transpose", backend, { x }, { perm });
}

/**
 * 2-D convolution, stride 1, NHWC, with explicit padding `[top, bottom, left, right]`;
 * a negative pad crops that side of the input first (XNNPACK only pads).
 */
export function convPadded(
  backend: BackendWasm,
  x: Info,
  filter: Info,
  dilations: [number, number],
  pads: [number, number, number, number],
): Info {
  const [t, b, l, r] = pads;
  let input = x;
  if (t < 0 || b < 0 || l < 0 || r < 0) {
    const [n, h, w, c] = x.shape;
    const top = Math.max(0, -t), left = Math.max(0, -l);
    const size = [n, h - top - Math.max(0, -b), w - left - Math.max(0, -r), c];
    input = runWasm("Slice", backend, { x }, { begin: [0, top, left, 0], size });
  }
  const out = runWasm("Conv2D", backend, { x: input, filter }, {
    strides: [1, 1],
    pad: [[0, 0], [Math.max(0, t), Math.max(0, b)], [Math.max(0, l), Math.max(0, r)], [0, 0]],
    dataFormat: "NHWC",
    dilations,
  });
  if (input !== x) free(backend, input);
  return out;
}
