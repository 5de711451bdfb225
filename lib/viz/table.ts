/**
 * Tables of results as HTML (and Markdown), displayable in the Deno Jupyter
 * kernel and saveable as `.html` or `.md`.
 *
 * @example
 * ```ts
 * const t = htmlTable([{ metric: "dice", liver: 0.912, lesion: 0.725 }], { digits: 3 });
 * await t.save("results/tables/table5.html");
 * ```
 * @module
 */
import { writeTextAtomic } from "../util/atomic.ts";
import { type Displayable, escapeHtml, extensionOf, JUPYTER_DISPLAY } from "./display.ts";

/** Options of {@link htmlTable}. */
export interface TableOptions {
  /** Columns in order (default: keys of all rows, in first-seen order). */
  columns?: string[];
  /** Decimal places for non-integer numbers (default 3). */
  digits?: number;
  /** A short title above the table. */
  caption?: string;
  /**
   * Longer text (sources, caveats) below the table, in a paragraph as wide as the
   * page's text: a `<caption>` is only as wide as the table, so a long one in a
   * narrow table wraps into many short lines.
   */
  note?: string;
}

/** A displayable table. */
export interface TableFigure extends Displayable {
  columns: string[];
  toHTML(): string;
  toMarkdown(): string;
  /** Write `.html` or `.md` to `path` atomically. */
  save(path: string): Promise<void>;
}

function formatCell(value: unknown, digits: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) || !Number.isFinite(value)
      ? String(value)
      : value.toFixed(digits);
  }
  return String(value);
}

/** A table of `rows` (one object per row). */
export function htmlTable(
  rows: Record<string, unknown>[],
  options: TableOptions = {},
): TableFigure {
  const digits = options.digits ?? 3;
  const columns = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c], digits)));
  const numeric = columns.map((c) => rows.some((r) => typeof r[c] === "number"));
  const align = (k: number) => numeric[k] ? ' style="text-align:right"' : "";
  const note = options.note
    ? `<p style="max-width:48em;margin:0.4em 0 1em;font-size:90%">${escapeHtml(options.note)}</p>`
    : "";
  const toHTML = () =>
    `<table>${options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : ""}` +
    `<thead><tr>${columns.map((c, k) => `<th${align(k)}>${escapeHtml(c)}</th>`).join("")}</tr>` +
    `</thead><tbody>${
      cells.map((row) =>
        `<tr>${row.map((v, k) => `<td${align(k)}>${escapeHtml(v)}</td>`).join("")}</tr>`
      ).join("")
    }</tbody></table>${note}`;
  const toMarkdown = () => {
    const esc = (s: string) => s.replace(/\|/g, "\\|");
    const lines = [
      `| ${columns.map(esc).join(" | ")} |`,
      `|${columns.map((_, k) => (numeric[k] ? "---:" : "---")).join("|")}|`,
      ...cells.map((row) => `| ${row.map(esc).join(" | ")} |`),
    ];
    return (options.caption ? `${options.caption}\n\n` : "") + lines.join("\n") + "\n" +
      (options.note ? `\n${options.note}\n` : "");
  };
  return {
    columns,
    toHTML,
    toMarkdown,
    async save(path: string) {
      const ext = extensionOf(path);
      if (ext === "html") return await writeTextAtomic(path, toHTML() + "\n");
      if (ext === "md") return await writeTextAtomic(path, toMarkdown());
      throw new Error(`cannot save a table as "${path}": use .html or .md`);
    },
    [JUPYTER_DISPLAY]: () => ({ "text/html": toHTML(), "text/plain": toMarkdown() }),
  };
}
