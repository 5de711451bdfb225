/**
 * CT slices as images: a chosen HU window in grey, label overlays (liver red,
 * tumor green, semi-transparent, as in the paper's Fig. 3) and contours of a
 * prediction against the truth.
 *
 * @example
 * ```ts
 * const img = labelOverlay({ volume: ct, z: 40 }, { volume: labels, z: 40 }, { window: [-100, 300] });
 * await img.save("results/figures/case0_z40.png");
 * ```
 * @module
 */
import type { HUWindow } from "../config/experiment.ts";
import { axialSlice, type Volume } from "../data/volume.ts";
import { type ImageFigure, imageFigure, type Raster, type Rgb } from "./raster.ts";

/** A 2D slice, rows = y (top row first), columns = x, x fastest. */
export interface Slice {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** A slice given directly, or as axial slice `z` of a canonical volume. */
export type SliceSource = Slice | { volume: Volume; z: number };

/** Resolve a {@link SliceSource} to a slice, checking its size. */
export function toSlice(source: SliceSource): Slice {
  if ("volume" in source) {
    const { volume, z } = source;
    return { data: axialSlice(volume, z), width: volume.shape[0], height: volume.shape[1] };
  }
  if (source.data.length !== source.width * source.height) {
    throw new RangeError(
      `slice has ${source.data.length} values, expected ${source.width}x${source.height}`,
    );
  }
  return source;
}

/** Map HU to grey: `low` and below black, `high` and above white, linear between. */
export function windowToGrey(source: SliceSource, window: HUWindow): Raster {
  const { data, width, height } = toSlice(source);
  const [low, high] = window;
  if (!(high > low)) throw new RangeError(`HU window [${low}, ${high}] must have high > low`);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    const g = Math.round(((Math.min(Math.max(data[i], low), high) - low) * 255) / (high - low));
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g;
    rgba[4 * i + 3] = 255;
  }
  return { width, height, rgba };
}

/** Options of {@link ctSlice}. */
export interface CtSliceOptions {
  /** HU window [low, high] (default the liver model's [-100, 300]). */
  window?: HUWindow;
  caption?: string;
}

/** A CT slice in grey with a chosen HU window. */
export function ctSlice(source: SliceSource, options: CtSliceOptions = {}): ImageFigure {
  return imageFigure(windowToGrey(source, options.window ?? [-100, 300]), options.caption);
}

/** Blend `color` over pixel `i` of `rgba` with opacity `alpha` (0..1). */
function blend(rgba: Uint8ClampedArray, i: number, color: Rgb, alpha: number): void {
  for (let c = 0; c < 3; c++) {
    rgba[4 * i + c] = Math.round(rgba[4 * i + c] * (1 - alpha) + color[c] * alpha);
  }
}

/** Options of {@link labelOverlay}. */
export interface LabelOverlayOptions extends CtSliceOptions {
  /** Colour per label value (default 1 liver red, 2 tumor green). */
  colors?: Record<number, Rgb>;
  /** Overlay opacity 0..1 (default 0.4). */
  alpha?: number;
}

/** Default label colours of the paper's Fig. 3: liver red, tumor green. */
export const LABEL_COLORS: Record<number, Rgb> = { 1: [255, 0, 0], 2: [0, 255, 0] };

/** A CT slice with its labels tinted semi-transparently (0 = no tint). */
export function labelOverlay(
  ct: SliceSource,
  labels: SliceSource,
  options: LabelOverlayOptions = {},
): ImageFigure {
  const base = windowToGrey(ct, options.window ?? [-100, 300]);
  const lab = toSlice(labels);
  assertSameSize(base, lab, "labels");
  const colors = options.colors ?? LABEL_COLORS;
  const alpha = options.alpha ?? 0.4;
  for (let i = 0; i < lab.data.length; i++) {
    const color = colors[lab.data[i]];
    if (color) blend(base.rgba, i, color, alpha);
  }
  return imageFigure(base, options.caption);
}

/** Options of {@link contourOverlay}. */
export interface ContourOverlayOptions extends CtSliceOptions {
  /** Which label values form the mask (default: label > 0). */
  select?: (label: number) => boolean;
  /** Contour colours (default {@link CONTOUR_COLORS}). */
  colors?: { prediction?: Rgb; truth?: Rgb };
}

/** Default contour colours: truth yellow, prediction cyan (both stand out on grey CT). */
export const CONTOUR_COLORS = {
  truth: [255, 220, 0] as Rgb,
  prediction: [0, 200, 255] as Rgb,
};

/**
 * Mask pixels with a 4-neighbour outside the mask; pixels beyond the image count
 * as outside, so a mask touching the border is closed there.
 */
export function contourOf(mask: ArrayLike<boolean | number>, width: number, height: number) {
  const edge = new Uint8Array(width * height);
  const inside = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height && !!mask[x + width * y];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!inside(x, y)) continue;
      if (!inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1)) {
        edge[x + width * y] = 1;
      }
    }
  }
  return edge;
}

/** A CT slice with the contours of the truth and the prediction drawn in two colours. */
export function contourOverlay(
  ct: SliceSource,
  masks: { prediction: SliceSource; truth: SliceSource },
  options: ContourOverlayOptions = {},
): ImageFigure {
  const base = windowToGrey(ct, options.window ?? [-100, 300]);
  const select = options.select ?? ((v: number) => v > 0);
  const colors = { ...CONTOUR_COLORS, ...options.colors };
  // Truth first, so where both contours coincide the prediction shows on top.
  for (const which of ["truth", "prediction"] as const) {
    const s = toSlice(masks[which]);
    assertSameSize(base, s, which);
    const mask = Uint8Array.from(s.data as ArrayLike<number>, (v) => (select(v) ? 1 : 0));
    const edge = contourOf(mask, s.width, s.height);
    for (let i = 0; i < edge.length; i++) if (edge[i]) blend(base.rgba, i, colors[which], 1);
  }
  return imageFigure(base, options.caption);
}

function assertSameSize(base: Raster, s: Slice, what: string): void {
  if (s.width !== base.width || s.height !== base.height) {
    throw new RangeError(
      `${what} slice is ${s.width}x${s.height} but the CT slice is ${base.width}x${base.height}`,
    );
  }
}
