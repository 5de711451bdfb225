/**
 * Labels per axial slice: how many voxels of a label each slice holds, the
 * slices with the most, and the slice worth showing for a case.
 *
 * @example
 * ```ts
 * sliceCounts(seg, (v) => v >= 1);    // liver voxels per slice
 * topSlices(seg, (v) => v === 2, 3);  // the 3 slices with the most tumor, in z order
 * showcaseSlice(seg);                 // most tumor, else most liver, else 0
 * ```
 * @module
 */
import { isLiver, isTumor } from "./segmentation.ts";
import type { Volume } from "./volume.ts";

/** Per-slice count of voxels where `select(label)` holds. */
export function sliceCounts(seg: Volume, select: (label: number) => boolean): number[] {
  const [nx, ny, nz] = seg.shape;
  const n = nx * ny;
  return Array.from({ length: nz }, (_, z) => {
    let c = 0;
    for (let i = z * n; i < (z + 1) * n; i++) if (select(seg.data[i])) c++;
    return c;
  });
}

/**
 * The `count` slices with the most voxels selected (ties: lower z), in z order;
 * slices with none are left out.
 */
export function topSlices(
  seg: Volume,
  select: (label: number) => boolean,
  count: number,
): number[] {
  return sliceCounts(seg, select)
    .map((c, z) => ({ c, z }))
    .filter((s) => s.c > 0)
    .sort((a, b) => b.c - a.c || a.z - b.z)
    .slice(0, count)
    .map((s) => s.z)
    .sort((a, b) => a - b);
}

/** The slice to show for a case: the most tumor, else the most liver, else 0. */
export function showcaseSlice(seg: Volume): number {
  return topSlices(seg, isTumor, 1)[0] ?? topSlices(seg, isLiver, 1)[0] ?? 0;
}
