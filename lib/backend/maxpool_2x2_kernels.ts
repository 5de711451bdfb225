/**
 * 2x2 max pooling with stride 2 and its gradient for the `onednn` backend, in JS: the
 * transition-down of every FC-DenseNet level. oneDNN 2.6's `pooling_v2` on NHWC arrays with
 * channel counts that are not a multiple of 8 took 15-50 ms a call on an AVX2 machine, about 10x
 * a pass over the memory, and its gradient needs the forward run again for the workspace. With
 * windows that do not overlap, each input value belongs to one window, so the gradient is one
 * pass: dy where the value is its window's first maximum in row-major order (tfjs's rule for
 * ties), else 0.
 *
 * Same comparisons and the same arithmetic as tfjs's `cpu` kernels (`pixel > max` from
 * -Infinity, so a NaN never wins; the gradient `0 + dy` at the maximum, 0 elsewhere), so the values are equal bit for
 * bit, NaN and the sign of zero included.
 * @module
 */

/** Whether an (undilated) pooling is the unpadded 2x2 stride-2 case handled here. */
export function isMaxPool2x2(
  info: {
    filterHeight: number;
    filterWidth: number;
    strideHeight: number;
    strideWidth: number;
    inHeight: number;
    inWidth: number;
    padInfo: { top: number; left: number; bottom: number; right: number };
  },
): boolean {
  const p = info.padInfo;
  return info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 &&
    info.strideWidth === 2 && info.inHeight % 2 === 0 && info.inWidth % 2 === 0 &&
    p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
}

/**
 * The index of the first maximum of x[a], x[p], x[q], x[r] (tfjs's `pixel > max` from
 * -Infinity), or -1 when none is above -Infinity (all NaN or -Infinity).
 */
function firstMax(x: Float32Array, a: number, p: number, q: number, r: number): number {
  let k = x[a] > -Infinity ? a : -1;
  if (x[p] > (k < 0 ? -Infinity : x[k])) k = p;
  if (x[q] > (k < 0 ? -Infinity : x[k])) k = q;
  if (x[r] > (k < 0 ? -Infinity : x[k])) k = r;
  return k;
}

/** y [b, h/2, w/2, c] = the maximum of each 2x2 window of x [b, h, w, c]. */
export function maxPool2x2(x: Float32Array, [b, h, w, c]: readonly number[], y: Float32Array) {
  const row = w * c;
  let o = 0;
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < h >> 1; oy++) {
      const top = (n * h + 2 * oy) * row;
      for (let ox = 0; ox < w >> 1; ox++) {
        for (let a = top + 2 * ox * c, end = a + c; a < end; a++) {
          const k = firstMax(x, a, a + c, a + row, a + row + c);
          y[o++] = k < 0 ? -Infinity : x[k];
        }
      }
    }
  }
}

/** dx [b, h, w, c] of {@link maxPool2x2} for dy [b, h/2, w/2, c]; every value is written. */
export function maxPool2x2Grad(
  x: Float32Array,
  dy: Float32Array,
  [b, h, w, c]: readonly number[],
  dx: Float32Array,
) {
  const row = w * c;
  let o = 0;
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < h >> 1; oy++) {
      const top = (n * h + 2 * oy) * row;
      for (let ox = 0; ox < w >> 1; ox++) {
        for (let a = top + 2 * ox * c, end = a + c; a < end; a++) {
          const k = firstMax(x, a, a + c, a + row, a + row + c);
          dx[a] = 0;
          dx[a + c] = 0;
          dx[a + row] = 0;
          dx[a + row + c] = 0;
          if (k >= 0) dx[k] = 0 + dy[o];
          o++;
        }
      }
    }
  }
}
