/**
 * `deno task tables [--evaluation FILE] [--ablation RUN_DIR ...]
 *  [--ablation-eval RUN_DIR=EVAL.json ...] [--out results/tables]`
 *
 * Regenerates Table V and VI from an evaluation JSON (`deno task evaluate
 * --json`) and the 2x2 ablation table from training runs, as Markdown, CSV and
 * JSON with the paper's values beside ours.
 * @module
 */
import { readAblationRun } from "../lib/reports/ablation.ts";
import { parseEvaluationJson } from "../lib/metrics/evaluate.ts";
import { resultTables } from "../lib/pipeline/steps.ts";
import { type AblationRun, toMarkdown, writeTables } from "../lib/reports/tables.ts";
import { type CliArgs, defineCli, runCli, UsageError } from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "tables",
  summary:
    "Table V and VI from an evaluation JSON and the 2x2 ablation table from training runs, " +
    "as Markdown, CSV and JSON with the paper's values beside ours.",
  flags: {
    evaluation: {
      type: "string",
      value: "FILE",
      help: "evaluation JSON (deno task evaluate --json)",
    },
    ablation: { type: "string", multiple: true, value: "RUN_DIR", help: "an ablation run folder" },
    "ablation-eval": {
      type: "string",
      multiple: true,
      value: "RUN_DIR=EVAL.json",
      help: "test-set evaluation of an ablation run",
    },
    out: { type: "string", value: "DIR", default: "results/tables", help: "output folder" },
  },
});

async function main({ flags: values }: CliArgs<typeof CLI>): Promise<void> {
  const evaluation = values.evaluation
    ? parseEvaluationJson(await Deno.readTextFile(values.evaluation), values.evaluation)
    : undefined;
  let ablation: AblationRun[] | undefined;
  if (values.ablation.length) {
    const evals = new Map<string, string>();
    for (const pair of values["ablation-eval"]) {
      const [dir, file] = pair.split("=");
      if (!dir || !file) {
        throw new UsageError(`--ablation-eval wants RUN_DIR=EVAL.json, got "${pair}"`);
      }
      evals.set(dir, file);
    }
    ablation = [];
    for (const dir of values.ablation) {
      const run = await readAblationRun(dir);
      const file = evals.get(dir);
      if (file) {
        const ev = parseEvaluationJson(await Deno.readTextFile(file), file);
        run.testDicePerCase = ev.liver.dicePerCase;
      }
      ablation.push(run);
    }
  }
  const tables = resultTables({ evaluation, ablation });
  if (Object.keys(tables).length === 0) {
    throw new UsageError("nothing to do: give --evaluation or --ablation");
  }
  const paths = await writeTables(values.out!, tables);
  for (const t of Object.values(tables)) console.log(toMarkdown(t));
  console.log(`wrote ${paths.join(", ")}`);
}

if (import.meta.main) await runCli(CLI, main);
