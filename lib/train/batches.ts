/**
 * Where a run's batches come from: the dataset samplers of its split (training with the
 * config's augmentations, validation on whole slices as inference sees them), or any
 * {@link BatchSource} a test or notebook supplies; and micro-batches of a batch.
 *
 * @example
 * ```ts
 * const sources = await openSources(cfg);
 * const batch = sources.train.next(cfg.train.batchSize);
 * for (const part of microBatches(batch, cfg.train.microBatch)) { ... }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import { type CaseEntry, datasetSplit } from "../data/dataset.ts";
import { type Batch, CACHE_BYTES, createSampler, type SamplerOptions } from "../data/sampler.ts";

/** A seeded stream of random batches whose PRNG state can be saved. */
export interface BatchSource {
  next(batchSize: number): Batch;
  state(): unknown;
  restore(state: unknown): void;
  dispose?(): void;
}

/** The training and validation batch sources of a run. */
export interface BatchSources {
  train: BatchSource;
  validation: BatchSource;
}

/**
 * Open the dataset samplers of `cfg` (training and validation cases of its split); with
 * `cacheDir`, their preprocessed cases are kept there for later runs (`prepared_case.ts`).
 */
export async function openSources(
  cfg: ExperimentConfig,
  opts: { cacheDir?: string } = {},
): Promise<BatchSources> {
  const split = await datasetSplit(cfg.data.root, cfg.data.split, { requireSegmentation: true });
  const { inputSize: i, sliceSize: s, windows } = cfg.data;
  const make = (
    list: CaseEntry[],
    seed: number,
    augment: Pick<SamplerOptions, "patchSize" | "intensityShift" | "liverPatches">,
  ) => {
    if (list.length === 0) throw new Error(`${cfg.data.root}: the split leaves no cases here`);
    // Upper bound: every slice selected; inputs float32, labels + weights.
    const bytes = list.reduce(
      (sum, c) => sum + c.shape[2] * (i * i * windows.length * 4 + s * s * 5),
      0,
    );
    // Within the sampler's cache budget every case is in the pool, so none is ever swapped.
    const cacheCases = bytes <= CACHE_BYTES ? list.length : undefined;
    return createSampler({
      cases: list,
      data: cfg.data,
      task: cfg.task,
      seed,
      cacheCases,
      cacheDir: opts.cacheDir,
      ...augment,
    });
  };
  return {
    // Validation sees whole slices, as inference does.
    train: make(split.train, cfg.train.seed, {
      patchSize: cfg.data.patchSize,
      intensityShift: cfg.data.intensityShift,
      liverPatches: cfg.data.liverPatches,
    }),
    validation: make(split.validation, cfg.train.seed + 1, {}),
  };
}

/** Dispose both sources (those the run opened itself). */
export function closeSources(sources: BatchSources): void {
  sources.train.dispose?.();
  sources.validation.dispose?.();
}

/** Consecutive micro-batches of `batch` (slices along the batch axis); `[batch]` when it fits. */
export function microBatches(batch: Batch, size: number): Batch[] {
  const n = batch.images.shape[0];
  if (size >= n) return [batch];
  const out: Batch[] = [];
  for (let i = 0; i < n; i += size) {
    const k = Math.min(size, n - i);
    out.push({
      images: batch.images.slice([i, 0, 0, 0], [k, -1, -1, -1]),
      labels: batch.labels.slice([i, 0, 0, 0], [k, -1, -1, -1]),
      weights: batch.weights.slice([i, 0, 0], [k, -1, -1]),
    });
  }
  return out;
}

/** Dispose a batch and, when it was split, its micro-batches. */
export function disposeBatch(batch: Batch, parts: Batch[]): void {
  for (const b of parts.length > 1 ? [...parts, batch] : [batch]) {
    tf.dispose([b.images, b.labels, b.weights]);
  }
}
