/**
 * Which slices a model trains on [P]: those containing the label (liver for
 * the liver model, tumor for the tumor model) plus `margin` slices above and
 * below, clipped to the volume.
 *
 * @example
 * ```ts
 * const zs = selectSlices(seg, "liver", 10); // sorted slice indices
 * ```
 * @module
 */
import { isLiver, isTumor } from "./segmentation.ts";
import type { Volume } from "./volume.ts";

/** Slices of `seg` holding the label, with `margin` neighbours each side; sorted, unique. */
export function selectSlices(seg: Volume, by: "liver" | "tumor", margin: number): number[] {
  if (!Number.isInteger(margin) || margin < 0) {
    throw new RangeError(`slice margin must be a non-negative integer, got ${margin}`);
  }
  const [nx, ny, nz] = seg.shape;
  const n = nx * ny;
  const keep = new Uint8Array(nz);
  // One selector for the whole scan, not a comparison of `by` per voxel.
  const isTarget = by === "liver" ? isLiver : isTumor;
  for (let z = 0; z < nz; z++) {
    const s = seg.data.subarray(z * n, (z + 1) * n);
    let hit = false;
    for (let i = 0; i < n && !hit; i++) hit = isTarget(s[i]);
    if (!hit) continue;
    const lo = Math.max(0, z - margin), hi = Math.min(nz - 1, z + margin);
    for (let k = lo; k <= hi; k++) keep[k] = 1;
  }
  const out: number[] = [];
  for (let z = 0; z < nz; z++) if (keep[z]) out.push(z);
  return out;
}
