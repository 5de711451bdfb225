/**
 * One switch for all of our webgpu kernels (filter gradient, training batch norm, Adam), so
 * that benchmarks and tests can run the same step with tfjs's own kernels and ops.
 *
 * @example
 * ```ts
 * useStockWebGPUKernels(true); // tfjs 4.22 as shipped
 * ```
 * @module
 */
import { useStockWebGPUAdam } from "./webgpu_adam.ts";
import { useStockWebGPUBatchNorm } from "./webgpu_batchnorm.ts";
import { useStockWebGPUFilterGrad } from "./webgpu_conv_grad.ts";

/** Route webgpu training through tfjs's stock kernels (true) or through ours (false). */
export function useStockWebGPUKernels(stock: boolean): void {
  useStockWebGPUAdam(stock);
  useStockWebGPUBatchNorm(stock);
  useStockWebGPUFilterGrad(stock);
}
