/**
 * The figures of notebook 01 (paper section II-A, Fig. 2): what the two models
 * of the cascade see of one case. Every number comes from the experiment
 * configs and every computation from `lib/data/`, the code training runs.
 *
 * @example
 * ```ts
 * const c = await loadCase("../data/synthetic", 0);
 * const z = showcaseSlice(c.segmentation);
 * caseSummaryTable(c, z);
 * modelInputsFigure(c, z, liverCfg, tumorCfg);
 * weightMapsFigure(c, z, liverCfg, tumorCfg);
 * sliceSelectionChart(c.segmentation, liverCfg, tumorCfg);
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { ExperimentConfig, HUWindow } from "../../config/experiment.ts";
import { caseSliceCounts, type CtCase } from "../../data/case_loader.ts";
import { referenceOffset } from "../../data/liver_reference.ts";
import { modelInput } from "../../data/model_input.ts";
import { labelSlice, valueRange } from "../../data/preprocess.ts";
import { labelCounts } from "../../data/segmentation.ts";
import { selectSlices } from "../../data/slice_selection.ts";
import type { Volume } from "../../data/volume.ts";
import { weightMap } from "../../data/weight_map.ts";
import { type ChartFigure, plotChart } from "../chart.ts";
import { huHistogram } from "../charts.ts";
import { ctSlice, labelOverlay } from "../ct.ts";
import { heatmap } from "../heatmap.ts";
import { type GridFigure, imageFigure, imageGrid, type Raster } from "../raster.ts";
import { htmlTable, type TableFigure } from "../table.ts";

type Cfg = Pick<ExperimentConfig, "data">;

/** Source, geometry, HU range and label voxels of a case, and the slice shown. */
export function caseSummaryTable(c: CtCase, z: number): TableFigure {
  const [lo, hi] = valueRange(c.volume);
  const labels = labelCounts(c.segmentation);
  const tumor = labels.get(2) ?? 0;
  return htmlTable([
    { property: "source", value: c.source },
    { property: "shape (x, y, z)", value: c.volume.shape.join(" x ") },
    { property: "spacing (mm)", value: c.volume.spacing.map((s) => s.toFixed(2)).join(" x ") },
    { property: "HU range", value: `${lo} .. ${hi}` },
    { property: "liver voxels (label >= 1)", value: (labels.get(1) ?? 0) + tumor },
    { property: "tumor voxels (label 2)", value: tumor },
    { property: "slice shown", value: z },
  ]);
}

/** The case's HU histogram with the liver window and the three tumor windows marked. */
export function caseHistogram(c: CtCase): ChartFigure {
  return huHistogram(c.volume.data, { title: `HU histogram, ${c.source}` });
}

/** Slice `z` in the liver window, and with its reference labels (liver red, tumor green). */
export function sliceLabelsFigure(c: CtCase, z: number, liverCfg: Cfg): GridFigure {
  const window = liverCfg.data.windows[0];
  const slice = { volume: c.volume, z };
  return imageGrid([
    ctSlice(slice, { window }),
    labelOverlay(slice, { volume: c.segmentation, z }, { window }),
  ], { captions: [`z = ${z}, HU [${window[0]}, ${window[1]}]`, "labels: liver red, tumor green"] });
}

/** Slice `z` of `volume` once per HU window, side by side (the tumor model's channels). */
export function windowsFigure(
  volume: Volume,
  z: number,
  windows: HUWindow[],
  label = `z = ${z}`,
): GridFigure {
  return imageGrid(windows.map((window) => ctSlice({ volume, z }, { window })), {
    captions: windows.map(([lo, hi]) => `${label}: HU [${lo}, ${hi}]`),
  });
}

/** An HWC image of three channels in 0..1 as an RGB raster (channel c -> colour c). */
export function channelsToRgb(input: Float32Array, width: number, height: number): Raster {
  if (input.length !== width * height * 3) {
    throw new RangeError(`channelsToRgb: ${input.length} values is not ${width}x${height}x3`);
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(input[3 * i + c] * 255);
    rgba[4 * i + 3] = 255;
  }
  return { width, height, rgba };
}

/** One model's input of slice `z` as training sees it (`model_input.ts`), at `size` px. */
function inputAt(c: CtCase, z: number, cfg: Cfg, size: number): Float32Array {
  const offsetHU = referenceOffset(cfg.data, c.volume, c.segmentation);
  return modelInput(c.volume, { ...cfg.data, inputSize: size }, offsetHU)([z]);
}

/**
 * Slice `z` as each model sees it: the liver model's one channel at its input
 * size (at most the slice's), the tumor model's three windows at full resolution as R, G, B.
 */
export function modelInputsFigure(
  c: CtCase,
  z: number,
  liverCfg: Cfg,
  tumorCfg: Cfg,
): GridFigure {
  const nx = c.volume.shape[0];
  const liverSize = Math.min(liverCfg.data.inputSize, nx);
  const liver = inputAt(c, z, liverCfg, liverSize);
  const tumor = inputAt(c, z, tumorCfg, nx);
  const [lo, hi] = valueRange({ data: liver });
  return imageGrid([
    ctSlice({ data: liver, width: liverSize, height: liverSize }, { window: [0, 1] }),
    imageFigure(channelsToRgb(tumor, nx, nx)),
  ], {
    captions: [
      `liver model: 1 x ${liverSize} x ${liverSize}, range ${lo.toFixed(2)}..${hi.toFixed(2)}`,
      `tumor model: ${tumorCfg.data.windows.length} x ${nx} x ${nx}`,
    ],
  });
}

/** Slice `z`'s labels and the weight maps of both models' losses (paper Fig. 2). */
export function sliceWeightMaps(
  c: CtCase,
  z: number,
  liverCfg: Cfg,
  tumorCfg: Cfg,
): { labels: Uint8Array; size: number; liver: Float32Array; tumor: Float32Array } {
  const size = c.segmentation.shape[0];
  const labels = labelSlice(c.segmentation, z, size);
  return {
    labels,
    size,
    liver: weightMap(labels, size, size, liverCfg.data.weights, "liver"),
    tumor: weightMap(labels, size, size, tumorCfg.data.weights, "tumor"),
  };
}

/** Labels, then the liver and the tumor model's weight maps in viridis, 0 .. contour weight. */
export function weightMapsFigure(
  c: CtCase,
  z: number,
  liverCfg: Cfg,
  tumorCfg: Cfg,
): GridFigure {
  const { labels, size, liver, tumor } = sliceWeightMaps(c, z, liverCfg, tumorCfg);
  const top = liverCfg.data.weights.contour;
  const lab = { data: labels, width: size, height: size };
  return imageGrid([
    labelOverlay(lab, lab, { window: [0, 2], alpha: 0.6 }),
    ...[liver, tumor].map((m) =>
      heatmap({ data: m, width: size, height: size }, { domain: [0, top] })
    ),
  ], {
    captions: ["labels", `liver model weights (viridis, 0..${top})`, "tumor model weights"],
  });
}

/** Pixels per weight value of slice `z`, for each model's weight map. */
export function weightCountsTable(
  c: CtCase,
  z: number,
  liverCfg: Cfg,
  tumorCfg: Cfg,
): TableFigure {
  const { liver, tumor } = sliceWeightMaps(c, z, liverCfg, tumorCfg);
  const [lc, tc] = [labelCounts({ data: liver }), labelCounts({ data: tumor })];
  const values = [...new Set([...lc.keys(), ...tc.keys()])].sort((a, b) => a - b);
  return htmlTable(
    values.map((v) => ({
      weight: v,
      "liver model pixels": lc.get(v) ?? 0,
      "tumor model pixels": tc.get(v) ?? 0,
    })),
    { caption: `Pixels per weight, slice ${z}` },
  );
}

const LIVER = "liver (>= 1)", TUMOR = "tumor (2)";

/** Consecutive slice indices (sorted) as bands `{ x1: first - 0.5, x2: last + 0.5 }`. */
export function sliceRuns(slices: number[]): { x1: number; x2: number }[] {
  const runs: { x1: number; x2: number }[] = [];
  for (const z of slices) {
    const last = runs[runs.length - 1];
    if (last && z - 0.5 === last.x2) last.x2 = z + 0.5;
    else runs.push({ x1: z - 0.5, x2: z + 0.5 });
  }
  return runs;
}

/**
 * Label pixels per slice, with the training slices each model selects (the
 * label's slices plus `sliceMargin` above and below) shaded behind.
 */
export function sliceSelectionChart(seg: Volume, liverCfg: Cfg, tumorCfg: Cfg): ChartFigure {
  const counts = caseSliceCounts(seg);
  const liverSlices = selectSlices(seg, "liver", liverCfg.data.sliceMargin);
  const tumorSlices = selectSlices(seg, "tumor", tumorCfg.data.sliceMargin);
  const rows = counts.flatMap((s) => [
    { z: s.z, pixels: s.liver, label: LIVER },
    { z: s.z, pixels: s.tumor, label: TUMOR },
  ]);
  const maxLiver = Math.max(0, ...counts.map((s) => s.liver));
  return plotChart({
    title:
      `Label pixels per slice; selected: liver ${liverSlices.length}, tumor ${tumorSlices.length} of ${counts.length} slices`,
    width: 720,
    height: 300,
    marginLeft: 56, // room for "35,000"-wide pixel counts of a 512 px slice
    x: { label: "slice z" },
    y: { label: "pixels", grid: true },
    color: { legend: true, type: "ordinal", domain: [LIVER, TUMOR], range: ["#d62728", "#2ca02c"] },
    marks: [
      // Each run of selected slices as one band from its first to its last slice (half a slice
      // either side), not one rule per slice, which read as stripes.
      Plot.rectX(sliceRuns(liverSlices), {
        x1: "x1",
        x2: "x2",
        y1: 0,
        y2: Math.max(maxLiver, 1),
        fill: "#d62728",
        fillOpacity: 0.1,
      }),
      Plot.rectX(sliceRuns(tumorSlices), {
        x1: "x1",
        x2: "x2",
        y1: 0,
        y2: Math.max(maxLiver, 1) / 4,
        fill: "#2ca02c",
        fillOpacity: 0.25,
      }),
      Plot.line(rows, { x: "z", y: "pixels", stroke: "label" }),
      Plot.ruleY([0]),
    ],
  });
}
