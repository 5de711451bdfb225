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
  const dice = diceFromCounts(both, a + b);
  const jaccard = dice / (2 - dice);
  return { dice, jaccard, voe: 1 - jaccard, rvd: (b - a) / a };
}

/**
 * The one Dice of the workbench: 2 |A and B| / (|A| + |B|) from `overlap` = |A and B| and
 * `total` = |A| + |B|; `bothEmpty` (default 1) when both are empty. Every Dice (training,
 * slices, cases, LiTS aggregates) is this of counts.
 */
export function diceFromCounts(overlap: number, total: number, bothEmpty = 1): number {
  return total === 0 ? bothEmpty : (2 * overlap) / total;
}

/** Voxel counts of two masks (nonzero = inside): |A|, |B| and |A and B|. */
export function maskCounts(a: ArrayLike<number>, b: ArrayLike<number>): {
  a: number;
  b: number;
  both: number;
} {
  if (a.length !== b.length) {
    throw new RangeError(`masks differ in size: ${a.length} vs ${b.length}`);
  }
  let na = 0, nb = 0, both = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0, y = b[i] !== 0;
    if (x) na++;
    if (y) nb++;
    if (x && y) both++;
  }
  return { a: na, b: nb, both };
}

/** Dice of two masks (nonzero = inside); 1 when both are empty. */
export function maskDice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const c = maskCounts(a, b);
  return diceFromCounts(c.both, c.a + c.b);
}
