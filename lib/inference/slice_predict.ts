/**
 * One model of the cascade on chosen slices, for figures: the thresholded
 * foreground at the volume's resolution (as the cascade computes it, before any
 * post-processing), the slices worth showing, and what the liver
 * post-processing changed.
 *
 * @example
 * ```ts
 * const zs = topSlices(seg, (v) => v >= 1, 2);
 * const mask = await predictMask(vol, liverRun, zs);        // nx*ny*nz, 1 = liver
 * const post = postprocessLiver({ data: mask, shape: vol.shape }, vol.spacing, cfg.postprocess);
 * const effect = postprocessEffect(mask, post.data, seg);
 * ```
 * @module
 */
import { referenceLiver } from "../data/liver_reference.ts";
import { isLiver } from "../data/segmentation.ts";
import { topSlices } from "../data/slice_counts.ts";
import type { Volume } from "../data/volume.ts";
import { type CascadeModel, segmentSlices } from "./cascade.ts";
import { labelComponents } from "../masks/components.ts";
import { diceFromCounts, maskCounts } from "../metrics/overlap.ts";
import { liverPostprocess, postprocessLiver } from "./postprocess.ts";

// Slice choice lives with the data helpers; re-exported for the figures that predict on it.
export { showcaseSlice, sliceCounts, topSlices } from "../data/slice_counts.ts";

/** Options of {@link predictMask}. */
export interface PredictMaskOptions {
  /** Foreground probability above which a voxel is set (default 0.5). */
  threshold?: number;
  /** Slices per forward pass (default 4). */
  batchSize?: number;
  /** Volume-sized liver mask; needed by a model trained with `liverMedianHU`. */
  liver?: Uint8Array;
}

/**
 * `m`'s foreground (class 1) on slices `zs` of `vol`, resized to nx x ny and
 * thresholded: a volume-sized mask, 0 outside `zs`.
 */
export async function predictMask(
  vol: Volume,
  m: CascadeModel,
  zs: number[],
  opts: PredictMaskOptions = {},
): Promise<Uint8Array> {
  const [nx, ny, nz] = vol.shape;
  const out = new Uint8Array(nx * ny * nz);
  await segmentSlices(vol, zs, m, out, { threshold: 0.5, batchSize: 4, ...opts });
  return out;
}

/** A mask's size, 26-connected components and Dice against the reference liver (labels >= 1). */
export interface MaskStats {
  voxels: number;
  components: number;
  dice: number;
}

/** What the liver post-processing did, and where it did the most. */
export interface PostprocessEffect {
  before: MaskStats;
  after: MaskStats;
  removed: number;
  added: number;
  /**
   * The slice with the most removed voxels (what post-processing is for: false
   * positives such as spleen or heart dropped), or the most added when none was removed.
   */
  z: number;
}

function maskStats(mask: Uint8Array, ref: Volume): MaskStats {
  const counts = maskCounts(mask, referenceLiver(ref));
  const components = labelComponents({ data: mask, shape: ref.shape }, 26).count;
  return { voxels: counts.a, components, dice: diceFromCounts(counts.both, counts.a + counts.b) };
}

/** Compare a raw liver mask with its post-processed version against reference labels. */
export function postprocessEffect(
  before: Uint8Array,
  after: Uint8Array,
  ref: Volume,
): PostprocessEffect {
  if (before.length !== ref.data.length || after.length !== ref.data.length) {
    throw new RangeError(
      `masks (${before.length}, ${after.length} voxels) do not match the reference ${
        ref.shape.join("x")
      }`,
    );
  }
  const n = ref.shape[0] * ref.shape[1];
  const removedPerSlice = new Array<number>(ref.shape[2]).fill(0);
  const addedPerSlice = new Array<number>(ref.shape[2]).fill(0);
  let removed = 0, added = 0;
  for (let i = 0; i < before.length; i++) {
    const a = before[i] !== 0, b = after[i] !== 0;
    if (a === b) continue;
    if (a) {
      removed++;
      removedPerSlice[Math.floor(i / n)]++;
    } else {
      added++;
      addedPerSlice[Math.floor(i / n)]++;
    }
  }
  const perSlice = removed > 0 ? removedPerSlice : addedPerSlice;
  const z = perSlice.reduce((best, c, k) => (c > perSlice[best] ? k : best), 0);
  return { before: maskStats(before, ref), after: maskStats(after, ref), removed, added, z };
}

/** Slice `z` of two masks as change labels: 1 = only in `before` (removed), 2 = only in `after` (added). */
export function changeSlice(
  before: Uint8Array,
  after: Uint8Array,
  shape: readonly [number, number, number],
  z: number,
): Uint8Array {
  const n = shape[0] * shape[1];
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = before[z * n + i] !== 0, b = after[z * n + i] !== 0;
    out[i] = a === b ? 0 : a ? 1 : 2;
  }
  return out;
}

/** The liver post-processing on one volume: raw and post-processed masks and the slice to show. */
export interface PostprocessExample {
  /** The liver model's thresholded mask on every slice, and after post-processing. */
  raw: Uint8Array;
  post: Uint8Array;
  effect: PostprocessEffect;
  /** Where post-processing changed the most; the slice with the most reference liver when it changed nothing. */
  z: number;
}

/**
 * The liver model on every slice of `vol`, post-processed in 3D with the run's
 * `postprocess` config, compared with the reference labels `ref`.
 */
export async function postprocessExample(
  vol: Volume,
  ref: Volume,
  liver: CascadeModel,
): Promise<PostprocessExample> {
  const raw = await predictMask(vol, liver, Array.from({ length: vol.shape[2] }, (_, z) => z));
  const post =
    postprocessLiver({ data: raw, shape: vol.shape }, vol.spacing, liverPostprocess(liver.config))
      .data;
  const effect = postprocessEffect(raw, post, ref);
  const changed = effect.removed + effect.added > 0;
  return { raw, post, effect, z: changed ? effect.z : topSlices(ref, isLiver, 1)[0] ?? 0 };
}
