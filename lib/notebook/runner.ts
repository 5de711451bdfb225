/**
 * Headless notebook execution against the real Deno Jupyter kernel, cell by cell,
 * keeping every output: the Deno kernel publishes some outputs (late timers,
 * the execute_result) after its reply or even after `idle`, so after each cell we
 * keep draining iopub until it has been quiet for a grace period, and messages
 * are attributed to cells by their parent msg_id (late ones too, until the end).
 *
 * The kernel runs with cwd = the notebook's folder, so notebooks in `notebooks/`
 * import `../lib/...`. No kernel spec is needed (`deno jupyter --install` only
 * matters for Jupyter Lab).
 *
 * @example
 * ```ts
 * const result = await runNotebook("notebooks/01_preprocessing.ipynb", {
 *   parameters: { cases: 2 },
 * });
 * if (!result.ok) console.error(result.error?.message);
 * ```
 * @module
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { type Kernel, startKernel } from "./kernel.ts";
import {
  type CodeCell,
  DENO_KERNELSPEC,
  type MimeData,
  type Notebook,
  type Output,
  readNotebook,
  writeNotebook,
} from "./nbformat.ts";
import { injectParameters, type NotebookParameters } from "./params.ts";
import type { Message } from "./protocol.ts";

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Kernel working directory (relative imports in cells resolve from it). */
  cwd: string;
  /** Values for the `let` declarations of the cell tagged `parameters`. */
  parameters?: NotebookParameters;
  /** Keep going after a failing cell (default: stop at the first error). */
  allowErrors?: boolean;
  /** Limit per cell in milliseconds (default 30 minutes). */
  cellTimeoutMs?: number;
  /** How long iopub must stay quiet before a cell counts as finished (default 400 ms). */
  graceMs?: number;
  /** Names the notebook in messages. */
  name?: string;
  /** Extra environment variables of the kernel (e.g. `WASM_THREADS`). */
  env?: Record<string, string>;
  /** Called before each code cell runs. */
  onCell?: (event: { index: number; count: number; codeCells: number }) => void;
}

/** The first failing cell. */
export interface CellError {
  /** 1-based position of the cell in the executed notebook (injected cells count). */
  cell: number;
  executionCount: number | null;
  ename: string;
  evalue: string;
  traceback: string[];
  /** One readable paragraph naming the notebook and the cell. */
  message: string;
}

/** What {@link executeNotebook} returns. */
export interface ExecuteResult {
  notebook: Notebook;
  ok: boolean;
  /** The first error (also set with `allowErrors`, when any cell failed). */
  error?: CellError;
  startedAt: Date;
  durationMs: number;
}

const DEFAULT_CELL_TIMEOUT_MS = 30 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// deno-lint-ignore no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/** Output collection of one cell: nbformat outputs built from iopub messages. */
interface CellState {
  cell: CodeCell;
  idle: boolean;
  clearPending: boolean;
}

/** Routes iopub messages to cells' outputs; display ids are shared across cells. */
function outputRouter() {
  const byMsgId = new Map<string, CellState>();
  const displays = new Map<string, { data: MimeData; metadata: Record<string, unknown> }[]>();

  const push = (state: CellState, out: Output, displayId?: string) => {
    if (state.clearPending) {
      state.cell.outputs = [];
      state.clearPending = false;
    }
    const outputs = state.cell.outputs;
    const last = outputs[outputs.length - 1];
    if (
      out.output_type === "stream" && last?.output_type === "stream" && last.name === out.name
    ) {
      last.text += out.text;
      return;
    }
    outputs.push(out);
    if (displayId && (out.output_type === "display_data" || out.output_type === "execute_result")) {
      displays.set(displayId, [...(displays.get(displayId) ?? []), out]);
    }
  };

  const handle = (msg: Message) => {
    const state = byMsgId.get(msg.parent_header.msg_id ?? "");
    if (!state) return;
    const c = msg.content;
    const displayId = (c.transient as { display_id?: string } | undefined)?.display_id;
    const data = (c.data ?? {}) as MimeData;
    const metadata = (c.metadata ?? {}) as Record<string, unknown>;
    switch (msg.header.msg_type) {
      case "status":
        if (c.execution_state === "idle") state.idle = true;
        break;
      case "execute_input":
        if (typeof c.execution_count === "number") state.cell.execution_count = c.execution_count;
        break;
      case "stream":
        push(state, {
          output_type: "stream",
          name: c.name === "stderr" ? "stderr" : "stdout",
          text: String(c.text),
        });
        break;
      case "display_data":
        push(state, { output_type: "display_data", data, metadata }, displayId);
        break;
      case "execute_result":
        push(state, {
          output_type: "execute_result",
          execution_count: typeof c.execution_count === "number"
            ? c.execution_count
            : state.cell.execution_count,
          data,
          metadata,
        }, displayId);
        break;
      case "update_display_data":
        for (const out of displays.get(displayId ?? "") ?? []) {
          out.data = data;
          out.metadata = metadata;
        }
        break;
      case "error":
        push(state, {
          output_type: "error",
          ename: String(c.ename),
          evalue: String(c.evalue),
          traceback: (c.traceback as string[] | undefined) ?? [],
        });
        break;
      case "clear_output":
        if (c.wait) state.clearPending = true;
        else state.cell.outputs = [];
        break;
    }
  };
  return { byMsgId, handle };
}

/** Wait until the kernel's iopub has been quiet for `graceMs`, at most until `deadline`. */
async function drain(kernel: Kernel, graceMs: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const quietFor = Date.now() - kernel.lastIopubAt();
    if (quietFor >= graceMs) return;
    await sleep(graceMs - quietFor);
  }
}

function cellError(
  name: string,
  index: number,
  cell: CodeCell,
  e: { ename: string; evalue: string; traceback: string[] },
): CellError {
  const where = `${name}: cell ${index + 1}${
    cell.execution_count !== null ? ` (In [${cell.execution_count}])` : ""
  } failed`;
  const trace = e.traceback.length
    ? e.traceback.map(stripAnsi).join("\n")
    : `${e.ename}: ${e.evalue}`;
  return {
    cell: index + 1,
    executionCount: cell.execution_count,
    ...e,
    message: `${where}:\n${trace}\n--- source ---\n${cell.source}`,
  };
}

/**
 * Execute a notebook in a fresh Deno kernel and return the executed copy (the
 * input is not modified). Cells after the first failing one stay unexecuted,
 * unless `allowErrors`. A cell over its time limit, or a kernel that dies, always
 * stops the run (the cell gets an error output saying so).
 */
export async function executeNotebook(
  input: Notebook,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const startedAt = new Date();
  const name = options.name ?? "<notebook>";
  const grace = options.graceMs ?? 400;
  const timeout = options.cellTimeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
  const nb = injectParameters(structuredClone(input), options.parameters ?? {}, name);
  for (const cell of nb.cells) {
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
  }
  const kernel = await startKernel({ cwd: options.cwd, env: options.env });
  const router = outputRouter();
  kernel.onIopub(router.handle);
  let firstError: CellError | undefined;
  try {
    const info = await kernel.send("shell", "kernel_info_request", {}).reply;
    nb.metadata = {
      ...nb.metadata,
      kernelspec: DENO_KERNELSPEC,
      language_info: (info.content.language_info as Notebook["metadata"]["language_info"]) ??
        { name: "typescript" },
    };
    const codeCells = nb.cells.filter((c) => c.cell_type === "code" && c.source.trim()).length;
    let count = 0;
    for (const [index, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code" || !cell.source.trim()) continue;
      options.onCell?.({ index, count: ++count, codeCells });
      const { msgId, reply } = kernel.send("shell", "execute_request", {
        code: cell.source,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: !options.allowErrors,
      });
      const state: CellState = { cell, idle: false, clearPending: false };
      router.byMsgId.set(msgId, state);
      const deadline = Date.now() + timeout;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        reply,
        kernel.exited.then((code) => ({ exit: code })),
        new Promise<{ timeout: true }>((r) => {
          timer = setTimeout(() => r({ timeout: true }), timeout);
        }),
      ]).finally(() => clearTimeout(timer));
      if ("exit" in outcome || "timeout" in outcome) {
        // The run cannot go on: record the failure in the cell itself, so the
        // written notebook and its HTML report show it.
        const failure = "exit" in outcome
          ? {
            ename: "KernelDied",
            evalue: `the kernel exited with code ${outcome.exit}`,
            traceback: kernel.log().trim().split("\n").slice(-20),
          }
          : {
            ename: "Timeout",
            evalue: `the cell ran longer than ${timeout / 1000} s`,
            traceback: [],
          };
        if ("timeout" in outcome) kernel.send("control", "interrupt_request", {});
        cell.outputs.push({ output_type: "error", ...failure });
        firstError ??= cellError(name, index, cell, failure);
        break;
      }
      const content = (outcome as Message).content;
      if (typeof content.execution_count === "number") {
        cell.execution_count = content.execution_count;
      }
      while (!state.idle && Date.now() < deadline) await sleep(10);
      await drain(kernel, grace, deadline);
      if (content.status === "error" || content.status === "aborted") {
        const errOut = cell.outputs.find((o) => o.output_type === "error");
        firstError ??= cellError(name, index, cell, {
          ename: String(
            content.ename ?? (errOut?.output_type === "error" ? errOut.ename : "Error"),
          ),
          evalue: String(content.evalue ?? (errOut?.output_type === "error" ? errOut.evalue : "")),
          traceback: (content.traceback as string[] | undefined) ??
            (errOut?.output_type === "error" ? errOut.traceback : []),
        });
        if (!options.allowErrors) break;
      }
    }
    // Late outputs of any cell (timers that were not awaited) still land in place.
    await drain(kernel, grace, Date.now() + timeout);
  } finally {
    await kernel.shutdown();
  }
  return {
    notebook: nb,
    ok: firstError === undefined,
    error: firstError,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  };
}

/** Options of {@link runNotebook}. */
export interface RunNotebookOptions extends Omit<ExecuteOptions, "cwd" | "name"> {
  /** Where executed notebooks go (default `results/notebooks`). */
  outDir?: string;
  /** Kernel working directory (default: the notebook's folder). */
  cwd?: string;
}

/** What {@link runNotebook} returns. */
export interface RunNotebookResult extends ExecuteResult {
  /** The executed notebook file (written even when a cell failed, for inspection). */
  outputPath: string;
}

/**
 * Read a `.ipynb`, execute it and write the executed notebook atomically to
 * `outDir/<name>.ipynb`, with run metadata (parameters, time, duration).
 */
export async function runNotebook(
  path: string,
  options: RunNotebookOptions = {},
): Promise<RunNotebookResult> {
  const input = await readNotebook(path);
  const result = await executeNotebook(input, {
    ...options,
    cwd: options.cwd ?? dirname(resolve(path)),
    name: path,
  });
  result.notebook.metadata.workbench = {
    source: path,
    parameters: options.parameters ?? {},
    executed_at: result.startedAt.toISOString(),
    duration_s: Math.round(result.durationMs) / 1000,
    ok: result.ok,
    ...(result.error ? { error: { cell: result.error.cell, ename: result.error.ename } } : {}),
  };
  const outputPath = join(
    options.outDir ?? "results/notebooks",
    basename(path, extname(path)) + ".ipynb",
  );
  await writeNotebook(outputPath, result.notebook);
  return { ...result, outputPath };
}
