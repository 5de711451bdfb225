/**
 * `deno task validate --run RUN_DIR [--set validation|test|train] [--data DIR]
 *  [--margin N] [--checkpoint best|last] [--json FILE] [--backend NAME]`
 *
 * A trained model's Dice over every slice its training selects (tumor slices +- the margin
 * for the tumor model, liver slices for the liver model) of a split's cases, at the volume's
 * resolution: the validation Dice the training loop estimates from a sample of slices,
 * measured on all of them (`lib/inference/selected_slice_dice.ts`). `--margin 0` keeps only the
 * slices that hold the target.
 * @module
 */
import type { BackendName } from "../lib/config/experiment.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { datasetSplit } from "../lib/data/dataset.ts";
import { selectedSliceDice } from "../lib/inference/selected_slice_dice.ts";
import { loadRunModel } from "../lib/runs/folder.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { BACKEND_FLAG, type CliArgs, defineCli, runCli, UsageError } from "../lib/util/cli_args.ts";
import { createProgress, type Progress } from "../lib/util/progress.ts";

const CLI = defineCli({
  name: "validate",
  summary: "A trained model's Dice over every slice its training selects (tumor slices +- the " +
    "margin, or liver slices) of a split's cases, at the volume's resolution.",
  flags: {
    run: { type: "string", value: "RUN_DIR", help: "the trained run folder (required)" },
    set: {
      type: "string",
      choices: ["validation", "test", "train"],
      default: "validation",
      help: "which split of the run's data",
    },
    data: { type: "string", value: "DIR", help: "data folder (default: the run's)" },
    margin: { type: "int", min: 0, help: "slices above and below the target (default: the run's)" },
    checkpoint: {
      type: "string",
      choices: ["best", "last"],
      default: "best",
      help: "which weights",
    },
    json: { type: "string", value: "FILE", help: "write the result as JSON here" },
    backend: BACKEND_FLAG,
  },
});

async function main({ flags: values }: CliArgs<typeof CLI>): Promise<void> {
  if (!values.run) throw new UsageError("--run is required");
  const set = values.set as "train" | "validation" | "test";
  const margin = values.margin;
  const checkpoint = values.checkpoint as "best" | "last";
  const backend = await initBackend((values.backend ?? "auto") as BackendName);
  console.error(`backend: ${describeBackend(backend)}`);
  const run = await loadRunModel(values.run, checkpoint);
  const root = values.data ?? run.config.data.root;
  const cases =
    (await datasetSplit(root, run.config.data.split, { requireSegmentation: true }))[set];
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

if (import.meta.main) await runCli(CLI, main);
