/**
 * Papermill-style parameters for Deno notebooks.
 *
 * Convention: the cell tagged `parameters` declares every parameter with `let`
 * (`let epochs = 2;`), never `const`. Running with parameters inserts, right after
 * it, a code cell tagged `injected-parameters` that assigns the new values
 * (`epochs = 5;`). Plain assignments, not a second `let`: the parameters cell stays
 * the one place that declares them, a name not declared there is reported before the
 * kernel starts, and a parameter wrongly declared `const` fails loudly in the kernel
 * ("Assignment to constant variable") instead of silently keeping its default.
 * Re-running replaces an earlier injected cell.
 *
 * @example
 * ```ts
 * const nb2 = injectParameters(nb, { epochs: 5, cases: [0, 1] });
 * ```
 * @module
 */
import { type Cell, type CodeCell, newCodeCell, type Notebook } from "./nbformat.ts";

/** Parameter values: anything JSON can write is a valid TypeScript literal. */
export type NotebookParameters = Record<string, unknown>;

const hasTag = (cell: Cell, tag: string) => cell.metadata.tags?.includes(tag) ?? false;

/** Names the parameters cell declares with `let` (top-level, one or more per statement). */
export function declaredParameters(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/^\s*let\s+([^;]+)/gm)) {
    for (const decl of m[1].split(",")) {
      const name = /^\s*([A-Za-z_$][\w$]*)/.exec(decl)?.[1];
      if (name) names.add(name);
    }
  }
  return names;
}

/** The assignments of an injected-parameters cell. */
export function parameterSource(params: NotebookParameters): string {
  return Object.entries(params)
    .map(([name, value]) => {
      const literal = JSON.stringify(value);
      if (literal === undefined) throw new Error(`parameter ${name} has no JSON value`);
      return `${name} = ${literal};`;
    })
    .join("\n");
}

/**
 * A copy of `nb` with a cell tagged `injected-parameters` after the cell tagged
 * `parameters`. `path` names the notebook in errors: when there is no parameters
 * cell, or a parameter is not declared there with `let`.
 */
export function injectParameters(
  nb: Notebook,
  params: NotebookParameters,
  path = "<notebook>",
): Notebook {
  const cells = nb.cells.filter((c) => !hasTag(c, "injected-parameters"));
  if (Object.keys(params).length === 0) return { ...nb, cells };
  const at = cells.findIndex((c) => c.cell_type === "code" && hasTag(c, "parameters"));
  if (at < 0) throw new Error(`${path}: no code cell tagged "parameters" to inject after`);
  const declared = declaredParameters((cells[at] as CodeCell).source);
  const unknown = Object.keys(params).filter((name) => !declared.has(name));
  if (unknown.length) {
    throw new Error(
      `${path}: parameter(s) ${unknown.join(", ")} not declared with let in the parameters cell ` +
        `(declared: ${[...declared].join(", ") || "none"})`,
    );
  }
  const injected = newCodeCell(parameterSource(params), ["injected-parameters"]);
  return { ...nb, cells: [...cells.slice(0, at + 1), injected, ...cells.slice(at + 1)] };
}

/**
 * Parse a `key=value` command-line parameter: the value as JSON when it parses
 * (numbers, booleans, arrays, quoted strings), else as a plain string.
 */
export function parseParameter(arg: string): [string, unknown] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new Error(`parameter "${arg}" is not key=value`);
  const key = arg.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) {
    throw new Error(`parameter name "${key}" is not an identifier`);
  }
  const text = arg.slice(eq + 1);
  try {
    return [key, JSON.parse(text)];
  } catch {
    return [key, text];
  }
}
