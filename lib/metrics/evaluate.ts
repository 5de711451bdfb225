/**
 * LiTS evaluation of predicted label volumes against references (method.md
 * "LiTS metrics"): per case the liver object pair, lesion detection and
 * whole-mask lesion Dice, tumor burden; over the set the official aggregates.
 * Folders are streamed one case at a time.
 *
 * @example
 * ```ts
 * const ev = await evaluateFolders("results/predictions", "data/lits", {});
 * console.log(ev.liver.diceGlobal, ev.detection.recall);
 * await writeEvaluation("results/eval.json", ev);
 * ```
 * @module
 */
import { basename, join, resolve } from "node:path";
import { geometryMismatch } from "../data/geometry.ts";
import { readNifti } from "../data/nifti_read.ts";
import { asLabels, checkLabels, LITS_LABELS } from "../data/segmentation.ts";
import type { Vec3, Volume } from "../data/volume.ts";
import { writeTextAtomic } from "../util/atomic.ts";
import { detectLesions, type LesionDetection } from "./lesion_detection.ts";
import { EMPTY_PAIR, objectPairMetrics, type PairMetrics } from "./lits_metrics.ts";
import { type BinaryMask, type Box, cropLabels, voxelCount } from "../masks/mask.ts";
import { diceFromCounts } from "./overlap.ts";
import { tumorBurden, type TumorBurdenSummary, tumorBurdenSummary } from "./tumor_burden.ts";

/** Voxel counts of one mask pair: |A|, |B|, |A and B|. */
export interface PairCounts {
  pred: number;
  ref: number;
  both: number;
}

/** Detection counts of one case (the per-detection metrics are in `detected`). */
export type DetectionCounts = Omit<LesionDetection, "detectedMetrics">;

/** Everything one case contributes to the aggregates. */
export interface CaseMetrics {
  id: string;
  liver: PairMetrics;
  /** True when the prediction has no voxel labelled exactly 1 (empty-mask values apply). */
  noLiverPredicted: boolean;
  /** Counts for dice_global (pred and both are 0 when no liver was predicted). */
  liverCounts: PairCounts;
  lesionCounts: PairCounts;
  /** Whole-mask lesion Dice, 1 when both are empty. */
  lesionDice: number;
  detection: DetectionCounts;
  /** Object-pair metrics of every lesion group detected at IoU > 0.5. */
  detected: PairMetrics[];
  tumorBurden: { reference: number; prediction: number };
}

/** Counts pooled over all cases (as in one case's detection), and the rates. */
export interface DetectionSummary
  extends Pick<LesionDetection, "tp" | "fp" | "fn" | "tpAny" | "fpAny" | "fnAny"> {
  precision: number;
  recall: number;
  precisionGreaterZero: number;
  recallGreaterZero: number;
}

/** The set's metrics: Table V (liver, lesion) and Table VI (detection, tumor burden). */
export interface Evaluation {
  /** What was evaluated, e.g. "synthetic" or "LiTS". */
  dataset?: string;
  predictions?: string;
  references?: string;
  caseCount: number;
  cases: CaseMetrics[];
  /** Cases left out under `allowMissing`, with why. */
  skipped: { id: string; reason: string }[];
  liver: PairMetrics & { diceGlobal: number; dicePerCase: number; noLiverCases: number };
  lesion: PairMetrics & { diceGlobal: number; dicePerCase: number; detected: number };
  detection: DetectionSummary;
  tumorBurden: TumorBurdenSummary;
}

type Labels = { data: ArrayLike<number>; shape: Vec3 };

/** Metrics of one case from predicted and reference label volumes (0/1/2); spacing of the reference. */
export function evaluateCase(id: string, pred: Labels, ref: Volume): CaseMetrics {
  if (pred.shape.some((n, i) => n !== ref.shape[i])) {
    throw new RangeError(
      `case ${id}: prediction shape ${pred.shape.join("x")} != reference ${ref.shape.join("x")}`,
    );
  }
  const n = voxelCount(ref.shape);
  if (pred.data.length !== n || ref.data.length !== n) {
    throw new RangeError(`case ${id}: voxel count does not match the shape`);
  }
  const p = pred.data, r = ref.data;
  let pOne = 0, pLiv = 0, rLiv = 0, bLiv = 0, pLes = 0, rLes = 0, bLes = 0;
  // Bounding boxes (of either mask) found in the same pass, so no full-size mask is ever built.
  const liverBox = new BoxTracker(), lesionBox = new BoxTracker();
  const [nx, ny, nz] = ref.shape;
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const a = p[i], b = r[i];
        if (a < 1 && b < 1) continue;
        liverBox.add(x, y, z);
        if (a === 1) pOne++;
        if (a >= 1) pLiv++;
        if (b >= 1) rLiv++;
        if (a >= 1 && b >= 1) bLiv++;
        if (a !== 2 && b !== 2) continue;
        lesionBox.add(x, y, z);
        if (a === 2) pLes++;
        if (b === 2) rLes++;
        if (a === 2 && b === 2) bLes++;
      }
    }
  }
  const noLiverPredicted = pOne === 0;
  const crop = (labels: Labels, box: Box | null, min: number, max: number): BinaryMask =>
    box ? cropLabels(labels, box, min, max) : { data: new Uint8Array(0), shape: [0, 0, 0] };
  const lb = liverBox.box(), sb = lesionBox.box();
  const liver = noLiverPredicted || !lb
    ? { ...EMPTY_PAIR }
    : objectPairMetrics(crop(pred, lb, 1, Infinity), crop(ref, lb, 1, Infinity), ref.spacing);
  // Lesion masks cropped to their joint box: contours and distances are unchanged by it.
  const { detectedMetrics, ...detection } = detectLesions(
    crop(pred, sb, 2, 2),
    crop(ref, sb, 2, 2),
    ref.spacing,
  );
  return {
    id,
    liver,
    noLiverPredicted,
    liverCounts: noLiverPredicted
      ? { pred: 0, ref: rLiv, both: 0 }
      : { pred: pLiv, ref: rLiv, both: bLiv },
    lesionCounts: { pred: pLes, ref: rLes, both: bLes },
    lesionDice: diceFromCounts(bLes, pLes + rLes),
    detection,
    detected: detectedMetrics,
    tumorBurden: { reference: tumorBurden(rLes, rLiv), prediction: tumorBurden(pLes, pLiv) },
  };
}

/** Running bounding box of the voxels added. */
class BoxTracker {
  lo: Vec3 = [Infinity, Infinity, Infinity];
  hi: Vec3 = [-1, -1, -1];
  add(x: number, y: number, z: number): void {
    if (x < this.lo[0]) this.lo[0] = x;
    if (x > this.hi[0]) this.hi[0] = x;
    if (y < this.lo[1]) this.lo[1] = y;
    if (y > this.hi[1]) this.hi[1] = y;
    if (z < this.lo[2]) this.lo[2] = z;
    this.hi[2] = z;
  }
  box(): Box | null {
    if (this.hi[0] < 0) return null;
    return { lo: [...this.lo], hi: [this.hi[0] + 1, this.hi[1] + 1, this.hi[2] + 1] };
  }
}

const PAIR_KEYS: (keyof PairMetrics)[] = ["dice", "jaccard", "voe", "rvd", "assd", "rmsd", "msd"];

function meanPair(list: PairMetrics[]): PairMetrics {
  if (list.length === 0) return { ...EMPTY_PAIR };
  const out = { ...EMPTY_PAIR };
  for (const k of PAIR_KEYS) out[k] = list.reduce((s, m) => s + m[k], 0) / list.length;
  return out;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** The set's aggregates from its cases (method.md "Whole set"). */
export function aggregate(
  cases: CaseMetrics[],
  extra: Pick<Evaluation, "dataset" | "predictions" | "references" | "skipped"> = { skipped: [] },
): Evaluation {
  const sum = (f: (c: CaseMetrics) => number) => cases.reduce((s, c) => s + f(c), 0);
  const globalDice = (f: (c: CaseMetrics) => PairCounts) =>
    diceFromCounts(sum((c) => f(c).both), sum((c) => f(c).pred) + sum((c) => f(c).ref));
  const d = (k: keyof DetectionCounts) => sum((c) => c.detection[k] as number);
  const tp = d("tp"), fp = d("fp"), fn = d("fn");
  const tpAny = d("tpAny"), fpAny = d("fpAny"), fnAny = d("fnAny");
  const detected = cases.flatMap((c) => c.detected);
  return {
    ...extra,
    caseCount: cases.length,
    cases,
    liver: {
      ...meanPair(cases.map((c) => c.liver)),
      diceGlobal: globalDice((c) => c.liverCounts),
      dicePerCase: cases.length ? sum((c) => c.liver.dice) / cases.length : NaN,
      noLiverCases: cases.filter((c) => c.noLiverPredicted).length,
    },
    lesion: {
      ...meanPair(detected),
      diceGlobal: globalDice((c) => c.lesionCounts),
      dicePerCase: cases.length ? sum((c) => c.lesionDice) / cases.length : NaN,
      detected: detected.length,
    },
    detection: {
      tp,
      fp,
      fn,
      tpAny,
      fpAny,
      fnAny,
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      precisionGreaterZero: ratio(tpAny, tpAny + fpAny),
      recallGreaterZero: ratio(tpAny, tpAny + fnAny),
    },
    tumorBurden: tumorBurdenSummary(cases.map((c) => c.tumorBurden)),
  };
}

const PRED_RE = /^(?:prediction|test-segmentation|segmentation)-(\d+)\.nii(?:\.gz)?$/;
const REF_RE = /^segmentation-(\d+)\.nii(?:\.gz)?$/;

/** Case id -> file in a LiTS-layout folder; two files for one id is an error. */
export async function listCases(dir: string, re: RegExp): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = e.isFile || e.isSymlink ? re.exec(e.name) : null;
      if (!m) continue;
      const id = String(Number(m[1]));
      const prev = out.get(id);
      if (prev) {
        throw new Error(`${dir}: case ${id} has two files: ${basename(prev)} and ${e.name}`);
      }
      out.set(id, join(dir, e.name));
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`${dir}: no such folder`);
    throw err;
  }
  return out;
}

export interface EvaluateOptions {
  /** Evaluate the cases present in both folders instead of failing on the others. */
  allowMissing?: boolean;
  /** Only these case ids. */
  ids?: string[];
  /** Name of the data set, carried into the tables (default: the references folder's name). */
  dataset?: string;
  /** Called after each case. */
  onCase?: (done: number, total: number, c: CaseMetrics) => void;
  /** Label reader (default readNifti). */
  read?: (path: string) => Promise<Volume>;
}

/**
 * Evaluate `prediction-N.nii[.gz]` (or `segmentation-N`, `test-segmentation-N`)
 * in `predDir` against `segmentation-N.nii[.gz]` in `refDir`. Both must hold
 * LiTS labels (integers 0, 1, 2), else an error names the file and the labels.
 * Missing cases and grids that differ (shape, or affine beyond the tolerance of
 * `lib/data/geometry.ts`) are an error naming the case and both files, unless
 * `allowMissing` (then they are listed in `skipped`).
 */
export async function evaluateFolders(
  predDir: string,
  refDir: string,
  opts: EvaluateOptions = {},
): Promise<Evaluation> {
  const preds = await listCases(predDir, PRED_RE);
  const refs = await listCases(refDir, REF_RE);
  const wanted = opts.ids ?? [...new Set([...preds.keys(), ...refs.keys()])];
  const skipped: { id: string; reason: string }[] = [];
  const ids: string[] = [];
  for (const id of wanted.sort((a, b) => Number(a) - Number(b))) {
    if (!preds.has(id)) skipped.push({ id, reason: `no prediction in ${predDir}` });
    else if (!refs.has(id)) skipped.push({ id, reason: `no reference in ${refDir}` });
    else ids.push(id);
  }
  if (skipped.length && !opts.allowMissing) {
    throw new Error(
      `cases missing (use allowMissing / --allow-missing to evaluate the rest):\n` +
        skipped.map((s) => `  case ${s.id}: ${s.reason}`).join("\n"),
    );
  }
  if (ids.length === 0) throw new Error(`no case to evaluate in ${predDir} vs ${refDir}`);
  const read = opts.read ?? readNifti;
  const cases: CaseMetrics[] = [];
  for (const id of ids) {
    const refPath = refs.get(id)!, predPath = preds.get(id)!;
    // Labels other than 0/1/2 (another label map, probabilities, a float label 1.5) would be
    // scored as liver or background without a word, so both files are checked first.
    const ref = checkedLabels(await read(refPath), refPath);
    const pred = checkedLabels(await read(predPath), predPath);
    const mismatch = geometryMismatch(pred, ref);
    if (mismatch) {
      const reason = `${predPath} is not on the grid of ${refPath}: ${mismatch}`;
      if (!opts.allowMissing) throw new Error(`case ${id}: ${reason}`);
      skipped.push({ id, reason });
      continue;
    }
    const c = evaluateCase(id, pred, ref);
    cases.push(c);
    opts.onCase?.(cases.length, ids.length, c);
  }
  return aggregate(cases, {
    dataset: opts.dataset ?? basename(resolve(refDir)),
    predictions: predDir,
    references: refDir,
    skipped,
  });
}

/** `vol` as LiTS labels, or a NiftiError naming `path`: integers 0, 1, 2 only. */
function checkedLabels(vol: Volume, path: string): Volume<Uint8Array> {
  const seg = { ...vol, data: asLabels(vol.data, path) };
  checkLabels(seg, LITS_LABELS, path);
  return seg;
}

/** JSON text with Infinity/NaN kept as the strings "Infinity", "-Infinity", "NaN". */
export function evaluationToJson(ev: Evaluation): string {
  return JSON.stringify(
    ev,
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
    2,
  ) + "\n";
}

/** Parse what {@link evaluationToJson} wrote. */
export function parseEvaluationJson(text: string, name = "<json>"): Evaluation {
  let ev: Evaluation;
  try {
    ev = JSON.parse(
      text,
      (_k, v) => (v === "Infinity" || v === "-Infinity" || v === "NaN" ? Number(v) : v),
    );
  } catch (err) {
    throw new Error(`${name}: not JSON: ${(err as Error).message}`);
  }
  if (!ev || typeof ev !== "object" || !ev.liver || !ev.lesion || !ev.detection) {
    throw new Error(`${name}: not an evaluation (no liver/lesion/detection)`);
  }
  return ev;
}

/** Write an evaluation as JSON, atomically. */
export function writeEvaluation(path: string, ev: Evaluation): Promise<void> {
  return writeTextAtomic(path, evaluationToJson(ev));
}
