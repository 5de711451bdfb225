/**
 * The geometry shared by the stride-1 filter gradients of the wasm and webgpu backends:
 * dW[a, b] pairs dy's oh x ow positions with the input shifted by tap (a, b), all of them
 * inside an input padded to hp x wp = (oh + kh - 1) x (ow + kw - 1).
 *
 * @example
 * ```ts
 * const g = filterGradGrid(x.shape, dy.shape, info); // g.hp, g.wp, g.top, g.left, ...
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Sizes of a stride-1 filter gradient of `x` [n,h,w,ci] against `dy` [n,oh,ow,co]. */
export interface FilterGradGrid {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  /** Padding above and left of the input. */
  top: number;
  left: number;
  /** The padded input's height and width. */
  hp: number;
  wp: number;
}

export function filterGradGrid(
  xShape: number[],
  dyShape: number[],
  info: tf.backend_util.Conv2DInfo,
): FilterGradGrid {
  const [n, h, w, ci] = xShape;
  const co = dyShape[3];
  const { filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  return { n, h, w, ci, co, kh, kw, oh, ow, top, left, hp: oh + kh - 1, wp: ow + kw - 1 };
}
