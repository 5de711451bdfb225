/**
 * `deno task evaluate --predictions DIR --references DIR [--json FILE]
 *  [--dataset NAME] [--allow-missing] [--cases 1,2,3]`
 *
 * LiTS metrics of `prediction-N.nii[.gz]` against `segmentation-N.nii[.gz]`:
 * prints Tables V and VI, writes per-case and aggregate metrics as JSON.
 * @module
 */
import { evaluateFolders, writeEvaluation } from "../lib/metrics/evaluate.ts";
import { summaryText } from "../lib/reports/tables.ts";
import { type CliArgs, defineCli, intList, runCli, UsageError } from "../lib/util/cli_args.ts";
import { createProgress, type Progress } from "../lib/util/progress.ts";

const CLI = defineCli({
  name: "evaluate",
  summary:
    "LiTS metrics of prediction-N.nii[.gz] against segmentation-N.nii[.gz]: Tables V and VI, " +
    "per-case and aggregate metrics as JSON.",
  flags: {
    predictions: {
      type: "string",
      value: "DIR",
      help: "folder of prediction-N.nii[.gz] (required)",
    },
    references: {
      type: "string",
      value: "DIR",
      help: "folder of segmentation-N.nii[.gz] (required)",
    },
    json: { type: "string", value: "FILE", help: "write per-case and aggregate metrics here" },
    dataset: { type: "string", value: "NAME", help: "data set name recorded in the JSON" },
    cases: {
      type: "string",
      value: "1,2,3",
      help: "only these case ids (default: every prediction)",
    },
    "allow-missing": { type: "boolean", help: "skip references without a prediction" },
  },
});

async function main({ flags: values }: CliArgs<typeof CLI>): Promise<void> {
  if (!values.predictions) throw new UsageError("--predictions is required");
  if (!values.references) throw new UsageError("--references is required");
  let progress: Progress | undefined;
  const ev = await evaluateFolders(values.predictions, values.references, {
    allowMissing: values["allow-missing"],
    dataset: values.dataset,
    ids: values.cases === undefined ? undefined : intList("cases", values.cases).map(String),
    onCase: (done, total, c) => {
      progress ??= createProgress({ total, label: "evaluate" });
      progress.update(done, {
        case: c.id,
        liver: c.liver.dice.toFixed(3),
        lesion: c.lesionDice.toFixed(3),
      });
    },
  });
  progress?.done();
  for (const s of ev.skipped) console.error(`skipped case ${s.id}: ${s.reason}`);
  console.log(summaryText(ev));
  if (values.json) {
    await writeEvaluation(values.json, ev);
    console.log(`wrote ${values.json}`);
  }
}

if (import.meta.main) await runCli(CLI, main);
