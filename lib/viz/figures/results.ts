/**
 * Notebook 05 (paper sections II-B3, II-C3, Tables V-VI, Fig. 3): the cascade
 * on the test cases, the liver post-processing before and after, the LiTS
 * evaluation written where `deno task reproduce` writes it, and the overlays
 * of the paper's Fig. 3.
 *
 * @example
 * ```ts
 * const testCases = await testCases(dataRoot, liver.config);
 * await cascadeOnCases(testCases, { dataRoot, out: predictionsDir, liver, tumor });
 * const c = await loadCase(dataRoot, testCases[0].id);
 * postprocessingFigure(c, await postprocessExample(c.volume, c.segmentation, liver));
 * const { evaluation, tables } = await evaluateAndTabulate(testCases, { dataRoot, predictionsDir, resultsDir, profile });
 * await fig3Overlays(testCases, predictionsDir);
 * ```
 * @module
 */
import { join } from "node:path";
import type { CaseEntry } from "../../data/dataset.ts";
import { readNifti } from "../../data/nifti_read.ts";
import { showcaseSlice } from "../../data/slice_counts.ts";
import type { CtCase } from "../../data/case_loader.ts";
import { axialSlice } from "../../data/volume.ts";
import type { CascadeModel } from "../../inference/cascade.ts";
import type { Evaluation } from "../../metrics/evaluate.ts";
import { evaluateTestCases, resultTables } from "../../pipeline/steps.ts";
import { predictCases } from "../../inference/predict_cases.ts";
import { changeSlice, type PostprocessExample } from "../../inference/slice_predict.ts";
import { type Table, writeTables } from "../../reports/tables.ts";
import { contourOverlay, ctSlice, labelOverlay } from "../ct.ts";
import { type GridFigure, imageGrid } from "../raster.ts";
import { htmlTable, type TableFigure } from "../table.ts";
import { settleOutputs } from "../show.ts";

/** Options of {@link cascadeOnCases}. */
export interface CascadeOnCasesOptions {
  dataRoot: string;
  /** Folder of the `prediction-N.nii.gz` files. */
  out: string;
  liver: CascadeModel;
  tumor: CascadeModel;
  log?: (line: string) => void;
}

/**
 * The cascade (`predictCases`, the code behind `deno task predict`) on `cases`:
 * `prediction-N.nii.gz` in each input's own geometry; one line per case and a total. A case
 * already predicted by the same models and code (by `reproduce`, or an earlier run of the
 * cell) is kept, and its line says so.
 */
export async function cascadeOnCases(
  cases: CaseEntry[],
  opts: CascadeOnCasesOptions,
): Promise<string[]> {
  const log = opts.log ?? console.log;
  const t0 = performance.now();
  const written = await predictCases({
    data: opts.dataRoot,
    cases: cases.map((c) => c.id),
    out: opts.out,
    liver: opts.liver,
    tumor: opts.tumor,
    reuse: true,
    onCase: (i, n, c) => log(`case ${c.id} (${i + 1}/${n}) ${c.shape.join("x")}`),
    onKept: (c, path) => log(`case ${c.id}: ${path} is up to date (same models), kept`),
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`${written.length} predictions in ${opts.out}, ${seconds.toFixed(1)} s`);
  await settleOutputs(); // the cell's last output (see show.ts)
  return written;
}

/**
 * Slice `ex.z` of a case: the raw liver mask's and the post-processed mask's
 * contours against the reference (yellow; prediction cyan), and what changed
 * (magenta removed, blue added).
 */
export function postprocessingFigure(c: CtCase, ex: PostprocessExample): GridFigure {
  const { id, volume, segmentation: reference } = c;
  const z = ex.z;
  const shape = { width: volume.shape[0], height: volume.shape[1] };
  const truth = { data: axialSlice(reference, z), ...shape };
  const mask = (data: Uint8Array) => ({ data: axialSlice({ ...volume, data }, z), ...shape });
  const change = { data: changeSlice(ex.raw, ex.post, volume.shape, z), ...shape };
  return imageGrid([
    contourOverlay({ volume, z }, { prediction: mask(ex.raw), truth }),
    contourOverlay({ volume, z }, { prediction: mask(ex.post), truth }),
    labelOverlay({ volume, z }, change, {
      colors: { 1: [255, 0, 255], 2: [0, 120, 255] },
      alpha: 0.8,
    }),
  ], {
    captions: [
      `case ${id}, z = ${z}: raw liver mask`,
      "after post-processing",
      `changed: ${ex.effect.removed} voxels removed, ${ex.effect.added} added (whole volume)`,
    ],
  });
}

/** Voxels, 26-connected components and Dice of the raw and the post-processed liver mask. */
export function postprocessingTable(c: Pick<CtCase, "id">, ex: PostprocessExample): TableFigure {
  return htmlTable([
    { mask: "raw", ...ex.effect.before },
    { mask: "post-processed", ...ex.effect.after },
  ], {
    caption: `Case ${c.id}: voxels, 26-connected components, Dice against the reference liver`,
  });
}

/** Options of {@link evaluateAndTabulate}. */
export interface EvaluateAndTabulateOptions {
  dataRoot: string;
  predictionsDir: string;
  /** `evaluation/<profile>.json` and `tables/<profile>/` are written below it. */
  resultsDir: string;
  profile: string;
}

/**
 * The pipeline's evaluation step (`evaluateTestCases`, as `deno task reproduce`), written to
 * `<resultsDir>/evaluation/<profile>.json`, and Tables V and VI written to
 * `<resultsDir>/tables/<profile>/`.
 */
export async function evaluateAndTabulate(
  cases: CaseEntry[],
  opts: EvaluateAndTabulateOptions,
): Promise<{ evaluation: Evaluation; tables: Record<string, Table>; files: string[] }> {
  const evaluation = await evaluateTestCases(cases, {
    dataRoot: opts.dataRoot,
    predictionsDir: opts.predictionsDir,
    evalPath: join(opts.resultsDir, "evaluation", `${opts.profile}.json`),
  });
  const tables = resultTables({ evaluation });
  const files = await writeTables(join(opts.resultsDir, "tables", opts.profile), tables);
  return { evaluation, tables, files };
}

/**
 * The paper's Fig. 3: each case at its slice with the most reference tumor
 * (else liver): CT, reference, the cascade's prediction (liver red, tumor green).
 */
export async function fig3Overlays(
  cases: CaseEntry[],
  predictionsDir: string,
): Promise<GridFigure> {
  const images = [], captions = [];
  for (const c of cases) {
    const volume = await readNifti(c.volumePath);
    const reference = await readNifti(c.segmentationPath!);
    const prediction = await readNifti(join(predictionsDir, `prediction-${c.id}.nii.gz`));
    const z = showcaseSlice(reference);
    images.push(
      ctSlice({ volume, z }),
      labelOverlay({ volume, z }, { volume: reference, z }),
      labelOverlay({ volume, z }, { volume: prediction, z }),
    );
    captions.push(`case ${c.id}, z = ${z}`, "reference", "prediction (cascade)");
  }
  return imageGrid(images, { columns: 3, captions });
}
