/**
 * `deno task evaluate --predictions DIR --references DIR [--json FILE]
 *  [--dataset NAME] [--allow-missing] [--cases 1,2,3]`
 *
 * LiTS metrics of `prediction-N.nii[.gz]` against `segmentation-N.nii[.gz]`:
 * prints Tables V and VI, writes per-case and aggregate metrics as JSON.
 * @module
 */
import { parseArgs } from "node:util";
import { evaluateFolders, writeEvaluation } from "../lib/eval/evaluate.ts";
import { summaryText } from "../lib/eval/tables.ts";
import { createProgress, type Progress } from "../lib/util/progress.ts";

const USAGE = "usage: deno task evaluate --predictions DIR --references DIR [--json FILE] " +
  "[--dataset NAME] [--allow-missing] [--cases 1,2,3]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      predictions: { type: "string" },
      references: { type: "string" },
      json: { type: "string" },
      dataset: { type: "string" },
      cases: { type: "string" },
      "allow-missing": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.predictions || !values.references) throw new Error(USAGE);
  let progress: Progress | undefined;
  const ev = await evaluateFolders(values.predictions, values.references, {
    allowMissing: values["allow-missing"],
    dataset: values.dataset,
    ids: values.cases?.split(",").map((s) => String(Number(s.trim()))),
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

if (import.meta.main) {
  main().catch((err) => {
    console.error(`evaluate: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  });
}
