/**
 * RGBA rasters and the image figures that display them: inline in the Deno
 * Jupyter kernel as PNG, or saved as `.png` files (atomically).
 *
 * @example
 * ```ts
 * const img = imageFigure(newRaster(2, 2, [255, 0, 0, 255]));
 * await img.save("results/figures/red.png");
 * ```
 * @module
 */
import { writeFileAtomic, writeTextAtomic } from "../util/atomic.ts";
import {
  type Displayable,
  escapeHtml,
  extensionOf,
  JUPYTER_DISPLAY,
  type MimeBundle,
  toBase64,
} from "./display.ts";
import { encodeRgbaPng } from "./png.ts";

/** An 8-bit RGBA image, row-major, top row first. */
export interface Raster {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** An RGB(A) colour, components 0..255. */
export type Rgb = readonly [number, number, number] | readonly [number, number, number, number];

/** A raster that displays in Jupyter and writes PNG files. */
export interface ImageFigure extends Raster, Displayable {
  /** Optional caption shown under the image in HTML displays. */
  caption?: string;
  /** PNG bytes (grey, RGB or RGBA, whichever keeps the pixels exact). */
  toPNG(): Uint8Array;
  /**
   * `<img>` tag with the PNG inlined as a data URL (and the caption, if any),
   * shown `displayWidth` px wide (default: its own width; the PNG keeps every pixel).
   */
  toHTML(displayWidth?: number): string;
  /** Write `.png` (or `.html`) to `path` atomically. */
  save(path: string): Promise<void>;
}

/** A new raster filled with one colour (default opaque black). */
export function newRaster(width: number, height: number, fill: Rgb = [0, 0, 0, 255]): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`raster size must be positive integers, got ${width}x${height}`);
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  const a = fill.length === 4 ? fill[3] : 255;
  for (let i = 0; i < rgba.length; i += 4) {
    rgba[i] = fill[0];
    rgba[i + 1] = fill[1];
    rgba[i + 2] = fill[2];
    rgba[i + 3] = a;
  }
  return { width, height, rgba };
}

/** Wrap a raster as a displayable, saveable image figure. */
export function imageFigure(raster: Raster, caption?: string): ImageFigure {
  const { width, height, rgba } = raster;
  let png: Uint8Array | undefined;
  const toPNG = () => (png ??= encodeRgbaPng(rgba, width, height));
  const toHTML = (displayWidth = width) => {
    const shownHeight = Math.round((height * displayWidth) / width);
    const img = `<img src="data:image/png;base64,${toBase64(toPNG())}" width="${displayWidth}" ` +
      `height="${shownHeight}" alt="${escapeHtml(caption ?? "image")}">`;
    return caption === undefined
      ? img
      : `<figure style="display:inline-block;margin:4px;max-width:${displayWidth}px">${img}<figcaption>${
        escapeHtml(caption)
      }</figcaption></figure>`;
  };
  return {
    width,
    height,
    rgba,
    caption,
    toPNG,
    toHTML,
    async save(path: string) {
      const ext = extensionOf(path);
      if (ext === "png") return await writeFileAtomic(path, toPNG());
      if (ext === "html") return await writeTextAtomic(path, toHTML());
      throw new Error(`cannot save an image as "${path}": use .png or .html`);
    },
    [JUPYTER_DISPLAY](): MimeBundle {
      return caption === undefined
        ? { "image/png": toBase64(toPNG()), "text/plain": `Image ${width}x${height}` }
        : { "text/html": toHTML(), "text/plain": `Image ${width}x${height}: ${caption}` };
    },
  };
}

/** Options of {@link imageGrid}. */
export interface GridOptions {
  /** Images per row (default: all in one row). */
  columns?: number;
  /** Pixels between cells (default 4). */
  gap?: number;
  /** Colour behind and between cells (default white). */
  background?: Rgb;
  /** One caption per image: the Jupyter display becomes an HTML grid with captions. */
  captions?: string[];
  /**
   * Widest row of the captioned HTML display in px (default 960): wider rows show
   * their images scaled down (saved PNGs keep full resolution); 960 fits the
   * content column of an nbconvert HTML report in a 1100 px window.
   */
  maxDisplayWidth?: number;
}

/** A grid figure: one raster montage (for PNG files) plus per-image captions. */
export interface GridFigure extends ImageFigure {
  cells: ImageFigure[];
}

/**
 * Lay images out side by side (row-major, `columns` per row), each cell as large as
 * the largest image, images top-left aligned.
 *
 * @example
 * ```ts
 * const grid = imageGrid([a, b, c], { captions: ["[0,100]", "[-100,200]", "[-100,400]"] });
 * ```
 */
export function imageGrid(images: Raster[], options: GridOptions = {}): GridFigure {
  if (images.length === 0) throw new Error("imageGrid needs at least one image");
  const { gap = 4, background = [255, 255, 255, 255], captions } = options;
  if (captions && captions.length !== images.length) {
    throw new Error(`imageGrid got ${captions.length} captions for ${images.length} images`);
  }
  const columns = Math.min(options.columns ?? images.length, images.length);
  const rows = Math.ceil(images.length / columns);
  const cellW = Math.max(...images.map((i) => i.width));
  const cellH = Math.max(...images.map((i) => i.height));
  const out = newRaster(columns * cellW + (columns - 1) * gap, rows * cellH + (rows - 1) * gap, [
    ...background,
  ] as Rgb);
  images.forEach((img, k) => {
    const x0 = (k % columns) * (cellW + gap);
    const y0 = Math.floor(k / columns) * (cellH + gap);
    for (let y = 0; y < img.height; y++) {
      const src = img.rgba.subarray(y * img.width * 4, (y + 1) * img.width * 4);
      out.rgba.set(src, ((y0 + y) * out.width + x0) * 4);
    }
  });
  const montage = imageFigure(out);
  const cells = images.map((img, k) => imageFigure(img, captions?.[k]));
  if (!captions) return { ...montage, cells };
  // Each figure has a 4 px margin per side (see toHTML) besides the grid gap.
  const room = (options.maxDisplayWidth ?? 960) - (columns - 1) * gap - columns * 8;
  const scale = Math.min(1, room / (columns * cellW));
  const html = () =>
    `<div style="display:grid;grid-template-columns:repeat(${columns},max-content);gap:${gap}px">${
      cells.map((c) => c.toHTML(Math.max(1, Math.floor(c.width * scale)))).join("")
    }</div>`;
  return {
    ...montage,
    cells,
    toHTML: html,
    async save(path: string) {
      return extensionOf(path) === "html"
        ? await writeTextAtomic(path, html())
        : await montage.save(path);
    },
    [JUPYTER_DISPLAY]: () => ({
      "text/html": html(),
      "text/plain": `Grid of ${images.length} images`,
    }),
  };
}
