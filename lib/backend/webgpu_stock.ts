/**
 * One switch for all of our webgpu kernels (filter gradient, training batch norm, Adam) and
 * the kept uniform buffers, so that benchmarks and tests can run the same step with tfjs's own
 * kernels and ops (the uploads of `webgpu_upload.ts` stay).
 *
 * @example
 * ```ts
 * useStockWebGPUKernels(true); // tfjs 4.22 as shipped
 * ```
 * @module
 */
import { useStockWebGPUAdam } from "./webgpu_adam.ts";
import { useKeptUniforms } from "./webgpu_uniforms.ts";
import { useStockWebGPUBatchNorm } from "./webgpu_batchnorm.ts";
import { useStockWebGPUFilterGrad } from "./webgpu_conv_grad.ts";

/** Route webgpu training through tfjs's stock kernels (true) or through ours (false). */
export function useStockWebGPUKernels(stock: boolean): void {
  useStockWebGPUAdam(stock);
  useStockWebGPUBatchNorm(stock);
  useStockWebGPUFilterGrad(stock);
  useKeptUniforms(!stock);
}
