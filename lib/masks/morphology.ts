/**
 * Binary erosion and dilation by a Euclidean ball, through a distance
 * transform threshold instead of per-voxel ball loops: dilation keeps voxels
 * within r of the mask, erosion keeps mask voxels farther than r from the
 * background. Voxels beyond the array count as background (scipy's
 * `border_value=0`). Only the mask's bounding box (grown by r) is processed.
 *
 * @example
 * ```ts
 * const opened = dilateBall(erodeBall(mask, 2, [1, 1, 1]), 2, [1, 1, 1]);
 * ```
 * @module
 */
import type { Vec3 } from "../data/volume.ts";
import { squaredDistanceToFeatures } from "./distance_transform.ts";
import {
  type BinaryMask,
  boundingBox,
  checkMask,
  cropMask,
  growBox,
  pasteMask,
  voxelCount,
} from "./mask.ts";

/**
 * Ball radius as squared distance plus a tolerance, so that offsets exactly on
 * the sphere (integers in voxel units) are inside despite float rounding.
 */
function radius2(r: number): number {
  return r * r * (1 + 1e-6) + 1e-9;
}

/** Voxels per axis a ball of radius `r` (in the units of `spacing`) reaches. */
export function ballReach(r: number, spacing: Vec3): Vec3 {
  return spacing.map((s) => Math.floor(r / s + 1e-9)) as Vec3;
}

function checkRadius(r: number, spacing: Vec3): void {
  if (!(r >= 0) || !Number.isFinite(r)) throw new RangeError(`ball radius must be >= 0, got ${r}`);
  if (spacing.some((s) => !(s > 0))) throw new RangeError(`spacing must be > 0: ${spacing}`);
}

/**
 * Dilation by the ball {o : |o * spacing| <= r}: r in voxels with spacing
 * [1, 1, 1], in mm with the volume's spacing.
 */
export function dilateBall(mask: BinaryMask, r: number, spacing: Vec3 = [1, 1, 1]): BinaryMask {
  checkMask(mask, "dilation");
  checkRadius(r, spacing);
  const out: BinaryMask = { data: new Uint8Array(voxelCount(mask.shape)), shape: [...mask.shape] };
  const bb = boundingBox(mask);
  if (!bb) return out;
  const box = growBox(bb, ballReach(r, spacing), mask.shape);
  const part = cropMask(mask, box);
  const d2 = squaredDistanceToFeatures(part, spacing);
  const r2 = radius2(r);
  for (let i = 0; i < d2.length; i++) part.data[i] = d2[i] <= r2 ? 1 : 0;
  pasteMask(part, box, out);
  return out;
}

/** Erosion by the same ball: a voxel stays when the whole ball around it is inside. */
export function erodeBall(mask: BinaryMask, r: number, spacing: Vec3 = [1, 1, 1]): BinaryMask {
  checkMask(mask, "erosion");
  checkRadius(r, spacing);
  const out: BinaryMask = { data: new Uint8Array(voxelCount(mask.shape)), shape: [...mask.shape] };
  const bb = boundingBox(mask);
  if (!bb) return out;
  // One voxel of padding (beyond the array too) holds background nearer than anything outside it.
  const box = growBox(bb, [1, 1, 1]);
  const part = cropMask(mask, box);
  const d2 = squaredDistanceToFeatures(part, spacing, true);
  const r2 = radius2(r);
  for (let i = 0; i < d2.length; i++) part.data[i] = part.data[i] !== 0 && d2[i] > r2 ? 1 : 0;
  pasteMask(part, box, out);
  return out;
}
