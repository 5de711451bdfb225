/**
 * `deno task predict --run LIVER_RUN --run TUMOR_RUN --data DIR [--out DIR]
 *  [--cases test|all|1,2,3] [--checkpoint best|last] [--batch N] [--backend NAME]`
 *
 * The cascade over a LiTS-layout folder: writes `prediction-N.nii.gz` (labels
 * 0/1/2, the input's geometry) for `deno task evaluate`. Which run is the liver
 * and which the tumor model comes from each run's config.
 * @module
 */
import type { BackendName } from "../lib/config/experiment.ts";
import { predictCases } from "../lib/inference/predict_cases.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import type { CascadeModel } from "../lib/inference/cascade.ts";
import { loadRunModel } from "../lib/runs/folder.ts";
import {
  BACKEND_FLAG,
  type CliArgs,
  defineCli,
  intList,
  runCli,
  UsageError,
} from "../lib/util/cli_args.ts";
import { createProgress, type Progress } from "../lib/util/progress.ts";

const CLI = defineCli({
  name: "predict",
  summary: "The cascade over a LiTS-layout folder: writes prediction-N.nii.gz (labels 0/1/2, the " +
    "input's geometry) for deno task evaluate.",
  flags: {
    run: {
      type: "string",
      multiple: true,
      value: "RUN_DIR",
      help: "a trained run folder: give one liver and one tumor run (required)",
    },
    data: {
      type: "string",
      value: "DIR",
      help: "LiTS-layout folder of volume-N.nii[.gz] (required)",
    },
    out: { type: "string", value: "DIR", default: "results/predictions", help: "output folder" },
    cases: {
      type: "string",
      value: "test|all|1,2,3",
      default: "test",
      help: "the runs' test split, every volume, or these ids",
    },
    checkpoint: {
      type: "string",
      choices: ["best", "last"],
      default: "best",
      help: "which weights",
    },
    batch: { type: "int", min: 1, default: 4, help: "slices per forward pass" },
    backend: BACKEND_FLAG,
  },
});

async function main({ flags: values }: CliArgs<typeof CLI>): Promise<void> {
  if (!values.data) throw new UsageError("--data is required");
  if (values.run.length !== 2) {
    throw new UsageError(`give --run twice (liver and tumor run), got ${values.run.length}`);
  }
  const batchSize = values.batch;
  const cases = values.cases === "test" || values.cases === "all"
    ? values.cases
    : intList("cases", values.cases);
  const backend = await initBackend((values.backend ?? "auto") as BackendName);
  console.error(`backend: ${describeBackend(backend)}`);
  const runs: CascadeModel[] = [];
  for (const dir of values.run) {
    runs.push(await loadRunModel(dir, values.checkpoint as "best" | "last"));
  }
  const liver = runs.find((r) => r.config.task === "liver");
  const tumor = runs.find((r) => r.config.task === "tumor");
  if (!liver || !tumor) {
    throw new Error(
      `--run needs one liver and one tumor run, got tasks ${runs.map((r) => r.config.task)}`,
    );
  }
  let progress: Progress | undefined;
  let label = "";
  const written = await predictCases({
    data: values.data,
    cases,
    out: values.out!,
    liver,
    tumor,
    batchSize,
    onCase: (i, total, c) => {
      progress?.done();
      progress = undefined;
      label = `case ${c.id} (${i + 1}/${total})`;
    },
    onProgress: (stage, done, total) => {
      if (done === Math.min(batchSize, total)) {
        progress?.done();
        progress = createProgress({ total, label: `${label} ${stage}` });
      }
      progress?.update(done);
    },
  });
  progress?.done();
  console.log(`wrote ${written.length} prediction(s) to ${values.out}`);
}

if (import.meta.main) await runCli(CLI, main);
