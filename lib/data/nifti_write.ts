/**
 * NIfTI-1 writing (`.nii.gz` or `.nii`, chosen by the file name), atomic.
 *
 * A volume read from a file carries `source.orientation`; writing it (or a
 * prediction built on its grid, with the same `source`) puts the voxels back
 * in the file's own order with its affine (as sform and qform, with the input's
 * qform/sform codes) and spacing, so the output compares voxel for voxel with
 * the input, as LiTS scoring does, and means the same space in other tools. Without an orientation the canonical LPS array is written as
 * is, with the volume's affine.
 *
 * @example
 * ```ts
 * const ct = await readNifti("volume-7.nii");
 * const pred: Volume<Uint8Array> = { ...ct, data: labels };
 * await writeNifti("results/pred/segmentation-7.nii.gz", pred);
 * ```
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { NiftiError } from "./nifti_error.ts";
import { datatypeOf, DATATYPES } from "./nifti_read.ts";
import {
  affineZooms,
  fileAffineFromCanonical,
  fileShape,
  fromCanonical,
  isCanonical,
  rotationPart,
} from "./orientation.ts";
import type { FileOrientation, Vec3, Volume, VoxelArray } from "./volume.ts";

export interface WriteNiftiOptions {
  /** Voxel order and geometry of the file to write; default `vol.source?.orientation`. */
  orientation?: FileOrientation;
  /** Stored datatype; default that of `vol.data`. Integer targets need integer values in range. */
  datatype?: string;
  /** gzip the file; default: the path ends in `.gz`. */
  compress?: boolean;
  /** Header `descrip` (at most 79 ASCII characters). */
  description?: string;
}

const HEADER_BYTES = 352; // 348-byte NIfTI-1 header + 4-byte extender

const IDENTITY: Pick<FileOrientation, "perm" | "flip"> = {
  perm: [0, 1, 2],
  flip: [false, false, false],
};

/**
 * NIfTI quaternion (b, c, d) and qfac of an affine's rotation, as
 * `nifti_mat44_to_quatern` of the reference library.
 */
export function affineToQuaternion(
  affine: number[],
): { b: number; c: number; d: number; qfac: number } {
  const r = rotationPart(affine);
  const det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
    r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
    r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    for (let i = 0; i < 3; i++) r[i][2] = -r[i][2];
  }
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = r;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = 0.25 * (r32 - r23) / a;
    c = 0.25 * (r13 - r31) / a;
    d = 0.25 * (r21 - r12) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = 0.25 * (r12 + r21) / b;
      d = 0.25 * (r13 + r31) / b;
      a = 0.25 * (r32 - r23) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = 0.25 * (r12 + r21) / c;
      d = 0.25 * (r23 + r32) / c;
      a = 0.25 * (r13 - r31) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = 0.25 * (r13 + r31) / d;
      c = 0.25 * (r23 + r32) / d;
      a = 0.25 * (r21 - r12) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b: b + 0, c: c + 0, d: d + 0, qfac };
}

/** The 352-byte NIfTI-1 header (little-endian) of a file-order image; codes default 1 (scanner). */
export function niftiHeader(
  dims: Vec3,
  spacing: Vec3,
  affine: number[],
  datatype: string,
  description = "",
  codes: { qform?: number; sform?: number } = {},
): Uint8Array {
  const type = DATATYPES[datatype];
  if (!type) throw new TypeError(`unsupported datatype ${datatype}`);
  const bytes = new Uint8Array(HEADER_BYTES);
  const dv = new DataView(bytes.buffer);
  const le = true;
  dv.setInt32(0, 348, le);
  bytes[38] = "r".charCodeAt(0);
  const dim = [3, dims[0], dims[1], dims[2], 1, 1, 1, 1];
  dim.forEach((v, i) => dv.setInt16(40 + 2 * i, v, le));
  dv.setInt16(70, type.code, le);
  dv.setInt16(72, type.ctor.BYTES_PER_ELEMENT * 8, le);
  const q = affineToQuaternion(affine);
  const pixdim = [q.qfac, spacing[0], spacing[1], spacing[2], 1, 1, 1, 1];
  pixdim.forEach((v, i) => dv.setFloat32(76 + 4 * i, v, le));
  dv.setFloat32(108, HEADER_BYTES, le); // vox_offset
  dv.setFloat32(112, 1, le); // scl_slope
  dv.setFloat32(116, 0, le); // scl_inter
  bytes[123] = 2 | 8; // xyzt_units: mm, s
  const desc = new TextEncoder().encode(description.slice(0, 79));
  bytes.set(desc, 148);
  dv.setInt16(252, codes.qform ?? 1, le); // qform_code
  dv.setInt16(254, codes.sform ?? 1, le); // sform_code
  dv.setFloat32(256, q.b, le);
  dv.setFloat32(260, q.c, le);
  dv.setFloat32(264, q.d, le);
  for (let r = 0; r < 3; r++) {
    dv.setFloat32(268 + 4 * r, affine[r * 4 + 3], le); // qoffset
    for (let c = 0; c < 4; c++) dv.setFloat32(280 + (r * 4 + c) * 4, affine[r * 4 + c], le);
  }
  bytes.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  return bytes;
}

/** Values of `src` as a new `datatype` array, refusing what the type cannot hold. */
function convert(src: VoxelArray, datatype: string, path: string): VoxelArray {
  const { ctor } = DATATYPES[datatype];
  const out = new ctor(src.length);
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    const bits = ctor.BYTES_PER_ELEMENT * 8;
    const signed = out instanceof Int8Array || out instanceof Int16Array ||
      out instanceof Int32Array;
    const lo = signed ? -(2 ** (bits - 1)) : 0;
    const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (!(Number.isInteger(v) && v >= lo && v <= hi)) {
        throw new NiftiError(path, `value ${v} at voxel ${i} does not fit datatype ${datatype}`);
      }
    }
  }
  out.set(src);
  return out;
}

function closeTo(a: number[], b: number[]): boolean {
  return a.length === b.length &&
    a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * (1 + Math.abs(b[i])));
}

/** The bytes of a NIfTI-1 file (uncompressed) for `vol`: header, then file-order voxels. */
export function encodeNifti(vol: Volume, path: string, opts: WriteNiftiOptions = {}): Uint8Array[] {
  const n = vol.shape[0] * vol.shape[1] * vol.shape[2];
  if (vol.data.length !== n) {
    throw new NiftiError(
      path,
      `data has ${vol.data.length} voxels, shape ${vol.shape.join("x")} needs ${n}`,
    );
  }
  const o = opts.orientation ?? vol.source?.orientation;
  const orient = o ?? IDENTITY;
  const dims = fileShape(vol.shape, orient);
  let affine = fileAffineFromCanonical(vol.affine, vol.shape, orient);
  // Same geometry as the source file: keep its affine bit for bit.
  if (o && closeTo(affine, o.affine)) affine = [...o.affine];
  const spacing = fileShape(vol.spacing, orient);
  if (affineZooms(affine).some((z) => z === 0)) {
    throw new NiftiError(path, "affine is degenerate (a zero column)");
  }

  const datatype = opts.datatype ?? datatypeOf(vol.data);
  if (!DATATYPES[datatype]) throw new NiftiError(path, `unsupported datatype ${datatype}`);
  let data = datatypeOf(vol.data) === datatype ? vol.data : convert(vol.data, datatype, path);
  if (!isCanonical(orient)) {
    const out = new DATATYPES[datatype].ctor(n);
    fromCanonical(data, dims, orient, out);
    data = out;
  }
  const header = niftiHeader(dims, spacing, affine, datatype, opts.description, {
    qform: o?.qformCode,
    sform: o?.sformCode,
  });
  return [header, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

/** gzip `parts` (concatenated) with the native CompressionStream. */
export async function gzip(parts: Uint8Array[]): Promise<Uint8Array> {
  const stream = ReadableStream.from<BufferSource>(parts as Uint8Array<ArrayBuffer>[])
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Write `vol` as NIfTI-1 to `path` (gzip when it ends in `.gz`), atomically. */
export async function writeNifti(
  path: string,
  vol: Volume,
  opts: WriteNiftiOptions = {},
): Promise<void> {
  const parts = encodeNifti(vol, path, opts);
  const compress = opts.compress ?? path.endsWith(".gz");
  let bytes: Uint8Array;
  if (compress) {
    bytes = await gzip(parts);
  } else {
    bytes = new Uint8Array(parts[0].length + parts[1].length);
    bytes.set(parts[0]);
    bytes.set(parts[1], parts[0].length);
  }
  await writeFileAtomic(path, bytes);
}
