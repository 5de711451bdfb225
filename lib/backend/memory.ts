/**
 * Will a training step fit? The wasm heap stops at 4 GiB (wasm32) and then fails with
 * obscure errors (`Aborted()`, out-of-bounds accesses); this estimates a step's memory
 * BEFORE training and throws a clear error that suggests micro-batches or a smaller input.
 *
 * Estimate: bytes = FACTOR x 4 x (elements of every layer output for one sample) x batch
 * + 4 x 4 x parameters (weights, gradients, Adam's two moments). tfjs keeps, per layer, the
 * intermediates of its ops for the backward pass (batch-norm moments, dropout masks, ...),
 * hence the factor, measured on the wasm heap for FC-DenseNets (`memory_test.ts` documents
 * the measurement; see `bench/train_step.ts`).
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import os from "node:os";

/**
 * Peak wasm heap / (4 bytes x layer-output elements x batch), measured (with the Identity fix
 * of `identity_kernel.ts`) for FC-DenseNets: 16/8/3/3 at 128x128, batch 4: 1632 MiB for
 * 23.3 M elements per sample (4.6); 48/16/4/3 at 64x64: 358 MiB at batch 1, 1009 MiB at
 * batch 3, 19.1 M elements per sample (4.5 per added sample). Rounded up for a margin
 * (heap fragmentation, XNNPACK buffers).
 */
export const ACTIVATION_FACTOR = 5;

/** The wasm32 heap limit. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** Elements of all layer outputs of `model` for one sample. */
export function activationElementsPerSample(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const shape = layer.outputShape;
    const shapes = (Array.isArray(shape[0]) ? shape : [shape]) as (number | null)[][];
    for (const s of shapes) total += s.slice(1).reduce((a: number, d) => a * (d ?? 1), 1);
  }
  return total;
}

export interface TrainMemoryEstimate {
  /** Estimated peak bytes of one forward + backward + update of `batch` samples. */
  bytes: number;
  /** The backend's limit in bytes. */
  limit: number;
  /** Bytes that grow with the batch, per sample. */
  perSample: number;
  /** Bytes that do not (parameters, gradients, Adam moments). */
  fixed: number;
  /** The largest batch (micro-batch) that fits; 0 when not even one sample does. */
  maxBatch: number;
}

/** Memory limit of a backend: the wasm heap, else the machine's RAM. */
export function memoryLimit(backend: string): number {
  return backend === "wasm" ? WASM_HEAP_BYTES : os.totalmem();
}

/**
 * Estimates the peak memory of one training step of `model` with `batch` samples.
 * @example
 * const e = estimateTrainMemory(model, 3, "wasm"); // e.bytes, e.maxBatch
 */
export function estimateTrainMemory(
  model: tf.LayersModel,
  batch: number,
  backend: string,
): TrainMemoryEstimate {
  const perSample = ACTIVATION_FACTOR * 4 * activationElementsPerSample(model);
  const fixed = 4 * 4 * model.countParams();
  const limit = memoryLimit(backend);
  const maxBatch = Math.max(0, Math.floor((limit - fixed) / perSample));
  return { bytes: fixed + perSample * batch, limit, perSample, fixed, maxBatch };
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/**
 * Throws before training when a step of `microBatch` samples will not fit the backend's
 * memory, naming the micro-batch and input size that would; returns the estimate otherwise.
 * @example
 * checkTrainMemory(model, cfg.train.microBatch, info.name, "experiments/liver.json");
 */
export function checkTrainMemory(
  model: tf.LayersModel,
  microBatch: number,
  backend: string,
  what = "training",
): TrainMemoryEstimate {
  const e = estimateTrainMemory(model, microBatch, backend);
  if (e.bytes <= e.limit) return e;
  const where = backend === "wasm" ? "the 4 GiB wasm heap" : "this machine's RAM";
  const fix = e.maxBatch >= 1
    ? `set train.microBatch to ${e.maxBatch} or less (gradients accumulate to the same batch)`
    : "even one sample does not fit: reduce data.inputSize (memory grows with its square) " +
      "or the network width" + (backend === "wasm" ? ", or use a GPU backend" : "");
  throw new Error(
    `${what}: a step of ${microBatch} sample(s) needs about ${gib(e.bytes)}, more than ` +
      `${where} (${gib(e.limit)}); ${fix}`,
  );
}
