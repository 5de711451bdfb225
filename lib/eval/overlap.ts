/**
 * Volume-overlap metrics from voxel counts, with the LiTS conventions: rvd in
 * MedPy's `ravd(reference, prediction)` order, (|B| - |A|) / |A|, which makes
 * over-segmentation negative; 9001 stands for "undefined" when a mask is empty.
 *
 * @example
 * ```ts
 * const m = overlapMetrics(sizePred, sizeRef, intersection);
 * ```
 * @module
 */

/** The official scoring's stand-in for an undefined distance or rvd. */
export const EMPTY_VALUE = 9001;

export interface OverlapMetrics {
  dice: number;
  jaccard: number;
  voe: number;
  rvd: number;
}

/** Dice, Jaccard, VOE and RVD of prediction A vs reference B from |A|, |B|, |A and B|. */
export function overlapMetrics(a: number, b: number, both: number): OverlapMetrics {
  if (a === 0 || b === 0) return { dice: 0, jaccard: 0, voe: 1, rvd: EMPTY_VALUE };
  const dice = (2 * both) / (a + b);
  const jaccard = dice / (2 - dice);
  return { dice, jaccard, voe: 1 - jaccard, rvd: (b - a) / a };
}

/** Dice of two masks given as counts; `bothEmpty` is returned when a + b = 0. */
export function diceFromCounts(a: number, b: number, both: number, bothEmpty: number): number {
  return a + b === 0 ? bothEmpty : (2 * both) / (a + b);
}
