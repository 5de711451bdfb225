/**
 * LiTS tumor burden: |label 2| / |label >= 1| per case (infinite when there is
 * no liver), and over cases the rmse and the max of reference - prediction.
 * `max` is signed, as the official code computes it; `maxAbs` is beside it.
 *
 * @example
 * ```ts
 * const s = tumorBurdenSummary([{ reference: 0.1, prediction: 0.05 }]);
 * // { rmse: 0.05, max: 0.05, maxAbs: 0.05 }
 * ```
 * @module
 */

/** Tumor fraction of the liver: tumor / (liver + tumor voxels). */
export function tumorBurden(tumorVoxels: number, liverOrTumorVoxels: number): number {
  return liverOrTumorVoxels === 0 ? Infinity : tumorVoxels / liverOrTumorVoxels;
}

export interface TumorBurdenSummary {
  rmse: number;
  /** Largest signed difference reference - prediction. */
  max: number;
  /** Largest |reference - prediction|. */
  maxAbs: number;
}

/** rmse and max over cases of reference - prediction burden (NaN when there is no case). */
export function tumorBurdenSummary(
  cases: { reference: number; prediction: number }[],
): TumorBurdenSummary {
  if (cases.length === 0) return { rmse: NaN, max: NaN, maxAbs: NaN };
  const diffs = cases.map((c) =>
    // Both infinite (no liver in either): the burdens agree, the difference is 0.
    c.reference === c.prediction ? 0 : c.reference - c.prediction
  );
  return {
    rmse: Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length),
    max: Math.max(...diffs),
    maxAbs: Math.max(...diffs.map(Math.abs)),
  };
}
