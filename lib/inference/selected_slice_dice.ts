/**
 * A model's Dice over every slice training selects (`selectBy`, `sliceMargin`) of a set of
 * cases, whole slices at the volume's resolution as the cascade predicts them: the number the
 * training loop estimates each epoch from a fixed sample of random slices (the paper's
 * definition of an epoch), measured on all of them. A model with liver-relative intensities
 * sees each case moved by its reference liver, as in validation.
 *
 * @example
 * ```ts
 * const run = await loadRun("results/runs/tumor/cpu-1b1582583e");
 * const { dice, cases } = await selectedSliceDice(run, split.validation);
 * ```
 * @module
 */
import type { CaseEntry } from "../data/dataset.ts";
import { referenceLiver } from "../data/liver_reference.ts";
import { loadCaseSync } from "../data/case_loader.ts";
import { isTargetLabel } from "../data/segmentation.ts";
import { selectSlices } from "../data/slice_selection.ts";
import { diceFromCounts } from "../metrics/overlap.ts";
import type { CascadeModel } from "./cascade.ts";
import { predictMask } from "./slice_predict.ts";

/** Voxel counts of one case over its selected slices. */
export interface CaseSliceDice {
  id: number;
  slices: number;
  /** Reference voxels of the target class. */
  reference: number;
  predicted: number;
  overlap: number;
  /** 2 overlap / (reference + predicted); 1 when both are empty. */
  dice: number;
}

export interface SelectedSliceDice {
  /** Dice over the voxels of every case together. */
  dice: number;
  cases: CaseSliceDice[];
}

/** See the module doc; cases without a selected slice count nothing. */
export async function selectedSliceDice(
  run: CascadeModel,
  cases: CaseEntry[],
  opts: {
    /** Slices above and below each selected one (default: the training's `sliceMargin`). */
    margin?: number;
    onCase?: (done: number, total: number, c: CaseSliceDice) => void;
  } = {},
): Promise<SelectedSliceDice> {
  const { data, task } = run.config;
  const margin = opts.margin ?? data.sliceMargin;
  const out: CaseSliceDice[] = [];
  for (const entry of cases) {
    const { volume, segmentation } = loadCaseSync(entry);
    const zs = selectSlices(segmentation, data.selectBy, margin);
    const c: CaseSliceDice = {
      id: entry.id,
      slices: zs.length,
      reference: 0,
      predicted: 0,
      overlap: 0,
      dice: 1,
    };
    if (zs.length > 0) {
      const mask = await predictMask(volume, run, zs, { liver: referenceLiver(segmentation) });
      const n = volume.shape[0] * volume.shape[1];
      for (const z of zs) {
        for (let i = z * n; i < (z + 1) * n; i++) {
          const ref = isTargetLabel(segmentation.data[i], task), pred = mask[i] === 1;
          if (ref) c.reference++;
          if (pred) c.predicted++;
          if (ref && pred) c.overlap++;
        }
      }
      c.dice = diceFromCounts(c.overlap, c.reference + c.predicted);
    }
    out.push(c);
    opts.onCase?.(out.length, cases.length, c);
  }
  const sum = (k: "reference" | "predicted" | "overlap") => out.reduce((s, c) => s + c[k], 0);
  return {
    dice: diceFromCounts(sum("overlap"), sum("reference") + sum("predicted")),
    cases: out,
  };
}
