/**
 * The LiTS contour: mask voxels with at least one voxel outside the mask in
 * their 18-neighbourhood (6 face + 12 edge neighbours); voxels beyond the array
 * count as outside. Equals `mask ^ binary_erosion(mask,
 * generate_binary_structure(3, 2))` in scipy.
 *
 * @example
 * ```ts
 * const surface = contour18(mask);
 * ```
 * @module
 */
import { type BinaryMask, checkMask } from "./mask.ts";

/** The 18 neighbour offsets (dx, dy, dz) with |dx|+|dy|+|dz| in {1, 2}. */
const OFFSETS: [number, number, number][] = [];
for (let dz = -1; dz <= 1; dz++) {
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const n = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
      if (n === 1 || n === 2) OFFSETS.push([dx, dy, dz]);
    }
  }
}

/** 0/1 mask of the contour voxels. */
export function contour18(mask: BinaryMask): BinaryMask {
  checkMask(mask, "contour");
  const [nx, ny, nz] = mask.shape;
  const d = mask.data;
  const out = new Uint8Array(d.length);
  const step = OFFSETS.map(([dx, dy, dz]) => dx + nx * (dy + ny * dz));
  for (let z = 0; z < nz; z++) {
    const zEdge = z === 0 || z === nz - 1;
    for (let y = 0; y < ny; y++) {
      const yEdge = zEdge || y === 0 || y === ny - 1;
      const row = (z * ny + y) * nx;
      for (let x = 0; x < nx; x++) {
        const i = row + x;
        if (d[i] === 0) continue;
        if (yEdge || x === 0 || x === nx - 1) {
          out[i] = 1; // a neighbour lies beyond the array
          continue;
        }
        for (let k = 0; k < step.length; k++) {
          if (d[i + step[k]] === 0) {
            out[i] = 1;
            break;
          }
        }
      }
    }
  }
  return { data: out, shape: [...mask.shape] };
}
