/**
 * Synthetic contrast-enhanced abdominal CT in the LiTS layout, deterministic
 * from a seed: body wall, spine, ribs, lungs, heart, spleen, kidneys, stomach,
 * bowel, vessels, gall bladder, and a textured liver with 0..6 lumpy tumors.
 * It lets every stage of the workbench run (and be tested) without the real
 * LiTS data. Anatomy is drawn in mm (`synthetic/anatomy.ts`), then rendered
 * at the requested resolution (`synthetic/render.ts`).
 *
 * @example
 * ```ts
 * const { volume, segmentation } = generateCase(3, { seed: 1, size: 128 });
 * const summary = await writeSyntheticSet({ out: "data/synthetic", cases: 12, size: 512, seed: 1 });
 * ```
 * @module
 */
import { join } from "node:path";
import type { Vec3, Volume } from "./volume.ts";
import { createRng, mixSeed } from "../util/prng.ts";
import { drawAnatomy } from "./synthetic/anatomy.ts";
import { renderAnatomy } from "./synthetic/render.ts";
import { writeNifti } from "./nifti_write.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import { inPool } from "../util/pool.ts";

/** Options of one synthetic case. */
/**
 * Cases in the default synthetic set: the cpu profile splits them 36/6/6. Fewer
 * cases overfit: with 8 training cases the liver model stopped near validation
 * Dice 0.87, and with 16 the tumor model's validation Dice stayed far below its
 * training Dice.
 */
export const DEFAULT_SYNTHETIC_CASES = 48;

/** Seed of the default synthetic set (`deno task data` and `deno task reproduce` agree). */
export const DEFAULT_SYNTHETIC_SEED = 0;

export interface SyntheticCaseOptions {
  /** Seed of the whole set; the case id is mixed in. Default 1. */
  seed?: number;
  /** In-plane pixels (square). Default 512; spacing scales so the body keeps its size in mm. */
  size?: number;
  /** Number of slices; default drawn per case in 40..90 (slice spacing 1.5-5 mm). */
  slices?: number;
  /** Number of tumors; default drawn per case in 0..6. */
  tumorCount?: number;
}

/** One generated case: HU volume and LiTS labels (0 background, 1 liver, 2 tumor). */
export interface SyntheticCase {
  volume: Volume<Int16Array>;
  segmentation: Volume<Uint8Array>;
  /** Number of tumors drawn (some may be tiny or clipped by the liver surface). */
  tumors: number;
}

/** The canonical-LPS voxel -> RAS affine of a grid centred in-plane on the origin. */
function lpsAffine(shape: Vec3, spacing: Vec3, z0: number): number[] {
  const [sx, sy, sz] = spacing;
  // deno-fmt-ignore
  return [
    -sx, 0, 0, ((shape[0] - 1) / 2) * sx,
    0, -sy, 0, ((shape[1] - 1) / 2) * sy,
    0, 0, sz, z0,
    0, 0, 0, 1,
  ];
}

/** Generate one case in memory, deterministically from (seed, id). */
export function generateCase(id: number, opts: SyntheticCaseOptions = {}): SyntheticCase {
  const rng = createRng(mixSeed(opts.seed ?? 1, id));
  const an = drawAnatomy(rng, { slices: opts.slices, tumorCount: opts.tumorCount });
  const size = opts.size ?? 512;
  const { hu, seg, spacing } = renderAnatomy(an, size, rng);
  const shape: Vec3 = [size, size, an.nz];
  const affine = lpsAffine(shape, spacing, an.zBottom);
  return {
    volume: { data: hu, shape, spacing, affine },
    segmentation: { data: seg, shape: [...shape], spacing: [...spacing], affine: [...affine] },
    tumors: an.tumors.length,
  };
}

/** What {@link writeSyntheticSet} made, one entry per case. */
export interface SyntheticCaseSummary {
  id: number;
  volumePath: string;
  segmentationPath: string;
  shape: Vec3;
  spacing: Vec3;
  liverVoxels: number;
  tumorVoxels: number;
  tumors: number;
  /** Slices containing liver: [first, last] or null. */
  liverSlices: [number, number] | null;
}

export interface SyntheticSetSummary {
  out: string;
  seed: number;
  size: number;
  cases: SyntheticCaseSummary[];
  seconds: number;
}

export interface SyntheticSetOptions {
  out: string;
  cases: number;
  size?: number;
  seed?: number;
  slices?: number;
  /**
   * Cases generated at once, each in its own worker (default: the logical CPUs). Every case
   * depends on (seed, id) only, so the files do not depend on this.
   */
  workers?: number;
  /** Called after each case is written, in the order they finish. */
  onProgress?: (done: number, total: number, c: SyntheticCaseSummary) => void;
}

/** What one case of a set needs: everything but the other cases. */
export interface SyntheticCaseJob {
  id: number;
  out: string;
  seed: number;
  size: number;
  slices?: number;
}

/** Every 5th case (ids 2, 7, 12, ...) has no tumor, so a set always holds tumor-free volumes. */
function tumorFree(id: number): boolean {
  return id % 5 === 2;
}

function countLabels(
  seg: Volume<Uint8Array>,
): { liver: number; tumor: number; first: number; last: number } {
  const n = seg.shape[0] * seg.shape[1];
  let liver = 0, tumor = 0, first = -1, last = -1;
  for (let z = 0; z < seg.shape[2]; z++) {
    let any = false;
    for (let k = z * n; k < (z + 1) * n; k++) {
      const v = seg.data[k];
      if (v >= 1) {
        liver++;
        any = true;
        if (v === 2) tumor++;
      }
    }
    if (any) {
      if (first < 0) first = z;
      last = z;
    }
  }
  return { liver, tumor, first, last };
}

/** Generate case `job.id` of a set and write its two files (`synthetic_worker.ts` runs this). */
export async function writeSyntheticCase(job: SyntheticCaseJob): Promise<SyntheticCaseSummary> {
  const { id } = job;
  const c = generateCase(id, {
    seed: job.seed,
    size: job.size,
    slices: job.slices,
    tumorCount: tumorFree(id) ? 0 : undefined,
  });
  // The volume uncompressed, as LiTS ships its volumes: gzip took 1.2-1.8 s a 512 px volume
  // (half of writing a case) and every training run inflated each again on reading. The
  // labels, mostly zeros, stay gzipped (50 KB against 19 MB).
  const volumePath = join(job.out, `volume-${id}.nii`);
  const segmentationPath = join(job.out, `segmentation-${id}.nii.gz`);
  // A set written by an earlier version holds volume-N.nii.gz: two files for one case.
  await Deno.remove(`${volumePath}.gz`).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  await writeNifti(volumePath, c.volume);
  await writeNifti(segmentationPath, c.segmentation);
  const counts = countLabels(c.segmentation);
  return {
    id,
    volumePath,
    segmentationPath,
    shape: c.volume.shape,
    spacing: c.volume.spacing.map((v) => Math.round(v * 1e4) / 1e4) as Vec3,
    liverVoxels: counts.liver,
    tumorVoxels: counts.tumor,
    tumors: c.tumors,
    liverSlices: counts.first < 0 ? null : [counts.first, counts.last],
  };
}

/**
 * Write `cases` synthetic cases (ids 0..cases-1) as `volume-N.nii` (int16 HU)
 * and `segmentation-N.nii.gz` (uint8 labels) into `out`, plus `synthetic.json`
 * (this summary). Liver voxels count labels >= 1 (tumor included), as LiTS does.
 */
export async function writeSyntheticSet(opts: SyntheticSetOptions): Promise<SyntheticSetSummary> {
  const t0 = performance.now();
  const seed = opts.seed ?? 1, size = opts.size ?? 512;
  if (!Number.isInteger(opts.cases) || opts.cases < 1) {
    throw new RangeError(`cases must be a positive integer, got ${opts.cases}`);
  }
  const jobs = Array.from(
    { length: opts.cases },
    (_, id): SyntheticCaseJob => ({ id, out: opts.out, seed, size, slices: opts.slices }),
  );
  const workers = Math.min(opts.cases, opts.workers ?? navigator.hardwareConcurrency);
  const summaries: SyntheticCaseSummary[] = [];
  const record = (s: SyntheticCaseSummary) => {
    summaries.push(s);
    opts.onProgress?.(summaries.length, opts.cases, s);
  };
  if (workers <= 1) {
    for (const job of jobs) record(await writeSyntheticCase(job));
  } else {
    await inWorkers(jobs, workers, record);
  }
  summaries.sort((a, b) => a.id - b.id);
  const summary: SyntheticSetSummary = {
    out: opts.out,
    seed,
    size,
    cases: summaries,
    seconds: (performance.now() - t0) / 1000,
  };
  await writeJsonAtomic(join(opts.out, SYNTHETIC_SUMMARY), summary);
  return summary;
}

const WORKER = new URL("./synthetic_worker.ts", import.meta.url);

/** Run `jobs` on `count` workers, one job at a time each (see {@linkcode inPool}). */
async function inWorkers(
  jobs: SyntheticCaseJob[],
  count: number,
  done: (s: SyntheticCaseSummary) => void,
): Promise<void> {
  const workers = Array.from({ length: count }, () => new Worker(WORKER, { type: "module" }));
  try {
    await inPool(jobs, count, async (job, _i, lane) => done(await postJob(workers[lane], job)));
  } finally {
    for (const w of workers) w.terminate();
  }
}

function postJob(worker: Worker, job: SyntheticCaseJob): Promise<SyntheticCaseSummary> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<{ summary?: SyntheticCaseSummary; error?: string }>) => {
      if (e.data.summary) resolve(e.data.summary);
      else reject(new Error(`synthetic case ${job.id} (${job.out}): ${e.data.error}`));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`synthetic case ${job.id} (${job.out}): ${e.message}`));
    };
    worker.postMessage(job);
  });
}

/** The summary file a synthetic set ends with: its presence marks a finished synthetic set. */
export const SYNTHETIC_SUMMARY = "synthetic.json";

/** Whether `dir` holds a finished synthetic set (its {@link SYNTHETIC_SUMMARY} is written last). */
export async function isSyntheticSet(dir: string): Promise<boolean> {
  return await Deno.stat(join(dir, SYNTHETIC_SUMMARY)).then((s) => s.isFile, () => false);
}
