/**
 * Voxel orientation: nibabel-style axis codes of an affine, and the
 * permutation + flips between a file's voxel order and the canonical LPS
 * order of {@link Volume} (x -> patient Left, y -> Posterior, z -> Superior).
 *
 * World coordinates are NIfTI's RAS+ (x grows to the patient's Right), so the
 * canonical axes point along world -x, -y, +z.
 *
 * @example
 * ```ts
 * const o = orientationFromAffine(fileAffine, "int16"); // o.code === "RAS"
 * const canon = new Int16Array(n);
 * toCanonical(fileData, fileDims, o, canon);
 * ```
 * @module
 */
import type { FileOrientation, Vec3, VoxelArray } from "./volume.ts";

/** Canonical target direction of each world axis: -1 = L, -1 = P, +1 = S. */
const CANONICAL_SIGN: Vec3 = [-1, -1, 1];
const LETTERS = [["L", "R"], ["P", "A"], ["I", "S"]];

/** Element (r, c) of a row-major 4x4 matrix. */
function at(m: number[], r: number, c: number): number {
  return m[r * 4 + c];
}

/** 3x3 linear part of a row-major 4x4 affine, as rows. */
function linearPart(affine: number[]): number[][] {
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => at(affine, r, c)));
}

function det3(m: number[][]): number {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

/** Inverse transpose of a 3x3 matrix (cofactor / det). */
function invTranspose3(m: number[][]): number[][] {
  const d = det3(m);
  const c = (r0: number, r1: number, c0: number, c1: number) =>
    m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
  return [
    [c(1, 2, 1, 2) / d, -c(1, 2, 0, 2) / d, c(1, 2, 0, 1) / d],
    [-c(0, 2, 1, 2) / d, c(0, 2, 0, 2) / d, -c(0, 2, 0, 1) / d],
    [c(0, 1, 1, 2) / d, -c(0, 1, 0, 2) / d, c(0, 1, 0, 1) / d],
  ];
}

/** Column norms of the linear part: the voxel sizes an affine implies. */
export function affineZooms(affine: number[]): Vec3 {
  const m = linearPart(affine);
  return [0, 1, 2].map((c) => Math.hypot(m[0][c], m[1][c], m[2][c])) as Vec3;
}

/**
 * Nearest orthogonal matrix (polar factor) of the affine's linear part with
 * unit columns; the NIfTI reference library does the same before building a
 * quaternion, nibabel's `io_orientation` before picking axes.
 */
export function rotationPart(affine: number[]): number[][] {
  const zooms = affineZooms(affine).map((z) => (z === 0 ? 1 : z));
  let r = linearPart(affine).map((row) => row.map((v, c) => v / zooms[c]));
  if (Math.abs(det3(r)) < 1e-12) return r;
  for (let it = 0; it < 100; it++) {
    const t = invTranspose3(r);
    const next = r.map((row, i) => row.map((v, j) => 0.5 * (v + t[i][j])));
    let diff = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) diff += Math.abs(next[i][j] - r[i][j]);
    r = next;
    if (diff < 1e-14) break;
  }
  return r;
}

/**
 * For each voxel axis, the world axis it runs along and its sign, as nibabel's
 * `io_orientation`: axes are taken in order, each picking the world axis of
 * its largest (orthogonalised) component among those not yet taken.
 */
export function ioOrientation(affine: number[]): { axis: Vec3; sign: Vec3 } {
  const r = rotationPart(affine);
  const axis: number[] = [];
  const sign: number[] = [];
  const taken = [false, false, false];
  for (let c = 0; c < 3; c++) {
    let best = -1;
    for (let w = 0; w < 3; w++) {
      if (!taken[w] && (best < 0 || Math.abs(r[w][c]) > Math.abs(r[best][c]))) best = w;
    }
    if (!(Math.abs(r[best][c]) > 1e-12)) {
      throw new Error(`affine is degenerate: voxel axis ${c} has no direction`);
    }
    taken[best] = true;
    axis.push(best);
    sign.push(r[best][c] < 0 ? -1 : 1);
  }
  return { axis: axis as Vec3, sign: sign as Vec3 };
}

/** Orientation code of an affine, like nibabel's `aff2axcodes` ("RAS", "LPS", ...). */
export function axisCodes(affine: number[]): string {
  const { axis, sign } = ioOrientation(affine);
  return axis.map((w, i) => LETTERS[w][sign[i] > 0 ? 1 : 0]).join("");
}

/**
 * The {@link FileOrientation} of a file with this voxel -> world affine:
 * canonical axis `i` is file axis `perm[i]`, reversed when `flip[i]`.
 */
export function orientationFromAffine(affine: number[], datatype: string): FileOrientation {
  const { axis, sign } = ioOrientation(affine);
  const perm = [0, 0, 0] as Vec3;
  const flip: [boolean, boolean, boolean] = [false, false, false];
  for (let j = 0; j < 3; j++) {
    perm[axis[j]] = j;
    flip[axis[j]] = sign[j] !== CANONICAL_SIGN[axis[j]];
  }
  return { perm, flip, code: axisCodes(affine), affine: [...affine], datatype };
}

/** True when the file's voxel order already is canonical (no permutation, no flip). */
export function isCanonical(o: Pick<FileOrientation, "perm" | "flip">): boolean {
  return o.perm[0] === 0 && o.perm[1] === 1 && o.perm[2] === 2 && !o.flip.some((f) => f);
}

/** Canonical shape of a file of dims `fileDims`. */
export function canonicalShape(fileDims: Vec3, o: Pick<FileOrientation, "perm">): Vec3 {
  return [fileDims[o.perm[0]], fileDims[o.perm[1]], fileDims[o.perm[2]]];
}

/**
 * The orientation of the file as seen from the canonical array: file axis `j`
 * is canonical axis `perm[j]`, reversed when `flip[j]`. Turns each
 * file -> canonical function below into its canonical -> file inverse.
 */
export function invertOrientation(
  o: Pick<FileOrientation, "perm" | "flip">,
): Pick<FileOrientation, "perm" | "flip"> {
  const perm = [0, 0, 0] as Vec3;
  const flip: [boolean, boolean, boolean] = [false, false, false];
  for (let i = 0; i < 3; i++) {
    perm[o.perm[i]] = i;
    flip[o.perm[i]] = o.flip[i];
  }
  return { perm, flip };
}

/** File dims of a canonical array of shape `shape` (inverse of {@link canonicalShape}). */
export function fileShape(shape: Vec3, o: Pick<FileOrientation, "perm">): Vec3 {
  const dims = [0, 0, 0] as Vec3;
  for (let i = 0; i < 3; i++) dims[o.perm[i]] = shape[i];
  return dims;
}

/** Canonical affine (row-major 4x4) from the file's affine and dims. */
export function canonicalAffine(
  fileAffine: number[],
  fileDims: Vec3,
  o: Pick<FileOrientation, "perm" | "flip">,
): number[] {
  const out = new Array(16).fill(0);
  out[15] = 1;
  for (let r = 0; r < 3; r++) {
    let t = at(fileAffine, r, 3);
    for (let i = 0; i < 3; i++) {
      const col = at(fileAffine, r, o.perm[i]);
      out[r * 4 + i] = (o.flip[i] ? -col : col) + 0; // + 0: no -0
      if (o.flip[i]) t += (fileDims[o.perm[i]] - 1) * col;
    }
    out[r * 4 + 3] = t;
  }
  return out;
}

/** File affine from a canonical affine (inverse of {@link canonicalAffine}). */
export function fileAffineFromCanonical(
  affine: number[],
  shape: Vec3,
  o: Pick<FileOrientation, "perm" | "flip">,
): number[] {
  return canonicalAffine(affine, shape, invertOrientation(o));
}

/** File-array index steps of the three canonical axes, and the file index of canonical (0,0,0). */
function walk(fileDims: Vec3, o: Pick<FileOrientation, "perm" | "flip">) {
  const fileStride = [1, fileDims[0], fileDims[0] * fileDims[1]];
  const step = [0, 0, 0];
  let start = 0;
  for (let i = 0; i < 3; i++) {
    const s = fileStride[o.perm[i]];
    step[i] = o.flip[i] ? -s : s;
    if (o.flip[i]) start += (fileDims[o.perm[i]] - 1) * s;
  }
  return { shape: canonicalShape(fileDims, o), step, start };
}

/**
 * Copy a file-order array into canonical order (`dst` may be of another
 * numeric type, e.g. Float32Array for scaled data). Rows that stay contiguous
 * are block-copied.
 */
export function toCanonical(
  src: VoxelArray,
  fileDims: Vec3,
  o: Pick<FileOrientation, "perm" | "flip">,
  dst: VoxelArray,
): void {
  const { shape: [nx, ny, nz], step: [sx, sy, sz], start } = walk(fileDims, o);
  let d = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const base = start + z * sz + y * sy;
      if (sx === 1) {
        dst.set(src.subarray(base, base + nx), d);
        d += nx;
      } else if (sx === -1) {
        // A reversed row: block copy, then the native in-place reverse.
        dst.set(src.subarray(base - nx + 1, base + 1), d);
        dst.subarray(d, d + nx).reverse();
        d += nx;
      } else {
        for (let x = 0, s = base; x < nx; x++, s += sx) dst[d++] = src[s];
      }
    }
  }
}

/** Copy a canonical array back into the file's voxel order (inverse of {@link toCanonical}). */
export function fromCanonical(
  src: VoxelArray,
  fileDims: Vec3,
  o: Pick<FileOrientation, "perm" | "flip">,
  dst: VoxelArray,
): void {
  toCanonical(src, canonicalShape(fileDims, o), invertOrientation(o), dst);
}

/**
 * Reverse the flipped axes of an x-fastest array in place (no permutation):
 * rows reversed natively, rows and slices swapped through one scratch row.
 */
export function flipInPlace(data: VoxelArray, dims: Vec3, flip: [boolean, boolean, boolean]): void {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  if (flip[0]) {
    for (let r = 0; r < ny * nz; r++) data.subarray(r * nx, (r + 1) * nx).reverse();
  }
  if (!flip[1] && !flip[2]) return;
  const tmp = data.slice(0, nx);
  const swapRows = (a: number, b: number) => {
    tmp.set(data.subarray(a, a + nx));
    data.copyWithin(a, b, b + nx);
    data.set(tmp, b);
  };
  if (flip[1]) {
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny >> 1; y++) swapRows(z * plane + y * nx, z * plane + (ny - 1 - y) * nx);
    }
  }
  if (flip[2]) {
    for (let z = 0; z < nz >> 1; z++) {
      const a = z * plane, b = (nz - 1 - z) * plane;
      for (let y = 0; y < ny; y++) swapRows(a + y * nx, b + y * nx);
    }
  }
}
