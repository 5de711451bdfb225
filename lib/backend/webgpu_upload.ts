/**
 * Faster tensor uploads for tfjs's webgpu backend under Deno.
 *
 * tfjs uploads through a buffer mapped at creation (`getMappedRange`, fill,
 * `unmap`). Measured on an NVIDIA H200 in Deno 2.9.6 that path moved about
 * 25 MB/s (64 MB: 2.5 s of CPU), and uploading the dropout masks and batches
 * took over 90% of a training step. `GPUQueue.writeBuffer` skips the mapped
 * range. It is ordered like the original copy: tfjs releases a buffer back to
 * its pool only after the commands that use it are submitted, and queue
 * writes run in submission order.
 *
 * @example
 * ```ts
 * await tf.setBackend("webgpu");
 * useQueueWriteUploads(tf.backend());
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

type DataId = object;

/** The parts of tfjs's WebGPUBackend this patch relies on (tfjs 4.22). */
interface WebGPUInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: {
    get(id: DataId): {
      values: ArrayLike<number> | null;
      dtype: string;
      shape: number[];
      resource: unknown;
    };
  };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  uploadToGPU(id: DataId): void;
  queueWriteUploads?: boolean;
}

/** Replace `backend`'s upload path with `queue.writeBuffer` (idempotent). */
export function useQueueWriteUploads(backend: tf.KernelBackend): void {
  const b = backend as unknown as WebGPUInternals;
  if (b.queueWriteUploads || typeof b.uploadToGPU !== "function" || !b.bufferManager) return;
  const original = b.uploadToGPU.bind(b);
  b.uploadToGPU = (id: DataId) => {
    const data = b.tensorMap.get(id);
    if (data.resource != null || data.values == null || data.dtype === "complex64") {
      return original(id);
    }
    const typed = data.dtype === "int32" || data.dtype === "bool"
      ? toTyped(data.values, Int32Array)
      : toTyped(data.values, Float32Array);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffer = b.bufferManager.acquireBuffer(typed.byteLength, usage);
    b.queue.writeBuffer(buffer, 0, typed.buffer, typed.byteOffset, typed.byteLength);
    data.values = null; // as tfjs does: once uploaded, the values live on the GPU only
    data.resource = buffer;
  };
  b.queueWriteUploads = true;
}

function toTyped<T extends Float32Array | Int32Array>(
  values: ArrayLike<number>,
  Kind: { new (v: ArrayLike<number>): T; prototype: T },
): T {
  return values instanceof Kind ? values : new Kind(values);
}
