/**
 * `deno task notebooks [NAME...] [-p key=value ...] [--allow-errors] [--timeout S] [--no-html]`
 *
 * Runs notebooks (default: every `notebooks/*.ipynb` not starting with `_`) in a
 * headless Deno kernel, writes executed notebooks to `results/notebooks/` and HTML
 * reports to `results/reports/`, and prints what it wrote. Parameters go to the
 * cell tagged `parameters` (see lib/notebook/params.ts for the `let` convention).
 * @module
 */
import { resolve } from "node:path";
import { DEFAULT_DATA_DIR, ensureDataRoot } from "../lib/data/default_data.ts";
import { NotebookFailure, runNotebooks } from "../lib/notebook/batch.ts";
import { parseParameter } from "../lib/notebook/params.ts";

import { type CliArgs, defineCli, runCli, UsageError } from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "notebooks",
  summary: "Run notebooks in a headless Deno kernel; write executed notebooks to " +
    "results/notebooks/ and HTML reports to results/reports/.",
  positionals: {
    name: "NAME...",
    help: "notebooks to run (default: every notebooks/*.ipynb not starting with _)",
  },
  flags: {
    param: {
      type: "string",
      short: "p",
      multiple: true,
      value: "key=value",
      help: "a parameter for the cell tagged parameters",
    },
    "allow-errors": { type: "boolean", help: "keep running the cells after one fails" },
    timeout: { type: "number", greaterThan: 0, value: "S", help: "seconds a cell may run" },
    "no-html": { type: "boolean", help: "do not write HTML reports" },
  },
});

function progressPrinter(): (e: {
  notebook: string;
  index: number;
  total: number;
  cell: number;
  cells: number;
}) => void {
  const tty = Deno.stderr.isTerminal();
  const write = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(s));
  return (e) => {
    const head = `[${e.index + 1}/${e.total}] ${e.notebook}`;
    if (!tty) return write(`${head}: cell ${e.cell}/${e.cells}\n`);
    const width = 30;
    const done = Math.round((width * (e.cell - 1)) / Math.max(e.cells, 1));
    write(`\r\x1b[K${head} [${"#".repeat(done)}${" ".repeat(width - done)}] ${e.cell}/${e.cells}`);
    if (e.cell === e.cells) write("\n");
  };
}

async function main({ flags: values, positionals }: CliArgs<typeof CLI>): Promise<number> {
  const timeoutS = values.timeout;
  const parameters = Object.fromEntries(values.param.map((p) => {
    try {
      return parseParameter(p);
    } catch (err) {
      throw new UsageError(`-p: ${(err as Error).message}`);
    }
  }));
  // The notebooks get their data themselves; done here first, a first use shows its
  // progress on the terminal and a mistyped dataRoot fails before any kernel starts.
  if (positionals.length === 0 || positionals.some((n) => !n.startsWith("_"))) {
    const dataRoot = parameters.dataRoot;
    await ensureDataRoot(
      dataRoot === undefined ? DEFAULT_DATA_DIR : resolve("notebooks", String(dataRoot)),
    );
  }
  try {
    const runs = await runNotebooks({
      names: positionals,
      parameters,
      allowErrors: values["allow-errors"],
      cellTimeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
      html: !values["no-html"],
      onProgress: progressPrinter(),
    });
    if (runs.length === 0) console.error("no notebooks to run");
    for (const r of runs) {
      const status = r.ok ? "ok" : `errors (first in cell ${r.error?.cell})`;
      console.log(`${r.source}: ${status}, ${(r.durationMs / 1000).toFixed(1)} s`);
      console.log(`  wrote ${r.notebook}`);
      if (r.html) console.log(`  wrote ${r.html}`);
    }
    return runs.every((r) => r.ok) ? 0 : 1;
  } catch (err) {
    if (!(err instanceof NotebookFailure)) throw err;
    const failed = err.runs[err.runs.length - 1];
    console.error(`\n${err.message}`);
    console.error(`wrote ${failed.notebook}${failed.html ? ` and ${failed.html}` : ""}`);
    return 1;
  }
}

if (import.meta.main) await runCli(CLI, main);
