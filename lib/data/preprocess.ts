/**
 * The paper's input preprocessing: window the HU values, min-max normalise
 * each window over the whole volume, and resample an axial slice to the model
 * size (area averaging for integer shrink factors, bilinear otherwise).
 * Labels are resampled by majority (shrinking) or nearest neighbour.
 *
 * Images are HWC float32 with rows = y and columns = x of the canonical
 * volume (anterior at the top, patient right on the left).
 *
 * @example
 * ```ts
 * const windows: HUWindow[] = [[-100, 300]];
 * const stats = windows.map((w) => windowStats(vol, w));
 * const x = sliceInput(vol, 40, windows, stats, 256); // 256*256*1 values in [0, 1]
 * const y = labelSlice(seg, 40, 512);
 * ```
 * @module
 */
import type { HUWindow } from "../config/experiment.ts";
import type { Volume } from "./volume.ts";

/** Min and max of the windowed volume: the min-max normalisation of one channel. */
export interface WindowStats {
  lo: number;
  hi: number;
}

/** Options of {@link sliceInput}. */
export interface SliceInputOptions {
  /** Histogram-equalise each normalised channel over the slice (256 bins), as the prototype did. */
  histogramEqualize?: boolean;
  /** HU added to every voxel before windowing (`lib/data/liver_reference.ts`); default 0. */
  offsetHU?: number;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function checkWindow(window: HUWindow): void {
  if (!(window[0] < window[1])) throw new RangeError(`HU window [${window}] must have low < high`);
}

/** Smallest and largest value of a volume (a loop: spreading 10^7 voxels into Math.min overflows the stack). */
export function valueRange(vol: Pick<Volume, "data">): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < vol.data.length; i++) {
    const v = vol.data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Min and max over the whole volume of clamp(v + offsetHU, window). `range` is the volume's
 * {@link valueRange} when the caller has it already (one pass for several windows).
 */
export function windowStats(
  vol: Volume,
  window: HUWindow,
  offsetHU = 0,
  range?: readonly [number, number],
): WindowStats {
  checkWindow(window);
  if (vol.data.length === 0) throw new RangeError("windowStats: the volume is empty");
  const [min, max] = range ?? valueRange(vol);
  return {
    lo: clamp(min + offsetHU, window[0], window[1]),
    hi: clamp(max + offsetHU, window[0], window[1]),
  };
}

/**
 * Histogram equalisation of values in [0, 1] (256 bins): each value becomes
 * the fraction of pixels in its bin or below (the cumulative histogram).
 */
export function equalizeHistogram(values: Float32Array): Float32Array {
  const bins = 256;
  const hist = new Float64Array(bins);
  const bin = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
  for (let i = 0; i < values.length; i++) hist[bin(values[i])]++;
  for (let b = 1; b < bins; b++) hist[b] += hist[b - 1];
  const out = new Float32Array(values.length);
  const n = values.length;
  for (let i = 0; i < n; i++) out[i] = hist[bin(values[i])] / n;
  return out;
}

/** Area average by integer factors (fx, fy): each output pixel is the mean of an fx x fy block. */
function shrinkArea(
  src: Float32Array,
  w: number,
  h: number,
  channels: number,
  outW: number,
  outH: number,
): Float32Array {
  const fx = w / outW, fy = h / outH;
  const out = new Float32Array(outW * outH * channels);
  const norm = 1 / (fx * fy);
  for (let oy = 0; oy < outH; oy++) {
    for (let y = oy * fy; y < (oy + 1) * fy; y++) {
      for (let ox = 0; ox < outW; ox++) {
        const o = (oy * outW + ox) * channels;
        for (let x = ox * fx; x < (ox + 1) * fx; x++) {
          const s = (y * w + x) * channels;
          for (let c = 0; c < channels; c++) out[o + c] += src[s + c];
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] *= norm;
  return out;
}

/**
 * Bilinear resize of an HWC image with half-pixel centres (as
 * `tf.image.resizeBilinear(..., halfPixelCenters = true)`), edges clamped.
 * Used to bring the liver model's probabilities back to full resolution.
 */
export function resizeBilinear(
  src: Float32Array,
  w: number,
  h: number,
  channels: number,
  outW: number,
  outH: number,
): Float32Array {
  if (src.length !== w * h * channels) {
    throw new RangeError(`resizeBilinear: ${src.length} values is not ${w}x${h}x${channels}`);
  }
  if (outW === w && outH === h) return src.slice();
  const out = new Float32Array(outW * outH * channels);
  const sx = w / outW, sy = h / outH;
  for (let oy = 0; oy < outH; oy++) {
    const fy = clamp((oy + 0.5) * sy - 0.5, 0, h - 1);
    const y0 = Math.floor(fy), y1 = Math.min(h - 1, y0 + 1), ty = fy - y0;
    for (let ox = 0; ox < outW; ox++) {
      const fx = clamp((ox + 0.5) * sx - 0.5, 0, w - 1);
      const x0 = Math.floor(fx), x1 = Math.min(w - 1, x0 + 1), tx = fx - x0;
      const a = (y0 * w + x0) * channels, b = (y0 * w + x1) * channels;
      const c = (y1 * w + x0) * channels, d = (y1 * w + x1) * channels;
      const o = (oy * outW + ox) * channels;
      for (let k = 0; k < channels; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * tx;
        const bot = src[c + k] + (src[d + k] - src[c + k]) * tx;
        out[o + k] = top + (bot - top) * ty;
      }
    }
  }
  return out;
}

/**
 * Resize an HWC image: area averaging when shrinking by integer factors,
 * bilinear otherwise (enlarging or non-integer factors).
 */
export function resizeImage(
  src: Float32Array,
  w: number,
  h: number,
  channels: number,
  outW: number,
  outH: number,
): Float32Array {
  if (outW === w && outH === h) return src;
  if (w % outW === 0 && h % outH === 0) return shrinkArea(src, w, h, channels, outW, outH);
  return resizeBilinear(src, w, h, channels, outW, outH);
}

function checkSlice(vol: Volume, z: number, what: string): void {
  if (!Number.isInteger(z) || z < 0 || z >= vol.shape[2]) {
    const where = vol.source?.path ?? "volume";
    throw new RangeError(`${what}: slice ${z} is outside 0..${vol.shape[2] - 1} of ${where}`);
  }
}

/**
 * One axial slice as the model input: HWC float32 of size x size x windows.length,
 * channel c = (clamp(v + offsetHU, windows[c]) - stats[c].lo) / (stats[c].hi - stats[c].lo)
 * (0 when hi == lo), resampled from nx x ny to size x size.
 */
export function sliceInput(
  vol: Volume,
  z: number,
  windows: HUWindow[],
  stats: WindowStats[],
  size: number,
  opts: SliceInputOptions = {},
): Float32Array {
  checkSlice(vol, z, "sliceInput");
  if (windows.length === 0 || windows.length !== stats.length) {
    throw new RangeError(`sliceInput: ${windows.length} windows but ${stats.length} stats`);
  }
  const [nx, ny] = vol.shape;
  const n = nx * ny, ch = windows.length;
  const slice = vol.data.subarray(z * n, (z + 1) * n);
  const img = new Float32Array(n * ch);
  for (let c = 0; c < ch; c++) {
    checkWindow(windows[c]);
    const [wlo, whi] = windows[c];
    const { lo, hi } = stats[c];
    const scale = hi > lo ? 1 / (hi - lo) : 0;
    const offset = opts.offsetHU ?? 0;
    let channel: Float32Array = new Float32Array(n);
    for (let i = 0; i < n; i++) channel[i] = (clamp(slice[i] + offset, wlo, whi) - lo) * scale;
    if (opts.histogramEqualize) channel = equalizeHistogram(channel);
    for (let i = 0; i < n; i++) img[i * ch + c] = channel[i];
  }
  return resizeImage(img, nx, ny, ch, size, size);
}

/** The most frequent of four labels, ties to the higher (the rule of {@link labelSlice}). */
function majority4(a: number, b: number, c: number, d: number): number {
  if (a === b && b === c && c === d) return a;
  let best = a, bestCount = 1 + +(a === b) + +(a === c) + +(a === d);
  const consider = (v: number, count: number) => {
    if (count > bestCount || (count === bestCount && v > best)) {
      best = v;
      bestCount = count;
    }
  };
  consider(b, 1 + +(b === a) + +(b === c) + +(b === d));
  consider(c, 1 + +(c === a) + +(c === b) + +(c === d));
  consider(d, 1 + +(d === a) + +(d === b) + +(d === c));
  return best;
}

/** labelSlice's majority for 2x2 blocks (512 -> 256 px), without the general case's counts. */
function majority2x2(
  src: ArrayLike<number>,
  nx: number,
  size: number,
  out: Uint8Array,
): Uint8Array {
  for (let oy = 0; oy < size; oy++) {
    const r0 = 2 * oy * nx, r1 = r0 + nx;
    for (let ox = 0; ox < size; ox++) {
      const x = 2 * ox;
      out[oy * size + ox] = majority4(src[r0 + x], src[r0 + x + 1], src[r1 + x], src[r1 + x + 1]);
    }
  }
  return out;
}

/**
 * One axial slice of labels at size x size: the most frequent label of each
 * block when shrinking by an integer factor (ties go to the higher label, so
 * a small tumor is not lost to liver), nearest neighbour otherwise.
 */
export function labelSlice(seg: Volume, z: number, size: number): Uint8Array {
  checkSlice(seg, z, "labelSlice");
  const [nx, ny] = seg.shape;
  const n = nx * ny;
  const src = seg.data.subarray(z * n, (z + 1) * n);
  const out = new Uint8Array(size * size);
  if (nx === size && ny === size) {
    for (let i = 0; i < n; i++) out[i] = src[i];
    return out;
  }
  if (nx % size === 0 && ny % size === 0) {
    const fx = nx / size, fy = ny / size;
    if (fx === 2 && fy === 2) return majority2x2(src, nx, size, out);
    const counts = new Int32Array(256);
    for (let oy = 0; oy < size; oy++) {
      for (let ox = 0; ox < size; ox++) {
        let best = 0, bestCount = -1;
        for (let y = oy * fy; y < (oy + 1) * fy; y++) {
          for (let x = ox * fx; x < (ox + 1) * fx; x++) counts[src[y * nx + x]]++;
        }
        for (let y = oy * fy; y < (oy + 1) * fy; y++) {
          for (let x = ox * fx; x < (ox + 1) * fx; x++) {
            const v = src[y * nx + x];
            if (counts[v] > bestCount || (counts[v] === bestCount && v > best)) {
              best = v;
              bestCount = counts[v];
            }
          }
        }
        for (let y = oy * fy; y < (oy + 1) * fy; y++) {
          for (let x = ox * fx; x < (ox + 1) * fx; x++) counts[src[y * nx + x]] = 0;
        }
        out[oy * size + ox] = best;
      }
    }
    return out;
  }
  for (let oy = 0; oy < size; oy++) {
    const y = Math.min(ny - 1, Math.floor((oy + 0.5) * ny / size));
    for (let ox = 0; ox < size; ox++) {
      const x = Math.min(nx - 1, Math.floor((ox + 0.5) * nx / size));
      out[oy * size + ox] = src[y * nx + x];
    }
  }
  return out;
}
