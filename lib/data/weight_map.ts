/**
 * Per-pixel weights of the spatially weighted cross-entropy [A]: background,
 * liver and tumor weights by label, and a band of higher weight along the
 * contour of the target mask (liver model: labels >= 1; tumor model:
 * label == 2), dilated by a disk of radius `contourRadius` pixels.
 *
 * @example
 * ```ts
 * const w = weightMap(labels, 512, 512, cfg.data.weights, "liver"); // Float32Array(512 * 512)
 * ```
 * @module
 */
import type { Task, WeightMapConfig } from "../config/experiment.ts";
import { isTargetLabel } from "./segmentation.ts";

/**
 * Inner contour of a binary mask: mask pixels with a 4-neighbour outside the
 * mask (pixels beyond the image count as outside).
 */
export function maskContour(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      if (!mask[k]) continue;
      out[k] = x === 0 || y === 0 || x === w - 1 || y === h - 1 || !mask[k - 1] || !mask[k + 1] ||
          !mask[k - w] || !mask[k + w]
        ? 1
        : 0;
    }
  }
  return out;
}

/** Dilate a binary mask by a Euclidean disk of radius r (pixels within distance r). */
export function dilateDisk(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const R = Math.floor(r);
  const half: number[] = [];
  for (let dy = -R; dy <= R; dy++) half.push(Math.floor(Math.sqrt(r * r - dy * dy)));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      for (let dy = -R; dy <= R; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        const hw = half[dy + R];
        const x0 = Math.max(0, x - hw), x1 = Math.min(w - 1, x + hw);
        out.fill(1, yy * w + x0, yy * w + x1 + 1);
      }
    }
  }
  return out;
}

/**
 * The weight map of one label slice (w x h, row-major): background 1, liver 5,
 * tumor 15 (by label), and the contour band of the target mask 25 (cfg values).
 */
export function weightMap(
  labels: Uint8Array,
  w: number,
  h: number,
  cfg: WeightMapConfig,
  target: Task,
): Float32Array {
  if (labels.length !== w * h) {
    throw new RangeError(`weightMap: ${labels.length} labels is not ${w}x${h}`);
  }
  if (!(cfg.contourRadius >= 0)) {
    throw new RangeError(`weightMap: contourRadius must be >= 0, got ${cfg.contourRadius}`);
  }
  const n = w * h;
  const out = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    out[i] = l === 0 ? cfg.background : l === 1 ? cfg.liver : cfg.tumor;
    mask[i] = isTargetLabel(l, target) ? 1 : 0;
  }
  const band = dilateDisk(maskContour(mask, w, h), w, h, cfg.contourRadius);
  for (let i = 0; i < n; i++) if (band[i]) out[i] = cfg.contour;
  return out;
}
