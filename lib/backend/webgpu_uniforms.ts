/**
 * Uniform buffers kept per content, and bind group layouts per pipeline, for tfjs's webgpu
 * backend (4.22). For every dispatch tfjs writes its uniforms (shapes, strides, constants)
 * into a fresh pooled buffer and asks the pipeline for its bind group layout; under Deno on
 * lavapipe (2 cores) those were 30 us and 6 us of the dispatch's WebGPU calls, after
 * `createBindGroup` (about 100 us). The uniforms of a training step recur step after step
 * (Adam's rate excepted), so a content seen twice is written once more into a buffer of its
 * own and bound from then on; such a buffer is never written again, so sharing it between
 * dispatches is safe. `createBindGroup` itself stays: the tensors'
 * pooled buffers do not recur in the same combinations (a cache of bind groups hit 4%).
 *
 * @example
 * ```ts
 * await tf.setBackend("webgpu");
 * keepUniforms(tf.backend()); // before the first kernel runs
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The parts of tfjs's WebGPUBackend this patch relies on (tfjs 4.22). */
interface WebGPUInternals {
  device: GPUDevice;
  queue: GPUQueue;
  makeUniforms(uniforms: unknown[]): GPUBufferBinding;
  keptUniforms?: UniformStats;
}

/** Counters, for tests and benchmarks. */
export interface UniformStats {
  /** Dispatches that bound a kept buffer. */
  reused: number;
  /** Distinct contents kept. */
  kept: number;
}

/** Contents kept (and first uses remembered) at most; others get tfjs's per-dispatch buffer. */
const LIMIT = 20_000;

let enabled = true;

/** Turn the reuse off (false: a buffer written per dispatch, as tfjs does) or on. */
export function useKeptUniforms(on: boolean): void {
  enabled = on;
}

/** Install on `backend` (idempotent); returns its counters. */
export function keepUniforms(backend: tf.KernelBackend): UniformStats {
  const b = backend as unknown as WebGPUInternals;
  if (b.keptUniforms) return b.keptUniforms;
  const stats: UniformStats = { reused: 0, kept: 0 };
  const device = b.device;

  // getBindGroupLayout returns a new object at each call; one per pipeline and index does.
  const memoLayouts = (pipeline: GPUComputePipeline) => {
    const own = pipeline.getBindGroupLayout.bind(pipeline);
    const memo = new Map<number, GPUBindGroupLayout>();
    pipeline.getBindGroupLayout = (index: number) => {
      let layout = memo.get(index);
      if (layout == null) memo.set(index, layout = own(index));
      return layout;
    };
    return pipeline;
  };
  const createPipeline = device.createComputePipeline.bind(device);
  device.createComputePipeline = (desc) => memoLayouts(createPipeline(desc));
  const createPipelineAsync = device.createComputePipelineAsync.bind(device);
  device.createComputePipelineAsync = async (desc) => memoLayouts(await createPipelineAsync(desc));

  // tfjs's own layout of the uniforms, run against stand-ins that capture its bytes.
  const makeUniforms = b.makeUniforms;
  const kept = new Map<string, GPUBuffer>();
  const seen = new Set<string>();
  b.makeUniforms = function (this: WebGPUInternals, fields: unknown[]) {
    if (!enabled || kept.size >= LIMIT) return makeUniforms.call(this, fields);
    let bytes = new Uint8Array(0);
    const capture = {
      bufferManager: { acquireBuffer: () => null },
      queue: {
        writeBuffer: (_b: unknown, _o: number, data: ArrayBuffer, off: number, size: number) => {
          bytes = new Uint8Array(data, off, size);
        },
      },
      uniformPendingDisposal: { push: () => 0 },
    };
    const binding = makeUniforms.call(capture as unknown as WebGPUInternals, fields);
    const key = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).join(",");
    let buffer = kept.get(key);
    if (buffer == null && !seen.has(key)) {
      // First use: a content may not recur (Adam's rate changes every step).
      if (seen.size >= LIMIT) seen.clear();
      seen.add(key);
      return makeUniforms.call(this, fields);
    }
    if (buffer == null) {
      buffer = device.createBuffer({
        size: bytes.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.queue.writeBuffer(buffer, 0, bytes);
      kept.set(key, buffer);
      stats.kept = kept.size;
    } else {
      stats.reused++;
    }
    return { ...binding, buffer };
  };
  b.keptUniforms = stats;
  return stats;
}
