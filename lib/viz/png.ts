/**
 * A small PNG encoder: 8-bit grey, RGB or RGBA, every row with filter 0 (none),
 * one zlib IDAT chunk (fflate), CRC-32 per chunk. Enough for CT slices and
 * overlays, and free of canvas or native image libraries.
 *
 * @example
 * ```ts
 * const grey = new Uint8Array([0, 255, 255, 0]);
 * const png = encodePng(grey, 2, 2, 1); // 2x2 checkerboard
 * ```
 * @module
 */
import { zlibSync } from "fflate";

/** Bytes per pixel: 1 grey, 3 RGB, 4 RGBA. */
export type PngChannels = 1 | 3 | 4;

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const COLOR_TYPE: Record<PngChannels, number> = { 1: 0, 3: 2, 4: 6 };

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG chunks use) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out.subarray(4, 8 + payload.length)));
  return out;
}

/**
 * Encode 8-bit pixels (row-major, top row first, `channels` bytes per pixel) as PNG.
 * Throws when the buffer length does not match `width * height * channels`.
 */
export function encodePng(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: PngChannels,
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${width}x${height}`);
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `PNG pixel buffer has ${pixels.length} bytes, expected ${width}x${height}x${channels}`,
    );
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  // ihdr[10..12]: compression 0, filter method 0, no interlace.

  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // raw[y * (stride + 1)] stays 0: filter type "none".
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlibSync(raw, { level: 6 })),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Encode RGBA pixels with the fewest channels that keep them exact:
 * grey when R = G = B and opaque, RGB when opaque, RGBA otherwise.
 */
export function encodeRgbaPng(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const n = width * height;
  if (rgba.length !== n * 4) {
    throw new RangeError(`RGBA buffer has ${rgba.length} bytes, expected ${width}x${height}x4`);
  }
  let opaque = true;
  let grey = true;
  for (let i = 0; i < n && (opaque || grey); i++) {
    const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
    if (rgba[4 * i + 3] !== 255) opaque = false;
    if (r !== g || g !== b) grey = false;
  }
  if (!opaque) return encodePng(rgba, width, height, 4);
  const channels: PngChannels = grey ? 1 : 3;
  const packed = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) packed[i * channels + c] = rgba[4 * i + c];
  }
  return encodePng(packed, width, height, channels);
}
