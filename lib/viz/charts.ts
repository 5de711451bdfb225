/**
 * The workbench's chart types: HU histograms with the model windows marked,
 * training curves, and ablation comparisons.
 *
 * @example
 * ```ts
 * const log = [{ epoch: 1, split: "train", loss: 0.9 }, { epoch: 1, split: "val", loss: 1.0 }];
 * const chart = trainingCurves(log, { y: ["loss"], series: "split" });
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { HUWindow } from "../config/experiment.ts";
import { type ChartFigure, hconcat, plotChart } from "./chart.ts";

/** One histogram bin. */
export interface Bin {
  x0: number;
  x1: number;
  count: number;
}

/**
 * Count values in bins of `binWidth` over [range[0], range[1]); values outside the
 * range are not counted (CT air and metal would otherwise dwarf soft tissue).
 */
export function histogram(
  values: ArrayLike<number>,
  range: [number, number],
  binWidth: number,
): Bin[] {
  const [lo, hi] = range;
  if (!(hi > lo) || !(binWidth > 0)) {
    throw new RangeError(`histogram needs range high > low and binWidth > 0`);
  }
  const n = Math.ceil((hi - lo) / binWidth);
  const counts = new Float64Array(n);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= lo && v < hi) counts[Math.floor((v - lo) / binWidth)]++;
  }
  return Array.from(counts, (count, k) => ({
    x0: lo + k * binWidth,
    x1: Math.min(lo + (k + 1) * binWidth, hi),
    count,
  }));
}

/** Options of {@link huHistogram}. */
export interface HuHistogramOptions {
  /** Windows to mark, by name (default: the liver window and the three tumor windows). */
  windows?: Record<string, HUWindow>;
  /** HU range counted (default [-1000, 1000]). */
  range?: [number, number];
  /** Bin width in HU (default 10). */
  binWidth?: number;
  /** Symmetric-log count axis, so small peaks stay visible (default true). */
  logCount?: boolean;
  title?: string;
  width?: number;
  height?: number;
}

/** The paper's windows: liver model input and the tumor model's three channels. */
export const PAPER_WINDOWS: Record<string, HUWindow> = {
  "liver [-100,300]": [-100, 300],
  "tumor [0,100]": [0, 100],
  "tumor [-100,200]": [-100, 200],
  "tumor [-100,400]": [-100, 400],
};

/**
 * Ticks of a symmetric-log count axis up to `max`: 0 and the powers of ten
 * (Plot's default symlog ticks crowd the top of the axis until the labels overlap).
 */
export function decadeTicks(max: number): number[] {
  const ticks = [0];
  for (let t = 1; t <= Math.max(max, 1); t *= 10) ticks.push(t);
  return ticks;
}

/** A power of ten as a short label: 1, 10, 100, 1k, 10k, 100k, 1M, ... */
export function decadeLabel(v: number): string {
  if (v >= 1e9) return `${v / 1e9}G`;
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/** Histogram of HU values with each window marked as a shaded band and its bounds. */
export function huHistogram(
  values: ArrayLike<number>,
  options: HuHistogramOptions = {},
): ChartFigure {
  const bins = histogram(values, options.range ?? [-1000, 1000], options.binWidth ?? 10);
  const windows = Object.entries(options.windows ?? PAPER_WINDOWS).map(([name, [lo, hi]]) => ({
    name,
    lo,
    hi,
  }));
  const bounds = windows.flatMap((w) => [{ name: w.name, x: w.lo }, { name: w.name, x: w.hi }]);
  return plotChart({
    title: options.title,
    width: options.width ?? 640,
    height: options.height ?? 320,
    x: { label: "HU" },
    y: options.logCount === false ? { label: "voxels", grid: true } : {
      label: "voxels",
      type: "symlog",
      grid: true,
      ticks: decadeTicks(Math.max(0, ...bins.map((b) => b.count))),
      tickFormat: decadeLabel,
    },
    color: { legend: true, type: "ordinal" },
    marks: [
      Plot.rect(windows, { x1: "lo", x2: "hi", fill: "name", fillOpacity: 0.12 }),
      Plot.rectY(bins, { x1: "x0", x2: "x1", y: "count", fill: "#555" }),
      Plot.ruleX(bounds, { x: "x", stroke: "name", strokeDasharray: "4,3" }),
      Plot.ruleY([0]),
    ],
  });
}

/** A record of a training log: an x key (e.g. `epoch`) and numeric or label fields. */
export type LogRecord = Record<string, number | string | null | undefined>;

/** Options of {@link trainingCurves}. */
export interface TrainingCurvesOptions {
  /** The x key (default "epoch"). */
  x?: string;
  /**
   * What to plot. An array of keys gives one panel per key (long format, e.g.
   * `["loss", "dice"]` with `series: "split"`); an object maps a panel title to the
   * keys drawn in it (wide format, e.g. `{ loss: ["train_loss", "val_loss"] }`).
   */
  y: string[] | Record<string, string[]>;
  /** Key whose value names the series (e.g. "split", or "variant" for ablations). */
  series?: string;
  title?: string;
  /** Width of each panel (default 420). */
  panelWidth?: number;
  height?: number;
}

/**
 * Axis options for whole-number data (epochs): integer ticks only, at most about
 * 10, and a domain of half a unit either side of a single value (Plot would label
 * a one-point axis 0.999999 .. 1.000000). Empty for other data.
 */
export function integerAxis(
  xs: number[],
): { domain?: [number, number]; ticks?: number[]; tickFormat?: string } {
  if (xs.length === 0 || !xs.every(Number.isInteger)) return {};
  let lo = Infinity, hi = -Infinity;
  for (const x of xs) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  const step = Math.max(1, Math.ceil((hi - lo) / 10));
  const ticks: number[] = [];
  for (let t = lo; t <= hi; t += step) ticks.push(t);
  return lo === hi
    ? { domain: [lo - 0.5, hi + 0.5], ticks, tickFormat: "d" }
    : { ticks, tickFormat: "d" };
}

/**
 * Line charts of logged values against epochs, one panel per metric (panels have
 * their own y scale, since loss and Dice differ in range), one line per series.
 */
export function trainingCurves(
  records: LogRecord[],
  options: TrainingCurvesOptions,
): ChartFigure {
  const xKey = options.x ?? "epoch";
  const panels = Array.isArray(options.y)
    ? options.y.map((k) => [k, [k]] as const)
    : Object.entries(options.y);
  if (panels.length === 0) throw new Error("trainingCurves needs at least one y key");
  const charts = panels.map(([panel, keys], i) => {
    const points = records.flatMap((r) =>
      keys.flatMap((key) => {
        const v = r[key], x = r[xKey];
        if (typeof v !== "number" || !Number.isFinite(v) || typeof x !== "number") return [];
        const parts = [options.series ? String(r[options.series]) : "", keys.length > 1 ? key : ""];
        return [{ x, y: v, series: parts.filter(Boolean).join(" ") || key }];
      })
    );
    return plotChart({
      title: i === 0 && options.title ? `${options.title}: ${panel}` : panel,
      width: options.panelWidth ?? 420,
      height: options.height ?? 280,
      x: { label: xKey, ...integerAxis(points.map((p) => p.x)) },
      y: { label: panel, grid: true },
      color: { legend: true, type: "ordinal" },
      marks: [
        Plot.line(points, { x: "x", y: "y", stroke: "series", z: "series" }),
        Plot.dot(points, { x: "x", y: "y", stroke: "series", r: 1.5 }),
      ],
    });
  });
  return hconcat(charts);
}

/** Options of {@link groupedBars}. */
export interface GroupedBarsOptions {
  /** Key of the outer grouping, e.g. "metric" (one group of bars per value). */
  x: string;
  /** Key of the bars within a group, e.g. "variant" (colour). */
  group: string;
  /** Key of the bar height, e.g. "value". */
  y: string;
  title?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/**
 * Grouped bars, e.g. an ablation: `rows = [{ metric: "dice", variant: "relu", value: 0.9 }]`
 * with `{ x: "metric", group: "variant", y: "value" }`.
 */
export function groupedBars(
  rows: Record<string, unknown>[],
  options: GroupedBarsOptions,
): ChartFigure {
  return plotChart({
    title: options.title,
    width: options.width ?? 640,
    height: options.height ?? 320,
    fx: { label: null },
    x: { axis: null },
    y: { label: options.yLabel ?? options.y, grid: true },
    color: { legend: true, type: "ordinal" },
    marks: [
      Plot.barY(rows, { fx: options.x, x: options.group, y: options.y, fill: options.group }),
      Plot.ruleY([0]),
    ],
  });
}
