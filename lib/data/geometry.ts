/**
 * Whether two volumes lie on the same voxel grid in the world: the same shape and affines
 * that agree within a tolerance. Shapes alone let a segmentation of another scan, or one
 * shifted or resampled, be scored or trained on silently.
 *
 * @example
 * ```ts
 * const problem = geometryMismatch(prediction, reference);
 * if (problem) throw new Error(`prediction-3.nii.gz vs segmentation-3.nii.gz: ${problem}`);
 * ```
 * @module
 */
import type { Vec3, Volume } from "./volume.ts";

/**
 * Largest distance between the two grids' corner voxels, as a share of the smallest voxel
 * side: far above float32 rounding of the headers (about 1e-5 mm), far below a shift or a
 * spacing change that moves voxels.
 */
export const GEOMETRY_TOLERANCE = 0.1;

function world(affine: number[], v: Vec3): Vec3 {
  return [0, 1, 2].map((r) =>
    affine[r * 4] * v[0] + affine[r * 4 + 1] * v[1] + affine[r * 4 + 2] * v[2] + affine[r * 4 + 3]
  ) as Vec3;
}

/**
 * Why `a` and `b` are not on the same grid, or null when they are. Volumes built in memory
 * without an affine are compared by shape only.
 */
export function geometryMismatch(
  a: Pick<Volume, "shape" | "spacing" | "affine">,
  b: Pick<Volume, "shape" | "spacing" | "affine">,
): string | null {
  if (a.shape.some((n, i) => n !== b.shape[i])) {
    return `shape ${a.shape.join("x")} != ${b.shape.join("x")}`;
  }
  if (a.affine.length !== 16 || b.affine.length !== 16) return null;
  const [nx, ny, nz] = a.shape.map((n) => n - 1);
  let worst = 0, at: Vec3 = [0, 0, 0];
  for (const corner of [0, 1, 2, 3, 4, 5, 6, 7]) {
    const v: Vec3 = [corner & 1 ? nx : 0, corner & 2 ? ny : 0, corner & 4 ? nz : 0];
    const p = world(a.affine, v), q = world(b.affine, v);
    const d = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    if (!(d <= worst)) [worst, at] = [d, v];
  }
  const tolerance = GEOMETRY_TOLERANCE * Math.min(...a.spacing, ...b.spacing);
  if (worst <= tolerance) return null;
  const mm = (v: Vec3) => world(a.affine, v).map((x) => x.toFixed(2)).join(", ");
  const mm2 = (v: Vec3) => world(b.affine, v).map((x) => x.toFixed(2)).join(", ");
  return `affines differ: voxel (${at.join(", ")}) is at (${mm(at)}) mm in one and (${
    mm2(at)
  }) mm in the other, ${worst.toFixed(3)} mm apart (tolerance ${tolerance.toFixed(3)} mm); ` +
    `spacing ${a.spacing.map((s) => +s.toFixed(4)).join("x")} vs ${
      b.spacing.map((s) => +s.toFixed(4)).join("x")
    } mm`;
}
