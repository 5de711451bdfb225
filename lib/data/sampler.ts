/**
 * Random training batches from a LiTS-layout dataset, reproducible from a
 * seed and resumable from a saved state.
 *
 * Sampling: each sample picks a case of a resident pool of `cacheCases`, then
 * one of its selected slices, both uniformly. When the dataset has more cases
 * than the pool holds, every `swapEvery` samples the oldest resident case is
 * replaced by a random non-resident one, so all cases are visited over an
 * epoch without reloading a volume for every slice.
 *
 * Memory: of each case only its selected slices are kept, preprocessed (inputs
 * at `inputSize`, labels at `sliceSize`); the volumes themselves are dropped
 * after preprocessing. A case that leaves the pool stays cached while the cache
 * holds under `cacheBytes`, so it is read and preprocessed once per run, not at
 * every return to the pool (a tumor run of the cpu profile read 14 volumes an
 * epoch, half its time). With `cacheDir` they are also kept on disk for the next run
 * (`prepared_case.ts`). Caching does not change the batches.
 *
 * With `patchSize`, each sample is a square crop of the slice (`patchSize` px of
 * the input, the matching region of labels and weights), centred half of the time
 * on a random pixel of the target class (when the slice has one) and otherwise on
 * a uniformly random pixel: training at the input's resolution for the cost of a
 * patch, with the rare tumor pixels oversampled as nnU-Net does. With
 * `intensityShift`, each sample's HU are moved by one random offset, so that a
 * tumor is learnt as darker than its liver rather than darker than a fixed value.
 * With the data config's `liverMedianHU`, each case is first moved so that its
 * reference liver's median has that value (`liver_reference.ts`).
 *
 * Loading is synchronous (files are read and gunzipped with sync calls), so
 * `next` is synchronous and needs no `prepare` step; the first `next` (and a
 * swap) pays for reading a case.
 *
 * @example
 * ```ts
 * const sampler = createSampler({ cases: split.train, data: cfg.data, task: "liver", seed: 1 });
 * const { images, labels, weights } = sampler.next(3); // caller disposes
 * const saved = sampler.state(); // JSON-safe; sampler.restore(saved) resumes exactly
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DataConfig, Task } from "../config/experiment.ts";
import type { CaseEntry } from "./dataset.ts";
import { loadCaseSync, type LoadedCase } from "./case_loader.ts";
import { cachedPreparedCase, prepareCase, type PreparedCase } from "./prepared_case.ts";
import { createRng, type RngState } from "../util/prng.ts";
import { isTargetLabel } from "./segmentation.ts";
import { weightMap } from "./weight_map.ts";
import {
  checkLiverShare,
  checkShift,
  patchCorner,
  patchGeometry,
  shiftIntensity,
} from "./augment.ts";

/** One batch; the caller disposes the tensors. Sides shrink to the patch when cropping. */
export interface Batch {
  /** [B, inputSize, inputSize, windows.length]. */
  images: tf.Tensor4D;
  /** [B, sliceSize, sliceSize, 2]: one-hot (background, target). */
  labels: tf.Tensor4D;
  /** [B, sliceSize, sliceSize]: per-pixel loss weights. */
  weights: tf.Tensor3D;
}

/** Everything needed to continue the exact same sequence of batches (JSON-safe). */
export interface SamplerState {
  rng: RngState;
  /** Indices (into `cases`) of the resident pool, oldest first. */
  resident: number[];
  /** Samples drawn since the last swap. */
  sinceSwap: number;
  /** Cases found to have no selected slice. */
  empty: number[];
}

export interface SamplerOptions {
  cases: CaseEntry[];
  data: DataConfig;
  task: Task;
  seed: number;
  /** Cases resident at once, the pool samples are drawn from (default 4). */
  cacheCases?: number;
  /** Bytes of preprocessed cases kept beyond the pool (default {@link CACHE_BYTES}). */
  cacheBytes?: number;
  /** Samples between two swaps of the pool when not every case fits (default 16). */
  swapEvery?: number;
  /** How a case is read; default: its NIfTI files, synchronously. */
  load?: (c: CaseEntry) => LoadedCase;
  /**
   * Keep preprocessed cases in this folder across runs (`prepared_case.ts`); default: read
   * and preprocess every case in each run. Only with files behind `load`: the key is theirs.
   */
  cacheDir?: string;
  /** Crop each sample to this side in input pixels (see the module doc); default: whole slices. */
  patchSize?: number;
  /**
   * Shift each sample's intensities by a uniform random offset in +-this many HU (default 0):
   * patients' livers differ by tens of HU, and a tumor is darker than its own liver, not
   * darker than a fixed value.
   */
  intensityShift?: number;
  /**
   * With `patchSize`: the share of patches centred on a random liver pixel (0..0.5, default 0),
   * taken from the uniformly placed half, so that the model sees the liver's border and the
   * tissue around it.
   */
  liverPatches?: number;
}

export interface Sampler {
  /** A batch of `batchSize` random slices. */
  next(batchSize: number): Batch;
  state(): SamplerState;
  restore(s: SamplerState): void;
  /** Drop every cached case. */
  dispose(): void;
}

/**
 * Default bytes of preprocessed cases a sampler keeps (its pool is kept whatever the size); a
 * training run under this bound puts every case in the pool (`lib/train/batches.ts`).
 */
export const CACHE_BYTES = 1.5e9;

/** A seeded, resumable batch sampler over `opts.cases` (see the module doc). */
export function createSampler(opts: SamplerOptions): Sampler {
  const { cases, data, task } = opts;
  if (cases.length === 0) throw new Error("sampler: no cases");
  const poolSize = Math.max(1, Math.min(opts.cacheCases ?? 4, cases.length));
  const swapEvery = opts.swapEvery ?? 16;
  const load = opts.load ?? loadCaseSync;
  const rng = createRng(opts.seed);
  let resident: number[] = [];
  let empty = new Set<number>();
  let sinceSwap = 0;
  const cacheBytes = opts.cacheBytes ?? CACHE_BYTES;
  const cache = new Map<number, PreparedCase>();
  const cachedBytes = () =>
    [...cache.values()].reduce((n, p) => n + p.inputs.byteLength + p.labels.byteLength, 0);

  const prepareOne = (c: CaseEntry): PreparedCase =>
    opts.cacheDir ? cachedPreparedCase(c, data, opts.cacheDir, load) : prepareCase(load(c), data);
  const prepared = (i: number): PreparedCase => {
    let p = cache.get(i);
    if (!p) {
      p = prepareOne(cases[i]);
      cache.set(i, p);
      // Oldest first, cases outside the pool leave the cache once it is full.
      for (const k of cache.keys()) {
        if (cachedBytes() <= cacheBytes) break;
        if (k !== i && !resident.includes(k)) cache.delete(k);
      }
    }
    return p;
  };
  const candidates = (): number[] =>
    cases.map((_, i) => i).filter((i) => !resident.includes(i) && !empty.has(i));

  /** Add a random non-resident case with selected slices to the pool; false when none is left. */
  const admit = (): boolean => {
    for (;;) {
      const free = candidates();
      if (free.length === 0) return false;
      const i = free[rng.int(0, free.length - 1)];
      if (prepared(i).count > 0) {
        resident.push(i);
        return true;
      }
      cache.delete(i);
      empty.add(i);
    }
  };

  const fill = (): void => {
    while (resident.length < poolSize && admit());
    if (resident.length === 0) {
      throw new Error(
        `sampler: none of the ${cases.length} cases has a slice with ${data.selectBy} ` +
          `(first: ${cases[0].segmentationPath ?? cases[0].volumePath})`,
      );
    }
  };

  const g = patchGeometry(data.sliceSize, data.inputSize, opts.patchSize);
  const S = g.slice, I = g.input, P = g.patch, PL = g.labelPatch, C = data.windows.length;
  const scale = S / I;
  const shift = opts.intensityShift ?? 0;
  checkShift(shift);
  const liverShare = opts.liverPatches ?? 0;
  checkLiverShare(liverShare);

  const next = (batchSize: number): Batch => {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    }
    fill();
    const inLen = I * I * C, labLen = S * S;
    const images = new Float32Array(batchSize * P * P * C);
    const onehot = new Float32Array(batchSize * PL * PL * 2);
    const weights = new Float32Array(batchSize * PL * PL);
    for (let b = 0; b < batchSize; b++) {
      const p = prepared(resident[rng.int(0, resident.length - 1)]);
      const s = rng.int(0, p.count - 1);
      const img = p.inputs.subarray(s * inLen, (s + 1) * inLen);
      const lab = p.labels.subarray(s * labLen, (s + 1) * labLen);
      const w = weightMap(lab, S, S, data.weights, task);
      const [y0, x0] = patchCorner(rng, lab, g, task, liverShare);
      for (let y = 0; y < P; y++) {
        const from = ((y0 + y) * I + x0) * C;
        images.set(img.subarray(from, from + P * C), ((b * P + y) * P) * C);
      }
      if (shift > 0) {
        shiftIntensity(
          rng,
          images.subarray(b * P * P * C, (b + 1) * P * P * C),
          shift,
          data.windows,
        );
      }
      const ly0 = y0 * scale, lx0 = x0 * scale;
      for (let y = 0; y < PL; y++) {
        for (let x = 0; x < PL; x++) {
          const src = (ly0 + y) * S + lx0 + x, dst = (b * PL + y) * PL + x;
          onehot[2 * dst + (isTargetLabel(lab[src], task) ? 1 : 0)] = 1;
          weights[dst] = w[src];
        }
      }
      if (++sinceSwap >= swapEvery && candidates().length > 0) {
        sinceSwap = 0;
        resident.shift();
        fill();
      }
    }
    return {
      images: tf.tensor4d(images, [batchSize, P, P, C]),
      labels: tf.tensor4d(onehot, [batchSize, PL, PL, 2]),
      weights: tf.tensor3d(weights, [batchSize, PL, PL]),
    };
  };

  return {
    next,
    state: () => ({ rng: rng.state(), resident: [...resident], sinceSwap, empty: [...empty] }),
    restore: (s) => {
      const bad = (i: unknown) =>
        !Number.isInteger(i) || (i as number) < 0 || (i as number) >= cases.length;
      if (
        !s || !Array.isArray(s.resident) || s.resident.some(bad) || !Array.isArray(s.empty) ||
        s.empty.some(bad)
      ) {
        throw new Error(`sampler: invalid state for ${cases.length} cases: ${JSON.stringify(s)}`);
      }
      rng.restore(s.rng);
      resident = [...s.resident];
      empty = new Set(s.empty);
      sinceSwap = s.sinceSwap;
    },
    dispose: () => cache.clear(),
  };
}
