import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import type { ExperimentConfig } from "../../config/experiment.ts";
import type { CtCase } from "../../data/case_loader.ts";
import { decadeLabel, decadeTicks } from "../charts.ts";
import { JUPYTER_DISPLAY } from "../display.ts";
import {
  caseHistogram,
  caseSummaryTable,
  channelsToRgb,
  modelInputsFigure,
  sliceLabelsFigure,
  sliceRuns,
  sliceSelectionChart,
  weightCountsTable,
  weightMapsFigure,
  windowsFigure,
} from "./preprocessing.ts";

const AFFINE = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const weights = { background: 1, liver: 5, tumor: 15, contour: 25, contourRadius: 0 };
const cfg = (inputSize: number, windows: [number, number][], sliceMargin: number) =>
  ({
    data: { inputSize, windows, histogramEqualize: false, sliceMargin, weights },
  }) as unknown as ExperimentConfig;
const liverCfg = cfg(2, [[-100, 300]], 1);
const tumorCfg = cfg(4, [[0, 100], [-100, 200], [-100, 400]], 0);

/**
 * 4x4x3: slice 1 holds a 2x2 liver square (pixels 5, 6, 9, 10) with tumor at
 * pixel 10; HU -200 outside, 100 in the liver, 300 in the tumor; slices 0 and 2 empty.
 */
function tinyCase(): CtCase {
  const hu = new Int16Array(48).fill(-200);
  const seg = new Uint8Array(48);
  for (const i of [5, 6, 9]) [hu[16 + i], seg[16 + i]] = [100, 1];
  [hu[26], seg[26]] = [300, 2];
  const geom = {
    shape: [4, 4, 3] as [number, number, number],
    spacing: [0.5, 0.5, 2] as [number, number, number],
    affine: AFFINE,
  };
  return {
    id: 7,
    volume: { data: hu, ...geom },
    segmentation: { data: seg, ...geom },
    source: "tiny",
  };
}

/** A table's HTML, or a chart's SVG. */
const text = (fig: { [JUPYTER_DISPLAY](): Record<string, string> }) => {
  const bundle = fig[JUPYTER_DISPLAY]();
  return bundle["image/svg+xml"] ?? bundle["text/html"];
};

Deno.test("caseSummaryTable: geometry, HU range and label voxels", () => {
  const html = text(caseSummaryTable(tinyCase(), 1));
  for (
    const cell of ["4 x 4 x 3", "0.50 x 0.50 x 2.00", "-200 .. 300", ">4<", ">1<", "slice shown"]
  ) {
    assert.ok(html.includes(cell), cell);
  }
});

Deno.test("weightCountsTable: pixels per weight of both models (hand-counted)", () => {
  // Liver map: the whole 2x2 square is its own contour (25), 12 background pixels (1).
  // Tumor map: pixel 10 is the tumor's contour (25), 5, 6, 9 liver (5), 12 background (1).
  const { document } = parseHTML(text(weightCountsTable(tinyCase(), 1, liverCfg, tumorCfg)));
  const rows = [...document.querySelectorAll("tbody tr")].map((tr) =>
    [...tr.querySelectorAll("td")].map((td) => Number(td.textContent))
  );
  assert.deepEqual(rows, [[1, 12, 12], [5, 0, 3], [25, 4, 1]]);
});

Deno.test("channelsToRgb packs three 0..1 channels into RGB", () => {
  const r = channelsToRgb(Float32Array.from([0, 0.5, 1, 1, 0, 0]), 2, 1);
  assert.deepEqual([...r.rgba], [0, 128, 255, 255, 255, 0, 0, 255]);
  assert.throws(() => channelsToRgb(new Float32Array(5), 2, 1), /5 values is not 2x1x3/);
});

Deno.test("slice, window, input and weight figures have one cell per image, at the right size", () => {
  const c = tinyCase();
  assert.equal(sliceLabelsFigure(c, 1, liverCfg).cells.length, 2);
  const windows = windowsFigure(c.volume, 1, tumorCfg.data.windows, "case 7");
  assert.deepEqual(windows.cells.map((x) => x.caption), [
    "case 7: HU [0, 100]",
    "case 7: HU [-100, 200]",
    "case 7: HU [-100, 400]",
  ]);
  const inputs = modelInputsFigure(c, 1, liverCfg, tumorCfg);
  assert.deepEqual(inputs.cells.map((x) => [x.width, x.height]), [[2, 2], [4, 4]]);
  assert.match(inputs.cells[1].caption!, /tumor model: 3 x 4 x 4/);
  const maps = weightMapsFigure(c, 1, liverCfg, tumorCfg);
  assert.equal(maps.cells.length, 3);
  assert.match(maps.cells[1].caption!, /0\.\.25/);
});

Deno.test("sliceSelectionChart counts the selected slices (liver +-1, tumor +-0)", () => {
  const svg = sliceSelectionChart(tinyCase().segmentation, liverCfg, tumorCfg).toHTML();
  assert.match(svg, /selected: liver 3, tumor 1 of 3 slices/);
  assert.match(svg, /aria-label="line"/);
  // The margins are bands, one per run of selected slices (liver 0-2, tumor 1), not stripes.
  const { document } = parseHTML(svg);
  assert.equal(document.querySelectorAll('g[aria-label="rect"] rect').length, 2);
});

Deno.test("sliceRuns joins consecutive slices into bands", () => {
  assert.deepEqual(sliceRuns([]), []);
  assert.deepEqual(sliceRuns([3, 4, 5, 9, 11, 12]), [
    { x1: 2.5, x2: 5.5 },
    { x1: 8.5, x2: 9.5 },
    { x1: 10.5, x2: 12.5 },
  ]);
});

Deno.test("caseHistogram's count axis has one tick per decade", () => {
  assert.deepEqual(decadeTicks(0), [0, 1]);
  assert.deepEqual(decadeTicks(4500), [0, 1, 10, 100, 1000]);
  const svg = caseHistogram(tinyCase()).toHTML();
  const { document } = parseHTML(svg);
  const labels = [...document.querySelectorAll('g[aria-label="y-axis tick label"] text')]
    .map((t) => t.textContent);
  assert.deepEqual(labels, ["0", "1", "10"]); // 44 voxels at -200 HU
});

Deno.test("decade tick labels are short", () => {
  assert.deepEqual([0, 1, 100, 1000, 1e5, 1e6, 1e9].map(decadeLabel), [
    "0",
    "1",
    "100",
    "1k",
    "100k",
    "1M",
    "1G",
  ]);
});
