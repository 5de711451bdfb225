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
import { useStockAdam } from "./adam_update.ts";
import { useKeptUniforms } from "./webgpu_uniforms.ts";
import { useStockBatchNorm } from "./batchnorm_train.ts";
import { useStockWebGPUFilterGrad } from "./webgpu_conv_grad.ts";

/** Route webgpu training through tfjs's stock kernels (true) or through ours (false). */
export function useStockWebGPUKernels(stock: boolean): void {
  useStockAdam(stock);
  useStockBatchNorm(stock);
  useStockWebGPUFilterGrad(stock);
  useKeptUniforms(!stock);
}
