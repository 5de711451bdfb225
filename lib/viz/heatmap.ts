/**
 * Scalar maps (e.g. the loss weight maps of the paper's Fig. 2) as colour images,
 * using Plot's colour schemes so heat maps match the charts.
 *
 * @example
 * ```ts
 * const img = heatmap({ data: weights, width: 512, height: 512 }, { domain: [0, 25] });
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { type SliceSource, toSlice } from "./ct.ts";
import { type ImageFigure, imageFigure } from "./raster.ts";

/** Options of {@link heatmap}. */
export interface HeatmapOptions {
  /** Values mapped to the ends of the colour scale (default: the data's min and max). */
  domain?: [number, number];
  /** A Plot sequential colour scheme name (default "viridis"). */
  scheme?: Plot.ColorScheme;
  caption?: string;
}

/** A 256-entry RGB lookup table of a Plot colour scheme. */
export function colorTable(scheme: Plot.ColorScheme): Uint8Array {
  const scale = Plot.scale({ color: { type: "linear", scheme, domain: [0, 255] } });
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const hex = String(scale.apply(i));
    const m = /^#([0-9a-f]{6})$/i.exec(hex);
    if (!m) throw new Error(`colour scheme "${scheme}" gave "${hex}", expected #rrggbb`);
    const v = parseInt(m[1], 16);
    lut.set([(v >> 16) & 255, (v >> 8) & 255, v & 255], 3 * i);
  }
  return lut;
}

/** A scalar slice as a heat map; values outside `domain` are clamped. */
export function heatmap(source: SliceSource, options: HeatmapOptions = {}): ImageFigure {
  const { data, width, height } = toSlice(source);
  let [lo, hi] = options.domain ?? [Infinity, -Infinity];
  if (!options.domain) {
    for (let i = 0; i < data.length; i++) {
      if (data[i] < lo) lo = data[i];
      if (data[i] > hi) hi = data[i];
    }
  }
  const lut = colorTable(options.scheme ?? "viridis");
  const span = hi > lo ? hi - lo : 1;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    const k = Math.round((Math.min(Math.max(data[i], lo), hi) - lo) / span * 255);
    rgba[4 * i] = lut[3 * k];
    rgba[4 * i + 1] = lut[3 * k + 1];
    rgba[4 * i + 2] = lut[3 * k + 2];
    rgba[4 * i + 3] = 255;
  }
  return imageFigure({ width, height, rgba }, options.caption);
}
