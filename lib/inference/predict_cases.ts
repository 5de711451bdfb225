/**
 * The cascade over a LiTS-layout folder: pick the cases (the liver run's test
 * split, all, or ids), predict each volume, write `prediction-N.nii.gz` in the
 * input's own geometry and voxel order. One case in memory at a time.
 *
 * @example
 * ```ts
 * const written = await predictCases({ data: "data/synthetic", cases: "test",
 *   out: "results/predictions", liver, tumor });
 * ```
 * @module
 */
import { join } from "node:path";
import { type CaseEntry, indexDataset, splitCases } from "../data/dataset.ts";
import { readNifti } from "../data/nifti_read.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { type CascadeModel, type PredictOptions, predictVolume } from "./cascade.ts";

export interface PredictCasesOptions extends PredictOptions {
  /** LiTS-layout folder with `volume-N.nii[.gz]`. */
  data: string;
  /** "test" (the liver run's split), "all", or case ids. */
  cases: "test" | "all" | number[];
  /** Output folder of `prediction-N.nii.gz`. */
  out: string;
  liver: CascadeModel;
  tumor: CascadeModel;
  /** Called before each case. */
  onCase?: (index: number, total: number, c: CaseEntry) => void;
}

/** Which cases of `entries` a selection means; unknown ids are an error naming them. */
export function selectCases(
  entries: CaseEntry[],
  cases: "test" | "all" | number[],
  liver: CascadeModel,
  data: string,
): CaseEntry[] {
  if (cases === "all") return entries;
  if (cases === "test") return splitCases(entries, liver.config.data.split).test;
  const byId = new Map(entries.map((e) => [e.id, e]));
  const unknown = cases.filter((id) => !byId.has(id));
  if (unknown.length) throw new Error(`${data}: no volume for case(s) ${unknown.join(", ")}`);
  return cases.map((id) => byId.get(id)!);
}

/** Predict the selected cases; returns the written paths. */
export async function predictCases(opts: PredictCasesOptions): Promise<string[]> {
  const entries = await indexDataset(opts.data);
  const chosen = selectCases(entries, opts.cases, opts.liver, opts.data);
  if (chosen.length === 0) throw new Error(`${opts.data}: no case selected (${opts.cases})`);
  const written: string[] = [];
  for (const [i, c] of chosen.entries()) {
    opts.onCase?.(i, chosen.length, c);
    const vol = await readNifti(c.volumePath);
    const labels = await predictVolume(vol, opts.liver, opts.tumor, opts);
    const path = join(opts.out, `prediction-${c.id}.nii.gz`);
    await writeNifti(path, labels, { datatype: "uint8" });
    written.push(path);
  }
  return written;
}
