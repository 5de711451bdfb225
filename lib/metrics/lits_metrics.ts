/**
 * The LiTS object-pair metrics (method.md "LiTS metrics"): dice, jaccard, voe,
 * rvd and the surface distances assd, rmsd, msd in mm, from 18-neighbourhood
 * contours and an exact distance transform of the other mask's contour.
 *
 * @example
 * ```ts
 * const m = objectPairMetrics(predLiver, refLiver, [0.7, 0.7, 2.5]);
 * console.log(m.dice, m.assd);
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";
import { contour18 } from "../masks/contour.ts";
import { squaredDistanceToFeatures } from "../masks/distance_transform.ts";
import { type BinaryMask, boundingBox, checkMask, cropMask, unionBox } from "../masks/mask.ts";
import { EMPTY_VALUE, type OverlapMetrics, overlapMetrics } from "./overlap.ts";

export interface SurfaceMetrics {
  assd: number;
  rmsd: number;
  msd: number;
}

export type PairMetrics = OverlapMetrics & SurfaceMetrics;

/** The metrics of an empty prediction or reference. */
export const EMPTY_PAIR: Readonly<PairMetrics> = Object.freeze({
  dice: 0,
  jaccard: 0,
  voe: 1,
  rvd: EMPTY_VALUE,
  assd: EMPTY_VALUE,
  rmsd: EMPTY_VALUE,
  msd: EMPTY_VALUE,
});

/** Metrics of prediction A vs reference B (same shape, nonzero = inside). */
export function objectPairMetrics(pred: BinaryMask, ref: BinaryMask, spacing: Vec3): PairMetrics {
  checkMask(pred, "prediction");
  checkMask(ref, "reference");
  if (pred.shape.some((n, i) => n !== ref.shape[i])) {
    throw new RangeError(`shapes differ: ${pred.shape} vs ${ref.shape}`);
  }
  const box = unionBox(boundingBox(pred), boundingBox(ref));
  if (!box) return { ...EMPTY_PAIR };
  // Outside the union box both masks are empty, so contours and distances are unchanged by cropping.
  const a = cropMask(pred, box), b = cropMask(ref, box);
  let na = 0, nb = 0, both = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i], y = b.data[i];
    na += x;
    nb += y;
    both += x & y;
  }
  if (na === 0 || nb === 0) return { ...EMPTY_PAIR };
  return { ...overlapMetrics(na, nb, both), ...surfaceMetrics(a, b, spacing) };
}

/** Surface distances between two non-empty masks of the same shape. */
export function surfaceMetrics(a: BinaryMask, b: BinaryMask, spacing: Vec3): SurfaceMetrics {
  const ca = contour18(a), cb = contour18(b);
  const da = distancesAt(ca, cb, spacing), db = distancesAt(cb, ca, spacing);
  const n = da.count + db.count;
  return {
    assd: (da.sum + db.sum) / n,
    rmsd: Math.sqrt((da.sumSquares + db.sumSquares) / n),
    msd: Math.max(da.max, db.max),
  };
}

/** Sum, sum of squares and max of the distances from `from`'s voxels to `to`'s voxels. */
function distancesAt(from: BinaryMask, to: BinaryMask, spacing: Vec3) {
  const d2 = squaredDistanceToFeatures(to, spacing);
  let count = 0, sum = 0, sumSquares = 0, max = 0;
  for (let i = 0; i < d2.length; i++) {
    if (from.data[i] === 0) continue;
    const q = d2[i];
    count++;
    sum += Math.sqrt(q);
    sumSquares += q;
    if (q > max) max = q;
  }
  return { count, sum, sumSquares, max: Math.sqrt(max) };
}
