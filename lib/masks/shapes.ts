/**
 * Drawn shapes with known answers, for tests and benchmarks: boxes and
 * ellipsoids painted into a mask or a label array.
 *
 * @example
 * ```ts
 * const m = emptyMask([20, 20, 20]);
 * paintBox(m, [2, 2, 2], [6, 6, 6]);
 * paintBall(m, [12, 12, 12], 4, [1, 1, 1]);
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";
import type { BinaryMask } from "./mask.ts";

/** A zero mask of the given shape. */
export function emptyMask(shape: Vec3): BinaryMask {
  return { data: new Uint8Array(shape[0] * shape[1] * shape[2]), shape: [...shape] };
}

/** Set voxels of the half-open box [lo, hi) to `value`. */
export function paintBox(m: BinaryMask, lo: Vec3, hi: Vec3, value = 1): BinaryMask {
  const [nx, ny] = m.shape;
  for (let z = lo[2]; z < hi[2]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      m.data.fill(value, lo[0] + nx * (y + ny * z), hi[0] + nx * (y + ny * z));
    }
  }
  return m;
}

/**
 * Set voxels whose centre lies within `radius` mm of `center` (voxel
 * coordinates) to `value`; `radius` may differ per axis (an ellipsoid).
 */
export function paintBall(
  m: BinaryMask,
  center: Vec3,
  radius: number | Vec3,
  spacing: Vec3 = [1, 1, 1],
  value = 1,
): BinaryMask {
  const r: Vec3 = typeof radius === "number" ? [radius, radius, radius] : radius;
  const [nx, ny, nz] = m.shape;
  const lo = [0, 1, 2].map((a) => Math.max(0, Math.floor(center[a] - r[a] / spacing[a])));
  const hi = [0, 1, 2].map((a) =>
    Math.min(m.shape[a] - 1, Math.ceil(center[a] + r[a] / spacing[a]))
  );
  for (let z = lo[2]; z <= hi[2] && z < nz; z++) {
    const dz = ((z - center[2]) * spacing[2]) / r[2];
    for (let y = lo[1]; y <= hi[1] && y < ny; y++) {
      const dy = ((y - center[1]) * spacing[1]) / r[1];
      for (let x = lo[0]; x <= hi[0] && x < nx; x++) {
        const dx = ((x - center[0]) * spacing[0]) / r[0];
        if (dx * dx + dy * dy + dz * dz <= 1 + 1e-9) m.data[x + nx * (y + ny * z)] = value;
      }
    }
  }
  return m;
}
