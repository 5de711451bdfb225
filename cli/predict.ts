/**
 * `deno task predict --run LIVER_RUN --run TUMOR_RUN --data DIR [--out DIR]
 *  [--cases test|all|1,2,3] [--checkpoint best|last] [--batch N] [--backend NAME]`
 *
 * The cascade over a LiTS-layout folder: writes `prediction-N.nii.gz` (labels
 * 0/1/2, the input's geometry) for `deno task evaluate`. Which run is the liver
 * and which the tumor model comes from each run's config.
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendName } from "../lib/config/experiment.ts";
import { predictCases } from "../lib/eval/predict_cases.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import type { CascadeModel } from "../lib/eval/cascade.ts";
import { loadRun } from "../lib/train/loop.ts";
import { createProgress, type Progress } from "../lib/util/progress.ts";

const USAGE = "usage: deno task predict --run LIVER_RUN_DIR --run TUMOR_RUN_DIR --data DIR " +
  "[--out results/predictions] [--cases test|all|1,2,3] [--checkpoint best|last] [--batch 4] " +
  "[--backend auto|tensorflow|webgpu|wasm|cpu]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      run: { type: "string", multiple: true },
      data: { type: "string" },
      out: { type: "string", default: "results/predictions" },
      cases: { type: "string", default: "test" },
      checkpoint: { type: "string", default: "best" },
      batch: { type: "string", default: "4" },
      backend: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.data || values.run?.length !== 2) throw new Error(USAGE);
  if (values.checkpoint !== "best" && values.checkpoint !== "last") {
    throw new Error(`--checkpoint must be best or last, got ${values.checkpoint}`);
  }
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`bad --batch ${values.batch}`);
  const cases = values.cases === "test" || values.cases === "all"
    ? values.cases
    : values.cases!.split(",").map((s) => {
      const id = Number(s.trim());
      if (!Number.isInteger(id)) throw new Error(`bad case id "${s}" in --cases`);
      return id;
    });
  const backend = await initBackend(values.backend as BackendName);
  console.error(`backend: ${describeBackend(backend)}`);
  const runs: CascadeModel[] = [];
  for (const dir of values.run) runs.push(await loadRun(dir, values.checkpoint));
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

if (import.meta.main) {
  // Exit explicitly: the wasm backend's worker threads would keep the process alive.
  main().then(() => Deno.exit(0), (err) => {
    console.error(`predict: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  });
}
