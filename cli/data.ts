/**
 * `deno task data [--out DIR] [--cases N] [--size PX] [--slices N] [--seed S]`:
 * write a synthetic LiTS-layout data set (default 48 cases of 512x512 into
 * `data/synthetic`) and print what it made.
 * @module
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_SYNTHETIC_CASES,
  DEFAULT_SYNTHETIC_SEED,
  writeSyntheticSet,
} from "../lib/data/synthetic.ts";
import { createProgress } from "../lib/util/progress.ts";

const USAGE =
  "usage: deno task data [--out DIR] [--cases N] [--size PX] [--slices N] [--seed S]\n" +
  "  --out     output folder (default data/synthetic)\n" +
  `  --cases   number of cases (default ${DEFAULT_SYNTHETIC_CASES})\n` +
  "  --size    in-plane pixels (default 512; spacing scales so anatomy keeps its size)\n" +
  "  --slices  slices per case (default drawn per case, 40..90)\n" +
  `  --seed    seed (default ${DEFAULT_SYNTHETIC_SEED})`;

function positiveInt(
  name: string,
  text: string | undefined,
  fallback?: number,
): number | undefined {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`--${name} must be a positive integer, got "${text}"`);
  }
  return v;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "data/synthetic" },
      cases: { type: "string" },
      size: { type: "string" },
      slices: { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const cases = positiveInt("cases", values.cases, DEFAULT_SYNTHETIC_CASES)!;
  const size = positiveInt("size", values.size, 512)!;
  const slices = positiveInt("slices", values.slices);
  const seed = values.seed === undefined ? DEFAULT_SYNTHETIC_SEED : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);

  const bar = createProgress({ total: cases, label: "synthetic", lineEvery: 2000 });
  const summary = await writeSyntheticSet({
    out: values.out!,
    cases,
    size,
    seed,
    slices,
    onProgress: (done, _total, c) => bar.update(done, { case: c.id, tumors: c.tumors }),
  });
  bar.done();
  console.log(
    "id  shape            spacing (mm)          liver slices  liver vox   tumor vox  tumors",
  );
  for (const c of summary.cases) {
    const shape = c.shape.join("x").padEnd(16);
    const sp = c.spacing.map((v) => v.toFixed(3)).join(" x ").padEnd(21);
    const ls = (c.liverSlices ? c.liverSlices.join("-") : "none").padEnd(13);
    console.log(
      `${String(c.id).padEnd(3)} ${shape} ${sp} ${ls} ${String(c.liverVoxels).padStart(9)} ` +
        `${String(c.tumorVoxels).padStart(11)} ${String(c.tumors).padStart(7)}`,
    );
  }
  console.log(
    `wrote ${summary.cases.length} cases to ${summary.out} in ${summary.seconds.toFixed(1)} s`,
  );
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error(`deno task data: ${err instanceof Error ? err.message : err}\n${USAGE}`);
    Deno.exit(1);
  }
}
