/**
 * The kernels the `wasm` backend (tfjs 4.22) lacks or gets wrong for training an
 * FC-DenseNet, registered once. Every other kernel of the forward + backward pass (Elu,
 * EluGrad, Step for the Relu gradient, ResizeBilinear(+Grad), Concat, Softmax, Log, Sum,
 * the dropout and Adam ops) exists in wasm and agrees with `cpu` (see `wasm_kernels_test.ts`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
// Registers the stock wasm kernels first, so that ours replace them and not the reverse.
import "@tensorflow/tfjs-backend-wasm";
import { convGradKernels } from "./conv_grad_kernels.ts";
import { maxPoolGradKernel } from "./maxpool_grad_kernel.ts";
import { identityKernel } from "./identity_kernel.ts";
import { registerBatchNormGrad } from "./batchnorm_grad.ts";
import { reduceKernels } from "./reduce_kernels.ts";
import { broadcastKernels } from "./broadcast_kernels.ts";

/** The wasm kernels this module adds or replaces (the last two groups wrap stock ones). */
export const wasmKernels: tf.KernelConfig[] = [
  ...convGradKernels,
  maxPoolGradKernel,
  identityKernel,
  ...reduceKernels(),
  ...broadcastKernels(),
];

let registered = false;

/**
 * Registers the fixed wasm kernels and the tile-free batch-norm gradient. Idempotent, silent
 * (replaced kernels are unregistered first, so tfjs prints no "already registered").
 * @example
 * registerWasmKernels();
 * await tf.setBackend("wasm");
 */
export function registerWasmKernels(): void {
  registerBatchNormGrad();
  if (registered) return;
  for (const config of wasmKernels) {
    if (tf.getKernel(config.kernelName, "wasm") != null) {
      tf.unregisterKernel(config.kernelName, "wasm");
    }
    tf.registerKernel(config);
  }
  registered = true;
}
