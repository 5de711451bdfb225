/**
 * Bilinear x2 up-sampling and its gradient for the `onednn` backend, in JS: the network's
 * transition-up and SBU layers (tfjs-layers' `upSampling2d` bilinear: `alignCorners` and
 * `halfPixelCenters` false, every side doubled). oneDNN's linear resampling samples at pixel
 * centres (half-pixel), tfjs here at pixel corners, so it cannot stand in; tfjs's `cpu` kernels
 * compute every source index and weight per value, while with a factor of 2 each output row and
 * column is either a copy of one input row/column or the mean of two, known in advance.
 *
 * Same arithmetic as tfjs's `cpu` kernels, term by term (zero-weight terms skipped), so the
 * values agree to the last bit up to the sign of zero.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** out [b, 2h, 2w, c] = bilinear x2 of x [b, h, w, c] (corner-aligned sampling, tfjs legacy). */
export function resizeX2(
  x: Float32Array,
  [b, h, w, c]: readonly number[],
  out: Float32Array,
): void {
  const H = 2 * h, W = 2 * w;
  let o = 0;
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < H; y++) {
      const r0 = y >> 1, odd = (y & 1) === 1;
      const r1 = odd ? Math.min(r0 + 1, h - 1) : r0;
      const top = (n * h + r0) * w * c, bottom = (n * h + r1) * w * c;
      for (let xo = 0; xo < W; xo++) {
        const c0 = xo >> 1, oddX = (xo & 1) === 1;
        const c1 = oddX ? Math.min(c0 + 1, w - 1) : c0;
        const tl = top + c0 * c, tr = top + c1 * c, bl = bottom + c0 * c, br = bottom + c1 * c;
        if (!odd && !oddX) {
          out.set(x.subarray(tl, tl + c), o);
        } else if (!odd) {
          for (let d = 0; d < c; d++) out[o + d] = x[tl + d] + (x[tr + d] - x[tl + d]) * 0.5;
        } else if (!oddX) {
          for (let d = 0; d < c; d++) out[o + d] = x[tl + d] + (x[bl + d] - x[tl + d]) * 0.5;
        } else {
          for (let d = 0; d < c; d++) {
            const t = x[tl + d] + (x[tr + d] - x[tl + d]) * 0.5;
            const btm = x[bl + d] + (x[br + d] - x[bl + d]) * 0.5;
            out[o + d] = t + (btm - t) * 0.5;
          }
        }
        o += c;
      }
    }
  }
}

/** dx [b, h, w, c] of {@link resizeX2} for dy [b, 2h, 2w, c]; `dx` must be zeroed. */
export function resizeX2Grad(
  dy: Float32Array,
  [b, h, w, c]: readonly number[],
  dx: Float32Array,
): void {
  const H = 2 * h, W = 2 * w;
  let i = 0;
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < H; y++) {
      const r0 = y >> 1, odd = (y & 1) === 1;
      const r1 = Math.min(r0 + 1, h - 1);
      const top = (n * h + r0) * w * c, bottom = (n * h + r1) * w * c;
      const wr = odd ? 0.5 : 0, ir = 1 - wr;
      for (let xo = 0; xo < W; xo++) {
        const c0 = xo >> 1, oddX = (xo & 1) === 1;
        const c1 = Math.min(c0 + 1, w - 1);
        const wc = oddX ? 0.5 : 0, ic = 1 - wc;
        const tl = top + c0 * c, tr = top + c1 * c, bl = bottom + c0 * c, br = bottom + c1 * c;
        const wtl = ir * ic, wtr = ir * wc, wbl = wr * ic, wbr = wr * wc;
        for (let d = 0; d < c; d++) {
          const g = dy[i + d];
          dx[tl + d] += g * wtl;
          if (oddX) dx[tr + d] += g * wtr;
          if (odd) {
            dx[bl + d] += g * wbl;
            if (oddX) dx[br + d] += g * wbr;
          }
        }
        i += c;
      }
    }
  }
}

/**
 * Whether a ResizeBilinear (or, without `halfPixelCenters`, its gradient) call is the x2
 * corner-aligned case these functions handle.
 */
export function isResizeX2(
  inShape: readonly number[],
  outSize: readonly number[],
  attrs: tf.NamedAttrMap,
): boolean {
  return inShape.length === 4 && !attrs.alignCorners && !attrs.halfPixelCenters &&
    outSize[0] === 2 * inShape[1] && outSize[1] === 2 * inShape[2];
}
