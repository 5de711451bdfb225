/**
 * The paper's tables regenerated from an evaluation: Table V (segmentation
 * metrics, liver and lesion), Table VI (detection and tumor burden), each with
 * the paper's value beside ours and the data set named; and the 2x2 ablation
 * table (ELU/ReLU x bilinear/transposed) from training runs. Written as
 * Markdown, CSV and JSON.
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
import type { Evaluation } from "./evaluate.ts";
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
      `Paper: ${PAPER_DATASET}. 9001 = undefined (empty mask), as the LiTS scoring.`,
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

/** The 2x2 ablation (rows activation, columns up-sampling), best validation Dice per cell. */
export function ablationTable(runs: AblationRun[]): Table {
  const cell = (a: string, u: string) => {
    const r = runs.filter((x) => x.activation === a && x.upsampling === u);
    if (r.length > 1) throw new Error(`two runs for ${a} x ${u}: ${r.map((x) => x.name)}`);
    if (!r[0]) return "not run";
    const test = r[0].testDicePerCase === undefined ? "" : `, test ${fmt(r[0].testDicePerCase)}`;
    return `${fmt(r[0].bestValidationDice)} (epoch ${r[0].bestEpoch}${test}; ${r[0].name})`;
  };
  return {
    title: "Ablation: activation x transition-up (liver model, best validation Dice)",
    caption: "Best validation Dice of the liver class over epochs of each run " +
      "(test Dice per case where the run was evaluated). The paper reports no numbers for this.",
    columns: ["activation", "bilinear + conv", "transposed conv"],
    rows: (["elu", "relu"] as const).map((a) => [
      a.toUpperCase(),
      cell(a, "bilinear"),
      cell(a, "transposed"),
    ]),
  };
}

/** Numbers with 3 decimals (as the paper), 9001 and infinities kept readable. */
export function fmt(v: Cell): string {
  if (v === null) return "-";
  if (typeof v === "string") return v;
  if (Number.isNaN(v)) return "n/a";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 9001) return "9001";
  return v.toFixed(3);
}

/** GitHub Markdown: title, table, caption. */
export function toMarkdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    `### ${t.title}`,
    "",
    line(t.columns),
    `|${t.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...t.rows.map((r) => line(r.map(fmt))),
    "",
    t.caption,
    "",
  ].join("\n");
}

/** RFC 4180 CSV with full-precision numbers. */
export function toCsv(t: Table): string {
  const q = (c: Cell) => {
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
        r.map((c) => (typeof c === "number" && !Number.isFinite(c) ? String(c) : c))
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
