/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012),
 * separable over x, y, z, with voxel spacing: for every voxel, the squared
 * distance in mm to the nearest feature voxel. Linear time per axis; the
 * workhorse of ball erosion/dilation and surface distances.
 *
 * @example
 * ```ts
 * const d2 = squaredDistanceToFeatures(contour, [1, 1, 2.5]);
 * const mm = Math.sqrt(d2[i]);
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";
import { type BinaryMask, checkMask } from "./mask.ts";

/**
 * Squared Euclidean distance (mm^2, voxel index x spacing) from every voxel to
 * the nearest voxel where `features.data` is nonzero (`invert`: where it is 0).
 * Infinity where there is no feature at all.
 */
export function squaredDistanceToFeatures(
  features: BinaryMask,
  spacing: Vec3,
  invert = false,
): Float32Array {
  checkMask(features, "distance transform");
  const [nx, ny, nz] = features.shape;
  const out = new Float32Array(nx * ny * nz);
  rowPass(features.data, out, nx, ny * nz, spacing[0], invert);
  const n = Math.max(nx, ny, nz);
  const scratch: Scratch = {
    block: new Float32Array(BLOCK * n),
    d: new Float64Array(n),
    v: new Int32Array(n),
    z: new Float64Array(n + 1),
  };
  // y pass: lines of ny voxels with stride nx, BLOCK neighbouring x at a time per z.
  for (let z = 0; z < nz; z++) {
    for (let x = 0; x < nx; x += BLOCK) {
      linesPass(out, x + z * nx * ny, Math.min(BLOCK, nx - x), nx, ny, spacing[1], scratch);
    }
  }
  // z pass: stride nx*ny, BLOCK neighbouring voxels of a plane at a time.
  const plane = nx * ny;
  if (nz > 1) {
    for (let i = 0; i < plane; i += BLOCK) {
      linesPass(out, i, Math.min(BLOCK, plane - i), plane, nz, spacing[2], scratch);
    }
  }
  return out;
}

/**
 * Lines processed together: neighbouring lines share cache lines, so reading
 * them as a block turns strided misses into contiguous reads.
 */
const BLOCK = 16;

/** First axis from the binary mask directly: two scans per row give the 1D distance. */
function rowPass(
  m: Uint8Array,
  out: Float32Array,
  nx: number,
  rows: number,
  s: number,
  invert: boolean,
): void {
  for (let r = 0, base = 0; r < rows; r++, base += nx) {
    let last = -Infinity;
    for (let x = 0; x < nx; x++) {
      if ((m[base + x] !== 0) !== invert) last = x;
      const dx = (x - last) * s;
      out[base + x] = dx * dx;
    }
    last = Infinity;
    for (let x = nx - 1; x >= 0; x--) {
      if ((m[base + x] !== 0) !== invert) last = x;
      const dx = (last - x) * s;
      const d = dx * dx;
      if (d < out[base + x]) out[base + x] = d;
    }
  }
}

interface Scratch {
  block: Float32Array;
  d: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

/**
 * In-place 1D lower-envelope pass over `count` lines of `a`: line j starts at
 * `start + j` and has `n` voxels `stride` apart.
 */
function linesPass(
  a: Float32Array,
  start: number,
  count: number,
  stride: number,
  n: number,
  s: number,
  { block, d, v, z }: Scratch,
): void {
  for (let i = 0, j = start; i < n; i++, j += stride) {
    for (let k = 0; k < count; k++) block[k * n + i] = a[j + k];
  }
  for (let k = 0; k < count; k++) {
    const base = k * n;
    let any = false;
    for (let i = 0; i < n; i++) {
      if (block[base + i] !== Infinity) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    envelope(block, base, d, v, z, n, s);
    for (let i = 0; i < n; i++) block[base + i] = d[i];
  }
  for (let i = 0, j = start; i < n; i++, j += stride) {
    for (let k = 0; k < count; k++) a[j + k] = block[k * n + i];
  }
}

/**
 * d[q] = min_p (s (q - p))^2 + f[base + p] over the finite f: the lower
 * envelope of parabolas rooted at positions p*s.
 */
function envelope(
  f: Float32Array,
  base: number,
  d: Float64Array,
  v: Int32Array,
  z: Float64Array,
  n: number,
  s: number,
): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[base + q];
    if (fq === Infinity) continue;
    const pq = q * s;
    const aq = fq + pq * pq;
    let cross = -Infinity;
    while (k >= 0) {
      const p = v[k];
      const pp = p * s;
      cross = (aq - (f[base + p] + pp * pp)) / (2 * (pq - pp));
      if (cross <= z[k]) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : cross;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    const pq = q * s;
    while (j < k && z[j + 1] < pq) j++;
    const dp = pq - v[j] * s;
    d[q] = dp * dp + f[base + v[j]];
  }
}
