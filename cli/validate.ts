/**
 * `deno task validate --run RUN_DIR [--set validation|test|train] [--data DIR]
 *  [--margin N] [--checkpoint best|last] [--json FILE] [--backend NAME]`
 *
 * A trained model's Dice over every slice its training selects (tumor slices +- the margin
 * for the tumor model, liver slices for the liver model) of a split's cases, at the volume's
 * resolution: the validation Dice the training loop estimates from a sample of slices,
 * measured on all of them (`lib/eval/selected_slice_dice.ts`). `--margin 0` keeps only the
 * slices that hold the target.
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendName } from "../lib/config/experiment.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { indexDataset, splitCases } from "../lib/data/dataset.ts";
import { selectedSliceDice } from "../lib/eval/selected_slice_dice.ts";
import { loadRun } from "../lib/train/loop.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { createProgress, type Progress } from "../lib/util/progress.ts";

const USAGE = "usage: deno task validate --run RUN_DIR [--set validation|test|train] " +
  "[--data DIR (default: the run's)] [--margin N (default: the run's)] " +
  "[--checkpoint best|last] [--json FILE] " +
  "[--backend auto|tensorflow|webgpu|wasm|cpu]";

const SETS = ["train", "validation", "test"] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      run: { type: "string" },
      set: { type: "string", default: "validation" },
      data: { type: "string" },
      margin: { type: "string" },
      checkpoint: { type: "string", default: "best" },
      json: { type: "string" },
      backend: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.run) throw new Error(USAGE);
  const set = values.set as (typeof SETS)[number];
  if (!SETS.includes(set)) throw new Error(`--set must be one of ${SETS.join(", ")}, got ${set}`);
  if (values.checkpoint !== "best" && values.checkpoint !== "last") {
    throw new Error(`--checkpoint must be best or last, got ${values.checkpoint}`);
  }
  const margin = values.margin === undefined ? undefined : Number(values.margin);
  if (margin !== undefined && !(Number.isInteger(margin) && margin >= 0)) {
    throw new Error(`--margin must be a whole number >= 0, got ${values.margin}`);
  }
  const backend = await initBackend(values.backend as BackendName);
  console.error(`backend: ${describeBackend(backend)}`);
  const run = await loadRun(values.run, values.checkpoint);
  const root = values.data ?? run.config.data.root;
  const cases =
    splitCases(await indexDataset(root, { requireSegmentation: true }), run.config.data.split)[set];
  let progress: Progress | undefined;
  const result = await selectedSliceDice(run, cases, {
    margin,
    onCase: (done, total, c) => {
      progress ??= createProgress({ total, label: `${run.config.name} ${set}` });
      progress.update(done, { case: c.id, dice: c.dice.toFixed(3) });
    },
  });
  progress?.done();
  for (const c of result.cases) {
    console.log(
      `case ${c.id}: ${c.slices} slices, reference ${c.reference}, predicted ${c.predicted}, ` +
        `Dice ${c.dice.toFixed(3)}`,
    );
  }
  console.log(
    `${values.run} (${values.checkpoint}): ${run.config.task} Dice ${result.dice.toFixed(3)} ` +
      `over every ${run.config.data.selectBy} slice (+-${
        margin ?? run.config.data.sliceMargin
      }) of ` +
      `${cases.length} ${set} cases in ${root}`,
  );
  if (values.json) {
    await writeJsonAtomic(values.json, {
      run: values.run,
      checkpoint: values.checkpoint,
      set,
      margin: margin ?? run.config.data.sliceMargin,
      data: root,
      ...result,
    });
    console.log(`wrote ${values.json}`);
  }
  run.model.dispose();
}

if (import.meta.main) {
  // Exit explicitly: the wasm backend's worker threads would keep the process alive.
  main().then(() => Deno.exit(0), (err) => {
    console.error(`validate: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  });
}
