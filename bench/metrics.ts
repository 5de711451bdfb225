/**
 * Benchmark: the LiTS metrics of one 512x512x200 case (a liver-like ellipsoid
 * with lesions; prediction = a perturbed reference) here vs the official-style
 * numpy/scipy computation (`bench/metrics_scipy.py`) in the same run, with a
 * check that both give the same values. Ours: median of 3 runs after one
 * warm-up; scipy: one run (its full-volume passes take seconds each).
 *
 * Run alone: `deno run -A bench/metrics.ts`.
 * @module
 */
import { join } from "node:path";
import type { Vec3, Volume } from "../lib/data/volume.ts";
import { evaluateCase } from "../lib/metrics/evaluate.ts";
import { paintBall } from "../lib/masks/shapes.ts";

const SHAPE: Vec3 = [512, 512, 200];
const SPACING: Vec3 = [0.7, 0.7, 2];

/** Reference and prediction label volumes of the benchmark case. */
export function benchPair(shape: Vec3 = SHAPE): { pred: Volume; ref: Volume } {
  const make = (perturbed: boolean): Volume => {
    const m = { data: new Uint8Array(shape[0] * shape[1] * shape[2]), shape };
    const [nx, ny, nz] = shape;
    const c: Vec3 = [nx * 0.45 + (perturbed ? 3 : 0), ny * 0.5, nz * 0.5];
    paintBall(
      m,
      c,
      [nx * 0.22 * 0.7, ny * 0.18 * 0.7, nz * 0.3 * 2 + (perturbed ? 4 : 0)],
      SPACING,
      1,
    );
    // Lesions: in the prediction one is shifted, one missed, one shrunk, one extra.
    const lesions: [Vec3, number][] = [
      [[c[0] - 30, c[1], c[2]], 12],
      [[c[0] + 25, c[1] + 20, c[2] + 10], 8],
      [[c[0], c[1] - 30, c[2] - 15], 15],
      [[c[0] + 10, c[1] + 35, c[2] - 5], 5],
    ];
    lesions.forEach(([at, r], k) => {
      if (!perturbed) return void paintBall(m, at, r, SPACING, 2);
      if (k === 0) paintBall(m, [at[0] + 3, at[1] + 2, at[2]], r, SPACING, 2);
      if (k === 2) paintBall(m, at, r * 0.8, SPACING, 2);
      if (k === 3) paintBall(m, at, r, SPACING, 2);
    });
    if (perturbed) paintBall(m, [c[0] - 10, c[1] + 40, c[2] + 20], 6, SPACING, 2);
    const [sx, sy, sz] = SPACING;
    return {
      ...m,
      spacing: SPACING,
      affine: [-sx, 0, 0, 0, 0, -sy, 0, 0, 0, 0, sz, 0, 0, 0, 0, 1],
    };
  };
  return { pred: make(true), ref: make(false) };
}

/** Seconds here, seconds with scipy, their ratio, and the largest metric disagreement. */
export async function benchMetrics(): Promise<Record<string, number>> {
  const { pred, ref } = benchPair();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "pred.bin"), pred.data as Uint8Array);
    await Deno.writeFile(join(dir, "ref.bin"), ref.data as Uint8Array);
    // Median of 3 runs: the CPU is shared, single timings jitter.
    const times: number[] = [];
    let ours = evaluateCase("bench", pred, ref);
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      ours = evaluateCase("bench", pred, ref);
      times.push((performance.now() - t0) / 1000);
    }
    const seconds = times.sort((a, b) => a - b)[1];
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        new URL("./metrics_scipy.py", import.meta.url).pathname,
        join(dir, "pred.bin"),
        join(dir, "ref.bin"),
        ...SHAPE.map(String),
        ...SPACING.map(String),
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("bench/metrics_scipy.py failed");
    const py = JSON.parse(new TextDecoder().decode(out.stdout));
    let maxDiff = 0;
    for (const k of ["dice", "rvd", "assd", "rmsd", "msd"] as const) {
      maxDiff = Math.max(maxDiff, Math.abs(ours.liver[k] - py.liver[k]));
      ours.detected.forEach((m, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(m[k] - py.lesion.detected[i][k]));
      });
    }
    const d = ours.detection;
    if (d.tp !== py.lesion.tp || d.fp !== py.lesion.fp || d.fn !== py.lesion.fn) {
      throw new Error(`detection counts differ: ours ${[d.tp, d.fp, d.fn]} scipy ${[
        py.lesion.tp,
        py.lesion.fp,
        py.lesion.fn,
      ]}`);
    }
    return {
      metrics_s: seconds,
      metrics_scipy_s: py.seconds,
      metrics_speedup: py.seconds / seconds,
      metrics_max_abs_diff: maxDiff,
      liver_assd_mm: ours.liver.assd,
      lesion_tp: d.tp,
      lesion_fp: d.fp,
      lesion_fn: d.fn,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const r = await benchMetrics();
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(22)} ${v}`);
}
