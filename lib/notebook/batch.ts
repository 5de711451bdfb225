/**
 * Run a set of notebooks (default: every `notebooks/*.ipynb` not starting with
 * `_`), writing executed notebooks to `results/notebooks/` and HTML reports to
 * `results/reports/`. `deno task notebooks` and `deno task reproduce` call this.
 *
 * @example
 * ```ts
 * const runs = await runNotebooks({ names: ["01_preprocessing"], parameters: { cases: 2 } });
 * for (const r of runs) console.log(r.notebook, r.html);
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { exportHtml, reportPath, trustNotebook } from "./html.ts";
import { type CodeCell, readNotebook } from "./nbformat.ts";
import { declaredParameters, type NotebookParameters } from "./params.ts";
import { type CellError, runNotebook } from "./runner.ts";
import { inPool, sideBySideThreads } from "../util/pool.ts";

/** Options of {@link runNotebooks}. */
export interface RunNotebooksOptions {
  /** Notebook names (`01_preprocessing`, a unique prefix like `01`, or a path); default all. */
  names?: string[];
  /** Folder of the notebooks (default `notebooks`). */
  notebooksDir?: string;
  /** Executed notebooks go here (default `results/notebooks`). */
  outDir?: string;
  /** HTML reports go here (default `results/reports`). */
  reportsDir?: string;
  /** Export HTML with nbconvert (default true). */
  html?: boolean;
  /** Sign executed notebooks for this user's Jupyter, when nbformat is installed (default true). */
  trust?: boolean;
  /** Parameters; each notebook receives those its parameters cell declares. */
  parameters?: NotebookParameters;
  allowErrors?: boolean;
  cellTimeoutMs?: number;
  /**
   * Notebooks executed at once, each in its own kernel (default 1). Only for notebooks that do
   * not depend on each other's work, e.g. with `train: false` against finished runs. Side by
   * side, each kernel computes on one thread (`sideBySideThreads`).
   */
  concurrency?: number;
  /** Progress: called before each code cell. */
  onProgress?: (
    e: { notebook: string; index: number; total: number; cell: number; cells: number },
  ) => void;
}

/** One executed notebook. */
export interface NotebookRun {
  source: string;
  /** The executed `.ipynb`. */
  notebook: string;
  /** The HTML report, when exported. */
  html?: string;
  ok: boolean;
  error?: CellError;
  durationMs: number;
}

/** A notebook failed: carries the runs so far (the failed one included, written to disk). */
export class NotebookFailure extends Error {
  constructor(readonly runs: NotebookRun[], readonly error: CellError) {
    super(error.message);
    this.name = "NotebookFailure";
  }
}

/** Notebooks in `dir` that run by default: `*.ipynb` not starting with `_`, sorted. */
export async function defaultNotebooks(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith("_")) names.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return names.sort().map((n) => join(dir, n));
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

/** Resolve a notebook name, prefix or path to a file (errors list what exists). */
export async function resolveNotebook(name: string, dir: string): Promise<string> {
  for (const candidate of [name, join(dir, name), join(dir, `${name}.ipynb`)]) {
    if (candidate.endsWith(".ipynb") && await isFile(candidate)) return candidate;
  }
  const all: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".ipynb")) all.push(e.name);
  const matches = all.filter((n) => n.startsWith(name));
  if (matches.length === 1) return join(dir, matches[0]);
  throw new Error(
    matches.length
      ? `notebook "${name}" is ambiguous: ${matches.join(", ")}`
      : `no notebook "${name}" in ${dir} (have: ${all.sort().join(", ") || "none"})`,
  );
}

/** The parameters each notebook declares, checking that every given one is used somewhere. */
async function splitParameters(
  paths: string[],
  params: NotebookParameters,
): Promise<NotebookParameters[]> {
  const declared = await Promise.all(paths.map(async (p) => {
    const cell = (await readNotebook(p)).cells.find((c) =>
      c.cell_type === "code" && c.metadata.tags?.includes("parameters")
    ) as CodeCell | undefined;
    return cell ? declaredParameters(cell.source) : new Set<string>();
  }));
  const unused = Object.keys(params).filter((k) => !declared.some((d) => d.has(k)));
  if (unused.length) {
    throw new Error(
      `parameter(s) ${unused.join(", ")} not declared (with let, in a cell tagged "parameters") ` +
        `by any of: ${paths.map((p) => basename(p)).join(", ")}`,
    );
  }
  return declared.map((d) => Object.fromEntries(Object.entries(params).filter(([k]) => d.has(k))));
}

/**
 * Run notebooks in order (`concurrency` at a time) and export their HTML. Stops at the first
 * failing notebook (after writing it and its report, and once those running beside it have
 * ended) by throwing {@link NotebookFailure}, unless `allowErrors`.
 */
export async function runNotebooks(options: RunNotebooksOptions = {}): Promise<NotebookRun[]> {
  const dir = options.notebooksDir ?? "notebooks";
  const paths = options.names?.length
    ? await Promise.all(options.names.map((n) => resolveNotebook(n, dir)))
    : await defaultNotebooks(dir);
  const params = await splitParameters(paths, options.parameters ?? {});
  const done: NotebookRun[] = [];
  // In source order, whatever the order they finish in.
  const runs = () => done.filter(Boolean);
  const concurrency = options.concurrency ?? 1;
  // One compute thread per kernel when several run side by side, as for training processes.
  const threads = sideBySideThreads(paths.length, concurrency);
  const env = threads ? { WASM_THREADS: threads } : undefined;
  const work = inPool(paths, concurrency, async (path, i) => {
    const result = await runNotebook(path, {
      outDir: options.outDir,
      env,
      parameters: params[i],
      allowErrors: options.allowErrors,
      cellTimeoutMs: options.cellTimeoutMs,
      onCell: (e) =>
        options.onProgress?.({
          notebook: basename(path),
          index: i,
          total: paths.length,
          cell: e.count,
          cells: e.codeCells,
        }),
    });
    if (options.trust ?? true) await trustNotebook(result.outputPath);
    const run: NotebookRun = {
      source: path,
      notebook: result.outputPath,
      ok: result.ok,
      error: result.error,
      durationMs: result.durationMs,
    };
    if (options.html ?? true) {
      run.html = reportPath(result.outputPath, options.reportsDir);
      await exportHtml(result.outputPath, run.html);
    }
    done[i] = run;
    if (!result.ok && !options.allowErrors) throw new NotebookFailure(runs(), result.error!);
  });
  // Thrown again once the notebooks beside the failed one have ended, with their runs too.
  await work.catch((err) => {
    throw err instanceof NotebookFailure ? new NotebookFailure(runs(), err.error) : err;
  });
  return runs();
}
