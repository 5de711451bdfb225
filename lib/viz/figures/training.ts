/**
 * A model section of the paper notebooks (02 liver, 03 tumor; 04 and 05 reuse
 * parts): the network summary, the learning curves of a run, and the run's
 * predictions on validation slices against the reference.
 *
 * @example
 * ```ts
 * networkSummary(cfg);                                   // block | layers | output | parameters
 * const run = await obtainRunLive(cfg, { runsDir, runId: liverRun, train });
 * learningCurves(run);
 * const shown = await validationShowcase(run, dataRoot);
 * validationPredictionsFigure(run, shown);
 * ```
 * @module
 */
import type { ExperimentConfig } from "../../config/experiment.ts";
import { type CaseEntry, indexDataset, splitCases } from "../../data/dataset.ts";
import { referenceLiver } from "../../data/liver_reference.ts";
import { readNifti } from "../../data/nifti_read.ts";
import { isTargetLabel } from "../../data/segmentation.ts";
import { topSlices } from "../../data/slice_counts.ts";
import { axialSlice, type Volume } from "../../data/volume.ts";
import type { CascadeModel } from "../../inference/cascade.ts";
import { type EpochMetrics, runId } from "../../runs/folder.ts";
import { predictMask } from "../../inference/slice_predict.ts";
import { maskDice } from "../../metrics/overlap.ts";
import { buildFCDenseNet, outputSize } from "../../models/fc_densenet.ts";
import type { ChartFigure } from "../chart.ts";
import { contourOverlay, labelOverlay, type LabelOverlayOptions } from "../ct.ts";
import { runCurves } from "../live.ts";
import { type GridFigure, imageGrid } from "../raster.ts";
import { modelSummary } from "../report_tables.ts";
import type { TableFigure } from "../table.ts";

/**
 * The untrained network of `cfg` summarised by block; the caption gives input
 * and output shapes and the parameter count.
 */
export function networkSummary(cfg: ExperimentConfig): TableFigure {
  const model = buildFCDenseNet(cfg.model, cfg.data.inputSize, { seed: cfg.train.seed });
  try {
    const side = outputSize(cfg.model, cfg.data.inputSize);
    const io = `input ${cfg.data.inputSize}x${cfg.data.inputSize}x${cfg.model.inputChannels}` +
      ` -> output ${side}x${side}x${cfg.model.classes}` +
      (cfg.data.patchSize ? ` (trained on ${cfg.data.patchSize} px patches)` : "");
    return modelSummary(model, io).table;
  } finally {
    model.dispose();
  }
}

/** Loss and Dice of the target class per epoch, training and validation, from `metrics.jsonl`. */
export function learningCurves(
  run: { runDir: string; config: ExperimentConfig; metrics: EpochMetrics[] },
): ChartFigure {
  return runCurves(run.metrics, `${run.config.task} run ${runId(run)}`);
}

/** A case shown with a model's prediction: its CT, reference labels and chosen slice. */
export interface ShownCase {
  entry: CaseEntry;
  volume: Volume;
  segmentation: Volume;
  z: number;
}

/** Which reference labels a model of `task` segments. */
const targetOf = (task: ExperimentConfig["task"]) => (label: number) => isTargetLabel(label, task);

async function withTarget(
  entries: CaseEntry[],
  select: (label: number) => boolean,
  count: number,
): Promise<ShownCase[]> {
  const found: ShownCase[] = [];
  for (const entry of entries) {
    if (found.length === count) break;
    const segmentation = await readNifti(entry.segmentationPath!);
    const [z] = topSlices(segmentation, select, 1);
    if (z !== undefined) {
      found.push({ entry, volume: await readNifti(entry.volumePath), segmentation, z });
    }
  }
  return found;
}

/**
 * Up to `count` validation cases of the run's split that hold its target
 * (liver or tumor), each at its slice with the most of it; the training cases
 * when no validation case does (a line on `log` says so).
 */
export async function validationShowcase(
  run: { config: ExperimentConfig; runDir?: string },
  dataRoot: string,
  { count = 3, log = console.log }: { count?: number; log?: (line: string) => void } = {},
): Promise<ShownCase[]> {
  const entries = await indexDataset(dataRoot, { requireSegmentation: true });
  let split;
  try {
    split = splitCases(entries, run.config.data.split);
  } catch (err) {
    // Typically the latest run of the profile was trained on another data set.
    throw new Error(
      `run ${run.runDir ?? run.config.name} (trained on ${run.config.data.root}) does not fit ` +
        `${dataRoot}: ${(err as Error).message}; choose a run of this data set`,
      { cause: err },
    );
  }
  const select = targetOf(run.config.task);
  const shown = await withTarget(split.validation, select, count);
  if (shown.length > 0) return shown;
  log(`no validation case holds ${run.config.task}: showing training cases`);
  return await withTarget(split.train, select, count);
}

/**
 * Per shown case: the reference target, the model's prediction before any
 * post-processing (its probability resized to the slice and thresholded at
 * 0.5, as in the cascade) with its slice Dice, and both contours (reference
 * yellow, prediction cyan). The tumor model's in its widest window, in green.
 */
export async function validationPredictionsFigure(
  run: CascadeModel,
  shown: ShownCase[],
): Promise<GridFigure> {
  const tumor = run.config.task === "tumor";
  const select = targetOf(run.config.task);
  const look: LabelOverlayOptions = tumor
    ? { window: run.config.data.windows.at(-1), colors: { 1: [0, 255, 0] } }
    : {};
  const images = [], captions = [];
  for (const { entry, volume, segmentation, z } of shown) {
    const mask = await predictMask(volume, run, [z], { liver: referenceLiver(segmentation) });
    const shape = { width: volume.shape[0], height: volume.shape[1] };
    const truth = { data: axialSlice(segmentation, z).map((v) => (select(v) ? 1 : 0)), ...shape };
    const prediction = { data: axialSlice({ ...volume, data: mask }, z), ...shape };
    images.push(
      labelOverlay({ volume, z }, truth, look),
      labelOverlay({ volume, z }, prediction, look),
      contourOverlay({ volume, z }, { prediction, truth }, { window: look.window }),
    );
    captions.push(
      `case ${entry.id}, z = ${z}: reference${tumor ? " tumor" : ""}`,
      `prediction (slice Dice ${maskDice(prediction.data, truth.data).toFixed(3)})`,
      "contours: reference yellow, prediction cyan",
    );
  }
  return imageGrid(images, { columns: 3, captions });
}
