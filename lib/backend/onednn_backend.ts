/**
 * The `onednn` backend: tfjs's `cpu` backend (tensors are JS `Float32Array`s, outputs of native
 * kernels drawn from a pool of freed ones: `pooled_cpu_backend.ts`) with the kernels
 * that dominate a training step replaced by oneDNN primitives (`onednn_kernels.ts`), the library
 * behind PyTorch's CPU convolutions, called through Deno's FFI.
 *
 * Why the data stays in the `cpu` backend's arrays: Deno passes a typed array to C as a pointer
 * without a copy, so every native kernel works in place on tfjs's own storage, every other
 * kernel is the stock `cpu` one with no transfer between heaps, and memory is bounded by the
 * machine, not by wasm's 4 GiB heap (the paper profile's networks need more). The cost is that
 * the kernels left in JS run single-threaded; they are the small ones (the profile in
 * `bench/train_step.ts --profile --backend onednn` shows what they add). 2x2 max pooling,
 * x2 up-sampling and concatenation, which oneDNN does not do as fast or alike, are our own C
 * (`native_kernels.ts`).
 *
 * @example
 * ```ts
 * const why = registerOneDNNBackend({ threads: 2 });
 * if (why === null) await tf.setBackend("onednn");
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { PooledCPUBackend } from "./pooled_cpu_backend.ts";
import { loadOneDNN, ompThreads, type OneDNN, setOmpThreads } from "./onednn_ffi.ts";
import { JS_X2_KERNELS, oneDNNKernels } from "./onednn_kernels.ts";
import {
  loadBatchNormKernels,
  loadClassKernels,
  loadConcatKernels,
  loadConv3x3Kernels,
  loadNativeKernels,
} from "./native_kernels.ts";
import { routeTrainingBatchNorm } from "./batchnorm_train.ts";
import { registerSoftmaxGrad } from "./softmax_grad.ts";
import { registerReluGrad } from "./relu_grad.ts";

let registered: OneDNN | undefined;
/** How the 2x2 pooling, x2 up-sampling and concatenation run: "C pooling, ...", or why not. */
let nativeNote = "";

/**
 * Registers the `onednn` backend once. Returns null when it is ready, else why not (the
 * library is missing or of another version: the message names it and what to install).
 */
export function registerOneDNNBackend(opts: { threads?: number } = {}): string | null {
  if (registered !== undefined) {
    if (opts.threads !== undefined) setOmpThreads(opts.threads);
    return null;
  }
  const dnnl = loadOneDNN(opts.threads);
  if (typeof dnnl === "string") return dnnl;
  tf.registerBackend("onednn", () => new PooledCPUBackend(), 0);
  const native = loadNativeKernels();
  const copies = loadConcatKernels();
  // With AVX-512 oneDNN's own kernels are wide enough for a dense block's 8k output channels.
  const conv3x3 = dnnl.avx512 ? "oneDNN's AVX-512 kernels" : loadConv3x3Kernels();
  nativeNote = typeof native === "string"
    ? `JS pooling and up-sampling: ${native}`
    : typeof copies === "string"
    ? `C pooling and up-sampling, oneDNN concatenation: ${copies}`
    : "C pooling, up-sampling and concatenation";
  const bn = loadBatchNormKernels();
  nativeNote += typeof conv3x3 === "string"
    ? `; 3x3 convolutions on oneDNN (${conv3x3})`
    : "; C 3x3 convolutions of 8k outputs";
  nativeNote += typeof bn === "string" ? `; oneDNN batch norm (${bn})` : ", C batch norm";
  const rows = loadClassKernels();
  nativeNote += typeof rows === "string"
    ? `; oneDNN softmax (${rows})`
    : ", C softmax, argmax and loss";
  const ours = oneDNNKernels(
    dnnl,
    typeof native === "string" ? JS_X2_KERNELS : native,
    typeof copies === "string" ? null : copies,
    typeof conv3x3 === "string" ? null : conv3x3,
    typeof bn === "string" ? null : bn,
    typeof rows === "string" ? null : rows,
  );
  const replaced = new Set(ours.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: "onednn" });
  }
  for (const k of ours) tf.registerKernel(k);
  routeTrainingBatchNorm();
  registerReluGrad();
  registerSoftmaxGrad();
  registered = dnnl;
  return null;
}

/** OpenMP threads oneDNN runs on. */
export function oneDNNThreads(): number {
  return ompThreads();
}

/**
 * "oneDNN 2.6.3 (libdnnl.so.2), 2 OpenMP threads, C pooling, up-sampling and concatenation",
 * once registered.
 */
export function describeOneDNN(): string {
  if (registered === undefined) return "oneDNN not loaded";
  return `oneDNN ${registered.version} (${registered.library}), ${ompThreads()} OpenMP threads, ` +
    nativeNote;
}
