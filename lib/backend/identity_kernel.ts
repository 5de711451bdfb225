/**
 * `Identity` for the `wasm` backend without a copy. The stock kernel copies the data; the
 * engine clones (Identity) every tensor it saves for the backward pass, so training doubled
 * its memory (the paper network at 128x128, batch 3, overflowed the 4 GiB wasm heap) and
 * spent ~20% of a step copying. Tensors are immutable: sharing the buffer with a reference
 * count, as the `cpu` backend does, is safe.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./wasm_util.ts";

function identity(args: { inputs: { x: Info }; backend: BackendWasm }): Info {
  const { inputs: { x }, backend } = args;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Kernel config to register for `wasm` (it replaces the stock one). */
export const identityKernel: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: "wasm",
  kernelFunc: identity as unknown as tf.KernelFunc,
};
