/**
 * The paper's tables regenerated from an evaluation: Table V (segmentation
 * metrics, liver and lesion), Table VI (detection and tumor burden), each with
 * the paper's value beside ours and the data set named; and the 2x2 ablation
 * table (ELU/ReLU x bilinear/transposed) from training runs. Written as
 * Markdown, CSV and JSON. Numeric columns hold only numbers (annotations such as
 * the epoch or the run have their own columns), and LiTS's 9001 ("undefined",
 * e.g. a distance to an empty mask) is written as `undefined` in Markdown and
 * HTML, an empty CSV cell and `null` in JSON, so other tools read no 9001.
 *
 * @example
 * ```ts
 * const ev = parseEvaluationJson(await Deno.readTextFile("results/eval.json"));
 * await writeTables("results/tables", { table5: tableV(ev), table6: tableVI(ev) });
 * ```
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomic.ts";
import type { Evaluation } from "../metrics/evaluate.ts";
import { EMPTY_VALUE } from "../metrics/overlap.ts";
import {
  PAPER_DATASET,
  PAPER_TABLE_V,
  PAPER_TABLE_VI,
  TABLE_V_ROWS,
  type TableVKey,
} from "./paper_results.ts";

export type Cell = string | number | null;

/** A titled table; numbers stay numbers until formatted. */
export interface Table {
  title: string;
  /** Where the numbers come from (data set, case count, caveats). */
  caption: string;
  columns: string[];
  rows: Cell[][];
  /** Columns of counts (an epoch), shown without decimals. */
  integerColumns?: string[];
}

const ROW_NAMES: Record<TableVKey, string> = {
  voe: "voe",
  diceGlobal: "dice global",
  dice: "dice",
  rmsd: "rmsd (mm)",
  rvd: "rvd",
  assd: "assd (mm)",
  jaccard: "jaccard",
  dicePerCase: "dice per case",
  msd: "msd (mm)",
};

/** "synthetic, 2 cases" style name of what an evaluation covered. */
export function datasetLabel(ev: Evaluation): string {
  const name = ev.dataset ?? "unnamed data set";
  const skipped = ev.skipped?.length ? `, ${ev.skipped.length} skipped` : "";
  return `${name}, ${ev.caseCount} case${ev.caseCount === 1 ? "" : "s"}${skipped}`;
}

/** Table V: segmentation metrics of liver and lesion, ours beside the paper's. */
export function tableV(ev: Evaluation): Table {
  return {
    title: "Table V: segmentation metrics",
    caption:
      `Ours: ${datasetLabel(ev)} (${ev.lesion.detected} lesion${
        ev.lesion.detected === 1 ? "" : "s"
      } detected at IoU > 0.5` +
      `${ev.liver.noLiverCases ? `, ${ev.liver.noLiverCases} cases without liver` : ""}). ` +
      `Paper: ${PAPER_DATASET}. undefined: LiTS's 9001 (a distance to an empty mask; ` +
      `an empty cell in CSV, null in JSON).`,
    columns: ["metric", "liver (ours)", "liver (paper)", "lesion (ours)", "lesion (paper)"],
    rows: TABLE_V_ROWS.map((k) => [
      ROW_NAMES[k],
      ev.liver[k],
      PAPER_TABLE_V.liver[k],
      ev.lesion[k],
      PAPER_TABLE_V.lesion[k],
    ]),
  };
}

/** Table VI: lesion detection and tumor burden, ours beside the paper's. */
export function tableVI(ev: Evaluation): Table {
  const d = ev.detection, tb = ev.tumorBurden, p = PAPER_TABLE_VI;
  return {
    title: "Table VI: lesion detection and tumor burden",
    caption: `Ours: ${datasetLabel(ev)} (TP ${d.tp}, FP ${d.fp}, FN ${d.fn} at IoU > 0.5). ` +
      `Paper: ${PAPER_DATASET}. max = largest signed reference - prediction burden ` +
      `(official); max |diff| has no paper value.`,
    columns: ["metric", "ours", "paper"],
    rows: [
      ["recall", d.recall, p.detection.recall],
      ["precision", d.precision, p.detection.precision],
      ["recall_greater_zero", d.recallGreaterZero, p.detection.recallGreaterZero],
      ["precision_greater_zero", d.precisionGreaterZero, p.detection.precisionGreaterZero],
      ["tumor burden rmse", tb.rmse, p.tumorBurden.rmse],
      ["tumor burden max", tb.max, p.tumorBurden.max],
      ["tumor burden max |diff|", tb.maxAbs, null],
    ],
  };
}

/** One cell of the ablation: a training run and what it reached. */
export interface AblationRun {
  activation: "elu" | "relu";
  upsampling: "bilinear" | "transposed";
  name: string;
  /** Best validation Dice over epochs, and the epoch. */
  bestValidationDice: number;
  bestEpoch: number;
  /** Validation Dice of each epoch, first to last. */
  validationDice?: number[];
  /** Optional test-set liver Dice per case from an evaluation of the run. */
  testDicePerCase?: number;
}

/**
 * The 2x2 ablation, one row per cell (activation x up-sampling): best validation
 * Dice, its epoch, test Dice per case (when evaluated) and the run, each in its own
 * column; a cell without a run has empty numbers and run "not run".
 */
export function ablationTable(runs: AblationRun[]): Table {
  const UP = { bilinear: "bilinear + conv", transposed: "transposed conv" } as const;
  const rows = (["elu", "relu"] as const).flatMap((a) =>
    (["bilinear", "transposed"] as const).map((u): Cell[] => {
      const r = runs.filter((x) => x.activation === a && x.upsampling === u);
      if (r.length > 1) throw new Error(`two runs for ${a} x ${u}: ${r.map((x) => x.name)}`);
      const run = r[0];
      if (!run) return [a.toUpperCase(), UP[u], null, null, null, "not run"];
      return [
        a.toUpperCase(),
        UP[u],
        run.bestValidationDice,
        run.bestEpoch,
        run.testDicePerCase ?? null,
        run.name,
      ];
    })
  );
  return {
    title: "Ablation: activation x transition-up (liver model, best validation Dice)",
    caption: "Best validation Dice of the liver class over epochs of each run, the epoch it " +
      "was reached, and the test Dice per case where the run was evaluated. The paper reports " +
      "no numbers for this.",
    columns: [
      "activation",
      "transition up",
      "best validation dice",
      "best epoch",
      "test dice per case",
      "run",
    ],
    integerColumns: ["best epoch"],
    rows,
  };
}

/** Numbers with 3 decimals (as the paper), 9001 reads "undefined". */
export function fmt(v: Cell, digits = 3): string {
  if (v === null) return "-";
  if (typeof v === "string") return v;
  if (Number.isNaN(v)) return "n/a";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === EMPTY_VALUE) return "undefined";
  return v.toFixed(digits);
}

/** Column `k` of row `r` of `t`, formatted ({@link fmt}; integer columns without decimals). */
export function fmtCell(t: Table, r: Cell[], k: number): string {
  return fmt(r[k], t.integerColumns?.includes(t.columns[k]) ? 0 : 3);
}

/** A cell as other tools should read it: no 9001 or NaN number (null instead). */
function exportCell(c: Cell): Cell {
  return typeof c === "number" && (c === EMPTY_VALUE || Number.isNaN(c)) ? null : c;
}

/** GitHub Markdown: title, table, caption. */
export function toMarkdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    `### ${t.title}`,
    "",
    line(t.columns),
    `|${t.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...t.rows.map((r) => line(r.map((_, k) => fmtCell(t, r, k)))),
    "",
    t.caption,
    "",
  ].join("\n");
}

/** RFC 4180 CSV with full-precision numbers; undefined values (9001, NaN) are empty cells. */
export function toCsv(t: Table): string {
  const q = (cell: Cell) => {
    const c = exportCell(cell);
    const s = c === null ? "" : typeof c === "number" ? String(c) : c;
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(q).join(",")).join("\n") + "\n";
}

/** Write each table as `<name>.md`, `<name>.csv` and `<name>.json` into `dir`; returns the paths. */
export async function writeTables(dir: string, tables: Record<string, Table>): Promise<string[]> {
  const paths: string[] = [];
  for (const [name, t] of Object.entries(tables)) {
    const base = join(dir, name);
    await writeTextAtomic(`${base}.md`, toMarkdown(t));
    await writeTextAtomic(`${base}.csv`, toCsv(t));
    await writeJsonAtomic(`${base}.json`, {
      ...t,
      rows: t.rows.map((r) =>
        r.map(exportCell).map((c) => (typeof c === "number" && !Number.isFinite(c) ? String(c) : c))
      ),
    });
    paths.push(`${base}.md`, `${base}.csv`, `${base}.json`);
  }
  return paths;
}

/** A short plain-text summary of an evaluation for the terminal. */
export function summaryText(ev: Evaluation): string {
  return [tableV(ev), tableVI(ev)].map(toMarkdown).join("\n");
}
