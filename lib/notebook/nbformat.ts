/**
 * Jupyter notebooks (nbformat 4.5): types, reading with clear errors, structural
 * validation, and atomic writing with sources split into lines as Jupyter does.
 *
 * @example
 * ```ts
 * const nb = await readNotebook("notebooks/01_preprocessing.ipynb");
 * nb.cells.push(newCodeCell("console.log(1)"));
 * await writeNotebook("results/notebooks/01_preprocessing.ipynb", nb);
 * ```
 * @module
 */
import { randomBytes } from "node:crypto";
import { writeTextAtomic } from "../util/atomic.ts";

/** MIME type -> data; text may be split into lines (arrays) in files. */
export type MimeData = Record<string, unknown>;

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: string;
}
export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeData;
  metadata: Record<string, unknown>;
}
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeData;
  metadata: Record<string, unknown>;
}
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CellMetadata {
  tags?: string[];
  [key: string]: unknown;
}
export interface CodeCell {
  cell_type: "code";
  id: string;
  source: string;
  metadata: CellMetadata;
  execution_count: number | null;
  outputs: Output[];
}
export interface TextCell {
  cell_type: "markdown" | "raw";
  id: string;
  source: string;
  metadata: CellMetadata;
  attachments?: Record<string, unknown>;
}
export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: { name: string; [key: string]: unknown };
    [key: string]: unknown;
  };
  cells: Cell[];
}

/** The kernel spec of Deno notebooks. */
export const DENO_KERNELSPEC = { name: "deno", display_name: "Deno", language: "typescript" };

/** A new cell id (nbformat 4.5: 1-64 chars of [a-zA-Z0-9-_]). */
export function newCellId(): string {
  return randomBytes(6).toString("hex");
}

/** A new, unexecuted code cell. */
export function newCodeCell(source: string, tags: string[] = []): CodeCell {
  return {
    cell_type: "code",
    id: newCellId(),
    source,
    metadata: tags.length ? { tags } : {},
    execution_count: null,
    outputs: [],
  };
}

const joinText = (v: unknown): unknown => (Array.isArray(v) ? v.join("") : v);

/**
 * Parse notebook JSON (`path` names the file in errors), join line-split text,
 * give cells ids when missing (nbformat < 4.5), and validate.
 */
export function parseNotebook(text: string, path = "<notebook>"): Notebook {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (raw?.nbformat !== 4) throw new Error(`${path}: nbformat ${raw?.nbformat}, expected 4`);
  if (!Array.isArray(raw.cells)) throw new Error(`${path}: no cells array`);
  const cells = (raw.cells as Record<string, unknown>[]).map((c) => {
    const cell: Record<string, unknown> = {
      ...c,
      source: joinText(c.source),
      id: c.id ?? newCellId(),
    };
    if (Array.isArray(c.outputs)) {
      cell.outputs = (c.outputs as Record<string, unknown>[]).map((o) => {
        const out = { ...o };
        if ("text" in out) out.text = joinText(out.text);
        if (out.data && typeof out.data === "object") {
          out.data = Object.fromEntries(
            Object.entries(out.data).map(([k, v]) => [k, k.includes("json") ? v : joinText(v)]),
          );
        }
        return out;
      });
    }
    return cell;
  });
  const nb = {
    ...raw,
    nbformat_minor: Math.max(Number(raw.nbformat_minor ?? 0), 5),
    metadata: raw.metadata ?? {},
    cells,
  } as unknown as Notebook;
  assertValidNotebook(nb, path);
  return nb;
}

/** Read and parse a `.ipynb` file. */
export async function readNotebook(path: string): Promise<Notebook> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read notebook (${(err as Error).message})`);
  }
  return parseNotebook(text, path);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown) =>
  typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string"));

function outputProblems(o: unknown, where: string): string[] {
  if (!isObject(o)) return [`${where}: output is not an object`];
  switch (o.output_type) {
    case "stream":
      return [
        ...(o.name === "stdout" || o.name === "stderr" ? [] : [`${where}: bad stream name`]),
        ...(isText(o.text) ? [] : [`${where}: stream text is not text`]),
      ];
    case "display_data":
    case "execute_result":
      return [
        ...(isObject(o.data) ? [] : [`${where}: data is not an object`]),
        ...(isObject(o.metadata) ? [] : [`${where}: metadata is not an object`]),
        ...(o.output_type === "execute_result" && !("execution_count" in o)
          ? [`${where}: execute_result without execution_count`]
          : []),
      ];
    case "error":
      return typeof o.ename === "string" && typeof o.evalue === "string" &&
          Array.isArray(o.traceback)
        ? []
        : [`${where}: error output needs ename, evalue and traceback`];
    default:
      return [`${where}: unknown output_type ${JSON.stringify(o.output_type)}`];
  }
}

/** Every structural problem of a notebook against nbformat 4.5 ([] when valid). */
export function notebookProblems(nb: unknown): string[] {
  if (!isObject(nb)) return ["notebook is not an object"];
  const problems: string[] = [];
  if (nb.nbformat !== 4) problems.push(`nbformat is ${nb.nbformat}, expected 4`);
  if (typeof nb.nbformat_minor !== "number" || nb.nbformat_minor < 5) {
    problems.push("nbformat_minor must be >= 5 (cells carry ids)");
  }
  if (!isObject(nb.metadata)) problems.push("metadata is not an object");
  if (!Array.isArray(nb.cells)) return [...problems, "cells is not an array"];
  const ids = new Set<string>();
  nb.cells.forEach((cell: unknown, i: number) => {
    const where = `cell ${i + 1}`;
    if (!isObject(cell)) return void problems.push(`${where}: not an object`);
    if (typeof cell.id !== "string" || !/^[a-zA-Z0-9-_]{1,64}$/.test(cell.id)) {
      problems.push(`${where}: bad or missing id`);
    } else if (ids.has(cell.id)) problems.push(`${where}: duplicate id ${cell.id}`);
    else ids.add(cell.id);
    if (!isText(cell.source)) problems.push(`${where}: source is not text`);
    if (!isObject(cell.metadata)) problems.push(`${where}: metadata is not an object`);
    if (cell.cell_type === "code") {
      if (cell.execution_count !== null && typeof cell.execution_count !== "number") {
        problems.push(`${where}: execution_count must be a number or null`);
      }
      if (!Array.isArray(cell.outputs)) problems.push(`${where}: outputs is not an array`);
      else {cell.outputs.forEach((o, k) =>
          problems.push(...outputProblems(o, `${where} output ${k + 1}`))
        );}
    } else if (cell.cell_type !== "markdown" && cell.cell_type !== "raw") {
      problems.push(`${where}: unknown cell_type ${JSON.stringify(cell.cell_type)}`);
    }
  });
  return problems;
}

/** Throw an error listing every structural problem (`path` names the notebook). */
export function assertValidNotebook(nb: unknown, path = "<notebook>"): asserts nb is Notebook {
  const problems = notebookProblems(nb);
  if (problems.length) throw new Error(`${path}: invalid notebook:\n  ${problems.join("\n  ")}`);
}

/** Split text into lines that keep their "\n", as Jupyter stores multi-line strings. */
export function toLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function splitOutput(o: Output): unknown {
  if (o.output_type === "stream") return { ...o, text: toLines(o.text) };
  if (o.output_type === "error") return o;
  const data = Object.fromEntries(
    Object.entries(o.data).map(([k, v]) => // Base64 images stay one string; text types are split into lines.
    [k, typeof v === "string" && k.startsWith("text/") ? toLines(v) : v]),
  );
  return { ...o, data };
}

/** Notebook JSON as Jupyter writes it (1-space indent, line-split text, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  assertValidNotebook(nb);
  const cells = nb.cells.map((c) =>
    c.cell_type === "code"
      ? { ...c, source: toLines(c.source), outputs: c.outputs.map(splitOutput) }
      : { ...c, source: toLines(c.source) }
  );
  return JSON.stringify({ ...nb, cells }, null, 1) + "\n";
}

/** Validate and write a notebook atomically. */
export async function writeNotebook(path: string, nb: Notebook): Promise<void> {
  const problems = notebookProblems(nb);
  if (problems.length) {
    throw new Error(`refusing to write ${path}: invalid notebook:\n  ${problems.join("\n  ")}`);
  }
  await writeTextAtomic(path, serializeNotebook(nb));
}
