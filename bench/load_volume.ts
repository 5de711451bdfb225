/**
 * Benchmark: load and preprocess one 512x512x200 int16 `.nii.gz` CT volume
 * (read, window [-100, 300], min-max normalise over the volume, 2x2 area
 * down-sampling of every axial slice to 256x256; `lib/data/preprocess.ts`),
 * here and with nibabel + numpy (`bench/load_volume.py`, run with
 * `/usr/bin/python3`) in the same run; the two results' checksums must agree.
 *
 * The input is synthetic (a noisy body ellipse with bone in air, stored in
 * RAS order like nibabel's and TotalSegmentator's outputs, so the reader pays
 * its reorientation to LPS), written once to `bench/out/`.
 *
 * `deno run -A bench/load_volume.ts [--repeats N]` prints milliseconds and
 * the ratio TypeScript / Python; `benchLoadVolume()` returns them.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { HUWindow } from "../lib/config/experiment.ts";
import { readNifti } from "../lib/data/nifti_read.ts";
import { sliceInput, windowStats } from "../lib/data/preprocess.ts";
import { writeNifti } from "../lib/data/nifti_write.ts";
import type { Vec3, Volume } from "../lib/data/volume.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const SHAPE: Vec3 = [512, 512, 200];
const WINDOW: HUWindow = [-100, 300];
const INPUT = join(HERE, "out", `ct_${SHAPE.join("x")}_int16_ras.nii.gz`);

/** Deterministic CT-like int16 volume (file written in RAS order). */
async function ensureInput(path: string): Promise<void> {
  try {
    await Deno.stat(path);
    return;
  } catch {
    // write it below
  }
  const [nx, ny, nz] = SHAPE;
  const data = new Int16Array(nx * ny * nz);
  let s = 12345;
  const noise = () => { // xorshift32, uniform in [-1, 1)
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  };
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const ex = (x - 256) / 210, ey = (y - 256) / 160, r = ex * ex + ey * ey;
        const bone = Math.hypot(x - 256, y - 330) < 25;
        const hu = r > 1 ? -1000 + 5 * noise() : bone ? 700 + 60 * noise() : 40 + 25 * noise();
        data[i] = Math.round(hu);
      }
    }
  }
  const spacing: Vec3 = [0.7, 0.7, 2];
  const ras = [0.7, 0, 0, -180, 0, 0.7, 0, -180, 0, 0, 2, -400, 0, 0, 0, 1];
  await writeNifti(path, { data, shape: SHAPE, spacing, affine: ras }, {
    orientation: {
      perm: [0, 1, 2],
      flip: [false, false, false],
      code: "",
      affine: ras,
      datatype: "int16",
    },
  });
}

/** The liver model's input: every axial slice windowed, min-max normalised over the volume, 256x256. */
export function preprocessLiver(vol: Volume, window: HUWindow, size = 256): Float32Array {
  const stats = [windowStats(vol, window)];
  const n = size * size;
  const out = new Float32Array(n * vol.shape[2]);
  for (let z = 0; z < vol.shape[2]; z++) out.set(sliceInput(vol, z, [window], stats, size), z * n);
  return out;
}

async function runPython(path: string, repeats: number) {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [join(HERE, "load_volume.py"), path, String(repeats)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`load_volume.py failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    read_ms: number;
    preprocess_ms: number;
    total_ms: number;
    checksum: number;
  };
}

/** Best-of-`repeats` timings (ms) here and in Python, and their ratio. */
export async function benchLoadVolume(repeats = 3): Promise<Record<string, number>> {
  await ensureInput(INPUT);
  let best = { read: Infinity, prep: Infinity, total: Infinity };
  let checksum = 0;
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    const vol = await readNifti(INPUT);
    const t1 = performance.now();
    const out = preprocessLiver(vol, WINDOW);
    const t2 = performance.now();
    if (t2 - t0 < best.total) best = { read: t1 - t0, prep: t2 - t1, total: t2 - t0 };
    checksum = out.reduce((a, b) => a + b, 0);
  }
  const py = await runPython(INPUT, repeats);
  const relDiff = Math.abs(checksum - py.checksum) / Math.max(1, Math.abs(py.checksum));
  if (relDiff > 1e-4) {
    throw new Error(`results differ: checksum ${checksum} here, ${py.checksum} in Python`);
  }
  return {
    ts_read_ms: best.read,
    ts_preprocess_ms: best.prep,
    ts_total_ms: best.total,
    py_read_ms: py.read_ms,
    py_preprocess_ms: py.preprocess_ms,
    py_total_ms: py.total_ms,
    ratio_ts_over_py: best.total / py.total_ms,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { repeats: { type: "string", default: "3" } },
  });
  const r = await benchLoadVolume(Number(values.repeats));
  const f = (v: number) => v.toFixed(0).padStart(6);
  console.log(`load + preprocess ${SHAPE.join("x")} int16 .nii.gz (best of ${values.repeats})`);
  console.log(`               read  preprocess  total (ms)`);
  console.log(`TypeScript   ${f(r.ts_read_ms)}  ${f(r.ts_preprocess_ms)}    ${f(r.ts_total_ms)}`);
  console.log(`Python       ${f(r.py_read_ms)}  ${f(r.py_preprocess_ms)}    ${f(r.py_total_ms)}`);
  console.log(`ratio TypeScript / Python: ${r.ratio_ts_over_py.toFixed(2)}`);
}
