/**
 * The volume type every part of the workbench shares.
 *
 * Voxels are stored x-fastest (index = x + nx * (y + ny * z)) in the canonical
 * LPS orientation: x runs to the patient's Left, y to Posterior, z to Superior.
 * An axial slice `z` is therefore one contiguous block of `nx * ny` voxels that
 * displays in the radiological convention (patient right on image left,
 * anterior at the top) when drawn as rows = y, columns = x.
 *
 * @example
 * ```ts
 * import { readNifti } from "./nifti_read.ts";
 * const vol = await readNifti("volume-0.nii.gz");
 * const [nx, ny] = vol.shape;
 * const slice0 = axialSlice(vol, 0); // a view, no copy
 * ```
 * @module
 */

/** Every typed array a volume may hold. */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** A 3-vector [x, y, z]. */
export type Vec3 = [number, number, number];

/**
 * How the canonical (LPS) array relates to the array in the file, so that
 * outputs can be written back in the input's own voxel order.
 * Canonical axis `i` is file axis `perm[i]`, reversed when `flip[i]`.
 */
export interface FileOrientation {
  perm: Vec3;
  flip: [boolean, boolean, boolean];
  /** The file's orientation code (e.g. "RAS", "LPS", "LAS"). */
  code: string;
  /** The file's own 4x4 voxel -> world (RAS mm) affine, row-major. */
  affine: number[];
  /** The file's datatype name, e.g. "int16". */
  datatype: string;
  /**
   * The header's `qform_code` and `sform_code` (1 scanner, 2 aligned, 3 Talairach,
   * 4 MNI, 0 unset), written back to outputs on this grid; absent: 1 and 1.
   */
  qformCode?: number;
  sformCode?: number;
}

/** A 3D image in canonical LPS voxel order. */
export interface Volume<T extends VoxelArray = VoxelArray> {
  data: T;
  /** Voxel counts [nx, ny, nz]. */
  shape: Vec3;
  /** Voxel size in mm along the canonical x, y, z. */
  spacing: Vec3;
  /** 4x4 voxel -> world (RAS mm, NIfTI convention) affine of the canonical array, row-major. */
  affine: number[];
  /** Where the volume came from; absent for volumes built in memory. */
  source?: { path: string; orientation: FileOrientation };
}

/** Number of voxels in one axial slice. */
export function sliceSize(vol: Volume): number {
  return vol.shape[0] * vol.shape[1];
}

/** Axial slice `z` as a view into the volume's data (no copy). */
export function axialSlice<T extends VoxelArray>(vol: Volume<T>, z: number): T {
  const n = sliceSize(vol);
  if (!Number.isInteger(z) || z < 0 || z >= vol.shape[2]) {
    throw new RangeError(`slice ${z} is outside 0..${vol.shape[2] - 1}`);
  }
  return vol.data.subarray(z * n, (z + 1) * n) as T;
}

/** Voxel index of (x, y, z). */
export function voxelIndex(vol: Volume, x: number, y: number, z: number): number {
  return x + vol.shape[0] * (y + vol.shape[1] * z);
}
