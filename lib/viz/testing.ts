/**
 * Test helpers: decode the PNGs our encoder writes (8-bit, filter 0, no interlace)
 * with node:zlib, independently of fflate, and check every chunk's CRC; parse the
 * SVG charts an HTML page shows as `<img>` data URIs.
 * @module
 */
import { Buffer } from "node:buffer";
import { parseHTML } from "linkedom";
import { inflateSync } from "node:zlib";
import { crc32 } from "./png.ts";

/** A decoded PNG. */
export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
  chunks: string[];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

/** Decode a filter-0 8-bit PNG; throws on a bad signature, CRC or filter byte. */
export function decodePng(png: Uint8Array): DecodedPng {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => png[i] === b)) throw new Error("bad PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: string[] = [];
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, channels = 0;
  for (let p = 8; p < png.length;) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    const body = png.subarray(p + 8, p + 8 + len);
    if (crc32(png.subarray(p + 4, p + 8 + len)) !== view.getUint32(p + 8 + len)) {
      throw new Error(`bad CRC in ${type}`);
    }
    chunks.push(type);
    if (type === "IHDR") {
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      if (body[8] !== 8) throw new Error("bit depth is not 8");
      channels = CHANNELS[body[9]];
    } else if (type === "IDAT") idat.push(body);
    p += 12 + len;
  }
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) {
      throw new Error(`row ${y} has filter ${raw[y * (stride + 1)]}`);
    }
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, channels, pixels, chunks };
}

/** The SVG documents of a page's `<img src="data:image/svg+xml;base64,...">` (its charts). */
export function svgImages(document: Document): Document[] {
  return [...document.querySelectorAll('img[src^="data:image/svg+xml;base64,"]')].map((img) => {
    const src = img.getAttribute("src")!;
    const bytes = Buffer.from(src.slice(src.indexOf(",") + 1), "base64");
    return parseHTML(new TextDecoder().decode(bytes)).document as unknown as Document;
  });
}

/** How many elements match `selector` over a page's SVG chart images. */
export function countInSvgImages(document: Document, selector: string): number {
  return svgImages(document).reduce((n, svg) => n + svg.querySelectorAll(selector).length, 0);
}
