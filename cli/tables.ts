/**
 * `deno task tables [--evaluation FILE] [--ablation RUN_DIR ...]
 *  [--ablation-eval RUN_DIR=EVAL.json ...] [--out results/tables]`
 *
 * Regenerates Table V and VI from an evaluation JSON (`deno task evaluate
 * --json`) and the 2x2 ablation table from training runs, as Markdown, CSV and
 * JSON with the paper's values beside ours.
 * @module
 */
import { parseArgs } from "node:util";
import { readAblationRun } from "../lib/eval/ablation.ts";
import { parseEvaluationJson } from "../lib/eval/evaluate.ts";
import {
  ablationTable,
  type Table,
  tableV,
  tableVI,
  toMarkdown,
  writeTables,
} from "../lib/eval/tables.ts";

const USAGE = "usage: deno task tables [--evaluation FILE] [--ablation RUN_DIR ...] " +
  "[--ablation-eval RUN_DIR=EVAL.json ...] [--out DIR]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      evaluation: { type: "string" },
      ablation: { type: "string", multiple: true },
      "ablation-eval": { type: "string", multiple: true },
      out: { type: "string", default: "results/tables" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  const tables: Record<string, Table> = {};
  if (values.evaluation) {
    const ev = parseEvaluationJson(await Deno.readTextFile(values.evaluation), values.evaluation);
    tables.table5 = tableV(ev);
    tables.table6 = tableVI(ev);
  }
  if (values.ablation?.length) {
    const evals = new Map<string, string>();
    for (const pair of values["ablation-eval"] ?? []) {
      const [dir, file] = pair.split("=");
      if (!dir || !file) throw new Error(`--ablation-eval wants RUN_DIR=EVAL.json, got "${pair}"`);
      evals.set(dir, file);
    }
    const runs = [];
    for (const dir of values.ablation) {
      const run = await readAblationRun(dir);
      const file = evals.get(dir);
      if (file) {
        const ev = parseEvaluationJson(await Deno.readTextFile(file), file);
        run.testDicePerCase = ev.liver.dicePerCase;
      }
      runs.push(run);
    }
    tables.ablation = ablationTable(runs);
  }
  if (Object.keys(tables).length === 0) throw new Error(`nothing to do\n${USAGE}`);
  const paths = await writeTables(values.out!, tables);
  for (const t of Object.values(tables)) console.log(toMarkdown(t));
  console.log(`wrote ${paths.join(", ")}`);
}

if (import.meta.main) {
  main().catch((err) => {
    console.error(`tables: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  });
}
