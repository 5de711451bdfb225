/**
 * Observable Plot charts rendered headless (linkedom's DOM stands in for the
 * browser's `document`) to SVG strings that display in the Deno Jupyter kernel
 * and save as `.svg` or `.html` files.
 *
 * A chart's display bundle holds `text/html` as an `<img>` of the SVG (a data URI)
 * and the bare `image/svg+xml` beside it: Jupyter's sanitiser strips inline
 * `<svg>` from unsigned notebooks (Notebook, GitHub) but keeps an `<img>`, and
 * nbconvert blanks bare `image/svg+xml` but shows the `<img>`.
 *
 * Titles and colour legends are drawn inside the SVG (Plot would wrap them in an
 * HTML `<figure>`), so a saved `.svg` is the whole chart.
 *
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * const chart = plotChart({ title: "Dice", marks: [Plot.lineY([0.2, 0.5, 0.7])] });
 * await chart.save("results/figures/dice.svg");
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { writeTextAtomic } from "../util/atomic.ts";
import {
  type Displayable,
  escapeHtml,
  extensionOf,
  JUPYTER_DISPLAY,
  type MimeBundle,
  toBase64,
} from "./display.ts";

/** A rendered chart. */
export interface ChartFigure extends Displayable {
  width: number;
  height: number;
  /** Standalone SVG document text (with the SVG namespace). */
  toSVG(): string;
  /** The SVG for embedding in HTML. */
  toHTML(): string;
  /** Write `.svg` or `.html` to `path` atomically. */
  save(path: string): Promise<void>;
}

/** Plot options, with `title` and `color.legend` rendered inside the SVG. */
export type ChartOptions = Plot.PlotOptions;

const SVG_NS = "http://www.w3.org/2000/svg";
const LEGEND_ROW = 18;
const TITLE_HEIGHT = 24;

/**
 * A chart's MIME bundle: an `<img>` of the standalone SVG for HTML viewers, the
 * SVG itself, and a text line.
 */
export function chartBundle(svg: string, width: number, height: number): MimeBundle {
  const uri = `data:image/svg+xml;base64,${toBase64(new TextEncoder().encode(svg))}`;
  const text = `Chart ${width}x${height}`;
  return {
    "text/html": `<img src="${uri}" width="${width}" height="${height}" ` +
      `style="max-width:100%;height:auto" alt="${text}">`,
    "image/svg+xml": svg,
    "text/plain": text,
  };
}

/** Wrap finished SVG markup (an `<svg>` element) as a chart figure. */
export function chartFigure(svg: string, width: number, height: number): ChartFigure {
  // The root element needs the namespace when the SVG stands alone (a file, an <img>).
  const toSVG = () =>
    /^<svg[^>]*\sxmlns=/.test(svg) ? svg : svg.replace(/^<svg/, `<svg xmlns="${SVG_NS}"`);
  return {
    width,
    height,
    toSVG,
    toHTML: () => svg,
    async save(path: string) {
      const ext = extensionOf(path);
      if (ext === "svg") return await writeTextAtomic(path, toSVG());
      if (ext === "html") return await writeTextAtomic(path, `<!doctype html>\n${svg}\n`);
      throw new Error(`cannot save a chart as "${path}": use .svg or .html`);
    },
    [JUPYTER_DISPLAY]: () => chartBundle(toSVG(), width, height),
  };
}

/** Rough width of a label in 10 px sans-serif, for laying out legends without a font. */
function textWidth(text: string): number {
  return text.length * 6 + 4;
}

/** Swatch legend rows for an ordinal colour scale, as SVG, wrapped to `width`. */
function legendSvg(domain: unknown[], range: unknown[], width: number) {
  let x = 0, y = 0;
  const items = domain.map((value, i) => {
    const label = String(value);
    const w = 16 + textWidth(label);
    if (x > 0 && x + w > width) [x, y] = [0, y + LEGEND_ROW];
    const item = `<g transform="translate(${x},${y})"><rect width="10" height="10" fill="${
      range[i % range.length]
    }"/><text x="14" y="9" text-anchor="start">${escapeHtml(label)}</text></g>`;
    x += w + 8;
    return item;
  });
  return { svg: `<g aria-label="legend">${items.join("")}</g>`, height: y + LEGEND_ROW };
}

/**
 * Render Plot options to a chart figure. A `title` becomes an SVG heading and
 * `color: { legend: true }` an SVG swatch legend above the plot (ordinal colours).
 */
export function plotChart(options: ChartOptions): ChartFigure {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const { title, subtitle, caption, color, ...rest } = options;
  const wantLegend = color?.legend === true;
  const plotColor = color ? { ...color, legend: false } : undefined;
  const el = Plot.plot({ ...rest, color: plotColor, document } as Plot.PlotOptions) as unknown as
    & Element
    & { scale(name: "color"): Plot.Scale | undefined };
  const svgEl = el.tagName.toLowerCase() === "svg" ? el : el.querySelector("svg");
  if (!svgEl) throw new Error("Plot rendered no <svg>");
  const width = Number(svgEl.getAttribute("width"));
  const plotHeight = Number(svgEl.getAttribute("height"));
  const heading = [title, subtitle].filter((t) => typeof t === "string") as string[];
  const scale = wantLegend ? el.scale("color") : undefined;
  const legend = scale?.domain && Array.isArray(scale.range) && scale.type !== "linear"
    ? legendSvg([...scale.domain], [...scale.range], width - 20)
    : undefined;
  if (heading.length === 0 && !legend && typeof caption !== "string") {
    return chartFigure(svgEl.outerHTML, width, plotHeight);
  }
  const parts: string[] = [];
  let top = 0;
  heading.forEach((text, i) => {
    const size = i === 0 ? 14 : 11;
    parts.push(
      `<text x="10" y="${top + size + 4}" text-anchor="start" font-size="${size}"${
        i === 0 ? ' font-weight="bold"' : ""
      }>${escapeHtml(text)}</text>`,
    );
    top += i === 0 ? TITLE_HEIGHT : LEGEND_ROW;
  });
  if (legend) {
    parts.push(`<g transform="translate(10,${top + 4})">${legend.svg}</g>`);
    top += legend.height + 4;
  }
  svgEl.setAttribute("y", String(top));
  parts.push(svgEl.outerHTML);
  let height = top + plotHeight;
  if (typeof caption === "string") {
    parts.push(
      `<text x="10" y="${height + 14}" text-anchor="start" font-size="10">${
        escapeHtml(caption)
      }</text>`,
    );
    height += LEGEND_ROW + 4;
  }
  const svg = `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, sans-serif" font-size="10" fill="currentColor" ` +
    `style="background:white">${parts.join("")}</svg>`;
  return chartFigure(svg, width, height);
}

/** Place charts side by side (top-aligned) in one SVG. */
export function hconcat(charts: ChartFigure[], gap = 16): ChartFigure {
  if (charts.length === 0) throw new Error("hconcat needs at least one chart");
  if (charts.length === 1) return charts[0];
  let x = 0;
  const parts = charts.map((c) => {
    const part = c.toHTML().replace(/^<svg/, `<svg x="${x}" y="0"`);
    x += c.width + gap;
    return part;
  });
  const width = x - gap;
  const height = Math.max(...charts.map((c) => c.height));
  return chartFigure(
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `style="max-width:100%;height:auto;background:white">${parts.join("")}</svg>`,
    width,
    height,
  );
}
