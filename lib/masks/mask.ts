/**
 * Binary masks and axis-aligned boxes: the shared currency of the evaluation
 * code. Every heavy operation works on the bounding box of the voxels it needs,
 * so a 512x512x800 volume costs only as much as its liver.
 *
 * @example
 * ```ts
 * const box = boundingBox(mask);
 * if (box) console.log(boxShape(box));
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";

/** A 3D binary mask, x fastest (nonzero = inside). A `Volume<Uint8Array>` is one. */
export interface BinaryMask {
  data: Uint8Array;
  shape: Vec3;
}

/** Half-open box [lo, hi) per axis, in voxel indices; may extend beyond the array. */
export interface Box {
  lo: Vec3;
  hi: Vec3;
}

/** Voxel count of a shape. */
export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

/** Throw a clear error when a mask's data does not match its shape. */
export function checkMask(mask: BinaryMask, what = "mask"): void {
  if (mask.data.length !== voxelCount(mask.shape)) {
    throw new RangeError(
      `${what}: ${mask.data.length} voxels do not match shape ${mask.shape.join("x")}`,
    );
  }
}

/** Smallest box holding every nonzero voxel, or null when the mask is empty. */
export function boundingBox(mask: BinaryMask): Box | null {
  const [nx, ny, nz] = mask.shape;
  const d = mask.data;
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++, i += nx) {
      // Find the first and last nonzero in the row without a per-voxel branch on x bounds.
      let a = -1;
      for (let x = 0; x < nx; x++) {
        if (d[i + x] !== 0) {
          a = x;
          break;
        }
      }
      if (a < 0) continue;
      let b = a;
      for (let x = nx - 1; x > a; x--) {
        if (d[i + x] !== 0) {
          b = x;
          break;
        }
      }
      if (a < x0) x0 = a;
      if (b > x1) x1 = b;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (z < z0) z0 = z;
      z1 = z;
    }
  }
  if (x1 < 0) return null;
  return { lo: [x0, y0, z0], hi: [x1 + 1, y1 + 1, z1 + 1] };
}

/** The smallest box holding both (either may be null). */
export function unionBox(a: Box | null, b: Box | null): Box | null {
  if (!a) return b;
  if (!b) return a;
  return {
    lo: [Math.min(a.lo[0], b.lo[0]), Math.min(a.lo[1], b.lo[1]), Math.min(a.lo[2], b.lo[2])],
    hi: [Math.max(a.hi[0], b.hi[0]), Math.max(a.hi[1], b.hi[1]), Math.max(a.hi[2], b.hi[2])],
  };
}

/** Grow a box by `margin` voxels per axis; `clampTo` keeps it inside an array. */
export function growBox(box: Box, margin: Vec3, clampTo?: Vec3): Box {
  const lo: Vec3 = [0, 0, 0], hi: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    lo[a] = box.lo[a] - margin[a];
    hi[a] = box.hi[a] + margin[a];
    if (clampTo) {
      lo[a] = Math.max(0, lo[a]);
      hi[a] = Math.min(clampTo[a], hi[a]);
    }
  }
  return { lo, hi };
}

/** Side lengths of a box. */
export function boxShape(box: Box): Vec3 {
  return [box.hi[0] - box.lo[0], box.hi[1] - box.lo[1], box.hi[2] - box.lo[2]];
}

/**
 * Copy a box out of a mask as 0/1 (nonzero -> 1, or `select(value)` -> 1 when given);
 * voxels of the box beyond the array are 0.
 */
export function cropMask(
  mask: { data: ArrayLike<number>; shape: Vec3 },
  box: Box,
  select?: (v: number) => boolean,
): BinaryMask {
  const [nx, ny, nz] = mask.shape;
  const shape = boxShape(box);
  const [cx, cy] = shape;
  const out = new Uint8Array(voxelCount(shape));
  const xa = Math.max(0, box.lo[0]), xb = Math.min(nx, box.hi[0]);
  const d = mask.data;
  for (let z = Math.max(0, box.lo[2]); z < Math.min(nz, box.hi[2]); z++) {
    for (let y = Math.max(0, box.lo[1]); y < Math.min(ny, box.hi[1]); y++) {
      const src = (z * ny + y) * nx;
      const dst = ((z - box.lo[2]) * cy + (y - box.lo[1])) * cx - box.lo[0];
      if (select) {
        for (let x = xa; x < xb; x++) out[dst + x] = select(d[src + x]) ? 1 : 0;
      } else {
        for (let x = xa; x < xb; x++) out[dst + x] = d[src + x] !== 0 ? 1 : 0;
      }
    }
  }
  return { data: out, shape };
}

/** Write a cropped mask back into a full-size array (the part inside the array). */
export function pasteMask(part: BinaryMask, box: Box, into: BinaryMask): void {
  const [nx, ny, nz] = into.shape;
  const [cx, cy] = part.shape;
  const xa = Math.max(0, box.lo[0]), xb = Math.min(nx, box.hi[0]);
  for (let z = Math.max(0, box.lo[2]); z < Math.min(nz, box.hi[2]); z++) {
    for (let y = Math.max(0, box.lo[1]); y < Math.min(ny, box.hi[1]); y++) {
      const dst = (z * ny + y) * nx;
      const src = ((z - box.lo[2]) * cy + (y - box.lo[1])) * cx - box.lo[0];
      for (let x = xa; x < xb; x++) into.data[dst + x] = part.data[src + x];
    }
  }
}

/** Number of nonzero voxels. */
export function countNonzero(data: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}

/**
 * Copy a box out of a label array as a 0/1 mask of the voxels with
 * `min <= label <= max`; voxels of the box beyond the array are 0.
 */
export function cropLabels(
  labels: { data: ArrayLike<number>; shape: Vec3 },
  box: Box,
  min: number,
  max: number,
): BinaryMask {
  const [nx, ny, nz] = labels.shape;
  const shape = boxShape(box);
  const [cx, cy] = shape;
  const out = new Uint8Array(voxelCount(shape));
  const xa = Math.max(0, box.lo[0]), xb = Math.min(nx, box.hi[0]);
  const d = labels.data;
  for (let z = Math.max(0, box.lo[2]); z < Math.min(nz, box.hi[2]); z++) {
    for (let y = Math.max(0, box.lo[1]); y < Math.min(ny, box.hi[1]); y++) {
      const src = (z * ny + y) * nx;
      const dst = ((z - box.lo[2]) * cy + (y - box.lo[1])) * cx - box.lo[0];
      for (let x = xa; x < xb; x++) {
        const v = d[src + x];
        out[dst + x] = v >= min && v <= max ? 1 : 0;
      }
    }
  }
  return { data: out, shape };
}
