/**
 * The kernels the `wasm` backend (tfjs 4.22) lacks, gets wrong or runs slowly for training an
 * FC-DenseNet, registered once: convolution and max-pool gradients, a copy-free Identity,
 * transpose-free per-channel Sum/Mean and a one-pass channel SplitV (these two fall back to
 * the stock kernels outside their fast case). Every other kernel of the forward + backward
 * pass (Elu, EluGrad, Step for the Relu gradient, ResizeBilinear(+Grad), Concat, Softmax,
 * Log, the dropout and Adam ops) exists in wasm and agrees with `cpu` (see
 * `wasm_kernels_test.ts`).
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
import { splitKernel } from "./split_kernel.ts";

/** The wasm kernels this module adds or replaces (the reductions and SplitV wrap the stock ones). */
export const wasmKernels: tf.KernelConfig[] = [
  ...convGradKernels,
  maxPoolGradKernel,
  identityKernel,
  ...reduceKernels(),
  splitKernel(),
];

let registered = false;
/** The stock configs our kernels replaced, by kernel name. */
const stockConfigs = new Map<string, tf.KernelConfig>();

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
    const stock = tf.getKernel(config.kernelName, "wasm");
    if (stock != null) {
      stockConfigs.set(config.kernelName, stock);
      tf.unregisterKernel(config.kernelName, "wasm");
    }
    tf.registerKernel(config);
  }
  registered = true;
}

/**
 * Puts the stock wasm kernels back for `names` (`stock` true) or ours again (false), to
 * measure what a replacement gains in the same run. Names we did not replace are ignored.
 * @example
 * setStockWasmKernels(["Sum", "Mean"], true); // time...; then setStockWasmKernels([...], false)
 */
export function setStockWasmKernels(names: string[], stock: boolean): void {
  for (const name of names) {
    const config = stock ? stockConfigs.get(name) : wasmKernels.find((k) => k.kernelName === name);
    if (config == null || !stockConfigs.has(name)) continue;
    tf.unregisterKernel(name, "wasm");
    // Both were set up when the backend initialised; their setups bind the same functions.
    tf.registerKernel({ ...config, setupFunc: undefined });
  }
}
