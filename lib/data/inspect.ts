/**
 * A summary of one NIfTI file: geometry, datatype, orientation, intensity
 * range and (for label images) label counts. Behind `deno task inspect`.
 *
 * @example
 * ```ts
 * const report = await inspectFile("segmentation-0.nii.gz");
 * console.log(formatInspect(report));
 * ```
 * @module
 */
import { datatypeOf, readNifti } from "./nifti_read.ts";
import { fileShape } from "./orientation.ts";
import { labelCounts } from "./segmentation.ts";
import type { Vec3, Volume } from "./volume.ts";

/** What {@link inspectVolume} reports. */
export interface InspectReport {
  path: string;
  /** Canonical (LPS) shape. */
  shape: Vec3;
  /** Shape in the file's own axis order. */
  fileShape: Vec3;
  /** Voxel size in mm, canonical order. */
  spacing: Vec3;
  /** Stored datatype in the file. */
  datatype: string;
  /** Datatype of the array in memory (float32 when the file is scaled). */
  arrayType: string;
  /** The file's orientation code, e.g. "RAS". */
  orientation: string;
  /** Canonical voxel -> world affine, row-major 4x4. */
  affine: number[];
  min: number;
  max: number;
  mean: number;
  /** Voxel count of each value, for label images. */
  labels?: Record<string, number>;
}

export interface InspectOptions {
  /** Always count labels; default only for integer images with at most `maxLabels` (256) values. */
  labels?: boolean;
  maxLabels?: number;
}

/** True for integer data with at most `max` distinct values. */
function fewValues(vol: Volume, max: number): boolean {
  const d = vol.data;
  if (d instanceof Float32Array || d instanceof Float64Array) return false;
  const seen = new Set<number>();
  for (let i = 0; i < d.length; i++) {
    if (!seen.has(d[i])) {
      seen.add(d[i]);
      if (seen.size > max) return false;
    }
  }
  return true;
}

/** Summarise a volume (see {@link InspectReport}). */
export function inspectVolume(vol: Volume, opts: InspectOptions = {}): InspectReport {
  const d = vol.data;
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const o = vol.source?.orientation;
  const report: InspectReport = {
    path: vol.source?.path ?? "<memory>",
    shape: vol.shape,
    fileShape: o ? fileShape(vol.shape, o) : vol.shape,
    spacing: vol.spacing,
    datatype: o?.datatype ?? datatypeOf(d),
    arrayType: datatypeOf(d),
    orientation: o?.code ?? "LPS",
    affine: vol.affine,
    min,
    max,
    mean: d.length > 0 ? sum / d.length : NaN,
  };
  if (opts.labels || fewValues(vol, opts.maxLabels ?? 256)) {
    report.labels = Object.fromEntries([...labelCounts(vol)].map(([v, n]) => [String(v), n]));
  }
  return report;
}

/** Read and summarise a `.nii` / `.nii.gz` file. */
export async function inspectFile(path: string, opts: InspectOptions = {}): Promise<InspectReport> {
  return inspectVolume(await readNifti(path), opts);
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));

/** Human-readable lines of a report. */
export function formatInspect(r: InspectReport): string {
  const lines = [
    `file         ${r.path}`,
    `shape        ${r.shape.join(" x ")} (LPS; file order ${r.fileShape.join(" x ")})`,
    `spacing      ${r.spacing.map(fmt).join(" x ")} mm`,
    `datatype     ${r.datatype}${r.arrayType !== r.datatype ? ` (scaled to ${r.arrayType})` : ""}`,
    `orientation  ${r.orientation}`,
    `intensity    min ${fmt(r.min)}, max ${fmt(r.max)}, mean ${fmt(r.mean)}`,
  ];
  if (r.labels) {
    lines.push("labels       value: voxels");
    for (const [v, n] of Object.entries(r.labels)) lines.push(`  ${v.padStart(6)}: ${n}`);
  }
  return lines.join("\n");
}
