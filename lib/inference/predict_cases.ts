/**
 * The cascade over a LiTS-layout folder: pick the cases (the liver run's test
 * split, all, or ids), predict each volume, write `prediction-N.nii.gz` in the
 * input's own geometry and voxel order. One case in memory at a time.
 *
 * `predictions.json` beside them records the key each file was predicted under: a digest
 * of both models (config and weights), the options, the volume file's identity and the
 * source of the modules that shape a prediction (inference, data, masks, models). With
 * `reuse`, a case whose file carries the key it would get now is kept, not predicted again:
 * notebook 05 runs the cascade on the predictions `reproduce` has just made (about 40 s on 2
 * cores), and shows those very masks, whatever thread count its kernel runs on. A killed run
 * leaves no entry for a file it was replacing.
 *
 * @example
 * ```ts
 * const written = await predictCases({ data: "data/synthetic", cases: "test",
 *   out: "results/predictions", liver, tumor });
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type CaseEntry, indexDataset, splitCases } from "../data/dataset.ts";
import { readNifti } from "../data/nifti_read.ts";
import { writeNifti } from "../data/nifti_write.ts";
import { type CascadeModel, type PredictOptions, predictVolume } from "./cascade.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { digestOf } from "../util/digest.ts";
import { fileIdentity, sourceDigest } from "../util/file_identity.ts";

export interface PredictCasesOptions extends PredictOptions {
  /** LiTS-layout folder with `volume-N.nii[.gz]`. */
  data: string;
  /** "test" (the liver run's split), "all", or case ids. */
  cases: "test" | "all" | number[];
  /** Output folder of `prediction-N.nii.gz`. */
  out: string;
  liver: CascadeModel;
  tumor: CascadeModel;
  /** Keep a case whose prediction is up to date (see the module doc); default false. */
  reuse?: boolean;
  /** Called before each case. */
  onCase?: (index: number, total: number, c: CaseEntry) => void;
  /** Called for each case kept with `reuse`. */
  onKept?: (c: CaseEntry, path: string) => void;
}

/** The file in the output folder that records each prediction's key. */
export const PREDICTIONS_MANIFEST = "predictions.json";
const FORMAT = "predictions/1";

interface Manifest {
  format: string;
  cases: Record<string, { key: string; bytes: number }>;
}

/** The manifest in `path`; a missing or damaged one is empty (every case is predicted again). */
async function readManifest(path: string): Promise<Manifest> {
  const empty = { format: FORMAT, cases: {} };
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return empty;
    throw err;
  }
  try {
    const m = JSON.parse(text) as Manifest;
    if (m?.format === FORMAT && typeof m.cases === "object" && m.cases !== null) return m;
  } catch {
    // not JSON: damaged
  }
  return empty;
}

/** A model's identity: its config and every weight's shape and values. */
async function modelDigest(m: CascadeModel): Promise<string> {
  const h = createHash("sha256").update(await digestOf(m.config));
  for (const w of m.model.getWeights()) {
    const values = await w.data();
    h.update(w.shape.join("x")).update(
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    );
  }
  return h.digest("hex");
}

const SOURCES = ["./", "../data/", "../masks/", "../models/"].map((d) =>
  new URL(d, import.meta.url)
);

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
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
  await Deno.mkdir(opts.out, { recursive: true });
  const manifestPath = join(opts.out, PREDICTIONS_MANIFEST);
  const manifest = await readManifest(manifestPath);
  const models = {
    liver: await modelDigest(opts.liver),
    tumor: await modelDigest(opts.tumor),
    options: { batchSize: opts.batchSize, threshold: opts.threshold },
    code: sourceDigest(...SOURCES),
  };
  const written: string[] = [];
  for (const [i, c] of chosen.entries()) {
    const path = join(opts.out, `prediction-${c.id}.nii.gz`);
    const key = await digestOf({ format: FORMAT, ...models, volume: fileIdentity(c.volumePath) });
    const had = manifest.cases[c.id];
    if (opts.reuse && had?.key === key && had.bytes === await fileSize(path)) {
      opts.onKept?.(c, path);
      written.push(path);
      continue;
    }
    opts.onCase?.(i, chosen.length, c);
    if (had) {
      delete manifest.cases[c.id];
      await writeJsonAtomic(manifestPath, manifest);
    }
    const vol = await readNifti(c.volumePath);
    const labels = await predictVolume(vol, opts.liver, opts.tumor, opts);
    await writeNifti(path, labels, { datatype: "uint8" });
    manifest.cases[c.id] = { key, bytes: (await Deno.stat(path)).size };
    await writeJsonAtomic(manifestPath, manifest);
    written.push(path);
  }
  return written;
}
