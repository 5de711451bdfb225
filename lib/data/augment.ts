/**
 * The sampler's augmentations, each a function of the sampler's random generator: where a
 * patch is cut from a slice (oversampling the target class and, with `liverPatches`, the
 * liver's border, as nnU-Net does), and a random HU shift of one sample.
 *
 * Each draws from `rng` in a fixed order, so a seeded sampler repeats its batches.
 *
 * @example
 * ```ts
 * const g = patchGeometry(256, 256, 128);
 * const [y0, x0] = patchCorner(rng, labels, g, "tumor", 0.5); // input px
 * shiftIntensity(rng, patch, 10, [[0, 100], [-100, 200], [-100, 400]]);
 * ```
 * @module
 */
import type { HUWindow, Task } from "../config/experiment.ts";
import type { Rng } from "../util/prng.ts";
import { isLiver, isTargetLabel } from "./segmentation.ts";

/** Sides of a slice's labels (`slice`), its model input (`input`) and a patch of each. */
export interface PatchGeometry {
  slice: number;
  input: number;
  /** Patch side in input pixels. */
  patch: number;
  /** Patch side in label pixels (`patch * slice / input`). */
  labelPatch: number;
}

/** The geometry of patches of `patch` input pixels (default: the whole slice), checked. */
export function patchGeometry(slice: number, input: number, patch = input): PatchGeometry {
  const scale = slice / input;
  if (!Number.isInteger(patch) || patch < 1 || patch > input || !Number.isInteger(patch * scale)) {
    throw new RangeError(`sampler: patch size ${patch} must be an integer in 1..${input}`);
  }
  return { slice, input, patch, labelPatch: patch * scale };
}

/** Checks the share of liver-centred patches (0..0.5: taken from the uniform half). */
export function checkLiverShare(share: number): void {
  if (!(share >= 0 && share <= 0.5)) {
    throw new RangeError(`sampler: liverPatches must be in 0..0.5, got ${share}`);
  }
}

/** Checks an intensity shift in HU (>= 0). */
export function checkShift(shiftHU: number): void {
  if (!(shiftHU >= 0)) {
    throw new RangeError(`sampler: intensity shift must be >= 0 HU, got ${shiftHU}`);
  }
}

/**
 * Top-left corner (input px) of the patch of one sample with labels `lab` (`slice`^2): centred
 * half of the time on a random pixel of the task's target, a `liverShare` of the time on a
 * liver pixel, otherwise on a uniformly random pixel (also when the slice has no such pixel).
 */
export function patchCorner(
  rng: Rng,
  lab: Uint8Array,
  g: PatchGeometry,
  task: Task,
  liverShare: number,
): [number, number] {
  const { slice: S, input: I, patch: P } = g;
  if (P === I) return [0, 0];
  let cy = rng.int(0, S - 1), cx = rng.int(0, S - 1);
  const u = rng.next();
  const centre = u < 0.5
    ? (v: number) => isTargetLabel(v, task)
    : u < 0.5 + liverShare
    ? isLiver
    : null;
  if (centre) {
    const hits: number[] = [];
    for (let k = 0; k < lab.length; k++) if (centre(lab[k])) hits.push(k);
    if (hits.length > 0) {
      const k = hits[rng.int(0, hits.length - 1)];
      cy = Math.floor(k / S);
      cx = k % S;
    }
  }
  const scale = S / I;
  const clamp = (c: number) =>
    Math.min(I - P, Math.max(0, Math.floor(c / scale) - Math.floor(P / 2)));
  return [clamp(cy), clamp(cx)];
}

/**
 * Moves the HWC input `x` by one random offset in +-`shiftHU` HU. An offset of h HU moves a
 * window's min-max normalised values by h / its width: in CT the volume spans every window,
 * so its min and max are the window's edges.
 */
export function shiftIntensity(
  rng: Rng,
  x: Float32Array,
  shiftHU: number,
  windows: readonly HUWindow[],
): void {
  const widths = windows.map(([lo, hi]) => hi - lo);
  const C = windows.length;
  const hu = rng.uniform(-shiftHU, shiftHU);
  for (let k = 0; k < x.length; k++) {
    const v = x[k];
    // Values clipped by the window stay clipped: they lie beyond its edge in HU.
    if (v > 0 && v < 1) x[k] = Math.min(1, Math.max(0, v + hu / widths[k % C]));
  }
}
