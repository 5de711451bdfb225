/**
 * Tables the paper notebooks show: a resolved experiment config, a network
 * summary grouped by block, the evaluation's tables (Table V, VI, ablation) and
 * per-case metrics, all as {@link htmlTable}s.
 *
 * @example
 * ```ts
 * configTable(cfg);                  // section | setting | value
 * modelSummary(model).table;         // block | layers | output | parameters
 * paperTable(tableV(evaluation));    // Table V, ours beside the paper's
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { Evaluation } from "../metrics/evaluate.ts";
import { fmtCell, type Table } from "../reports/tables.ts";
import { htmlTable, type TableFigure } from "./table.ts";

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, Array.isArray(value) ? JSON.stringify(value) : String(value)]);
  }
}

/** One row per setting of `data`, `model`, `train`, `postprocess` (nested keys dotted). */
export function configRows(
  cfg: ExperimentConfig,
): { section: string; setting: string; value: string }[] {
  return (["data", "model", "train", "postprocess"] as const).flatMap((section) => {
    if (cfg[section] === undefined) return []; // a tumor experiment has no postprocess
    const pairs: [string, string][] = [];
    flatten(cfg[section], "", pairs);
    return pairs.map(([setting, value]) => ({ section, setting, value }));
  });
}

/** The resolved config as a table, captioned with its name and profile, its description below. */
export function configTable(cfg: ExperimentConfig): TableFigure {
  return htmlTable(configRows(cfg), {
    caption: `${cfg.name} (profile ${cfg.profile})`,
    note: cfg.description,
  });
}

/** One row of a {@link modelSummary}: the layers of a block. */
export interface BlockRow {
  block: string;
  layers: number;
  /** Output shape of the block's last layer, without the batch axis. */
  output: string;
  parameters: number;
}

/** Block of a layer: its name up to the first `_` (`down0_layer1_conv` -> `down0`). */
function blockOf(name: string): string {
  const i = name.indexOf("_");
  return i > 0 ? name.slice(0, i) : name;
}

/**
 * Layers grouped into consecutive blocks by name prefix (first_conv, down0,
 * td0, ..., bottleneck, tu0, up0, ..., classifier), with parameter counts;
 * `note` (e.g. the input and output shapes) leads the table's caption.
 */
export function modelSummary(
  model: tf.LayersModel,
  note?: string,
): { rows: BlockRow[]; parameters: number; table: TableFigure } {
  const rows: BlockRow[] = [];
  for (const layer of model.layers) {
    const block = blockOf(layer.name);
    const shape = layer.outputShape as (number | null)[];
    const output = shape.slice(1).join(" x ");
    const last = rows.at(-1);
    if (last?.block === block) {
      last.layers++;
      last.output = output;
      last.parameters += layer.countParams();
    } else {
      rows.push({ block, layers: 1, output, parameters: layer.countParams() });
    }
  }
  const parameters = model.countParams();
  const table = htmlTable(
    [...rows, {
      block: "total",
      layers: model.layers.length,
      output: "",
      parameters,
    }] as unknown as Record<string, unknown>[],
    {
      caption: `${note ? `${note}, ` : ""}${model.layers.length} layers, ${
        parameters.toLocaleString("en")
      } parameters`,
    },
  );
  return { rows, parameters, table };
}

/** A Table of `lib/reports/tables.ts` (numbers formatted as the paper's, 3 decimals). */
export function paperTable(t: Table): TableFigure {
  return htmlTable(
    t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, fmtCell(t, r, i)]))),
    { columns: t.columns, caption: t.title, note: t.caption },
  );
}

/** Per-case rows: liver and lesion overlap, detection counts, tumor burden. */
export function caseMetricsRows(ev: Evaluation): Record<string, number | string>[] {
  return ev.cases.map((c) => ({
    case: c.id,
    "liver dice": c.liver.dice,
    "liver voe": c.liver.voe,
    "liver assd (mm)": c.liver.assd,
    "liver msd (mm)": c.liver.msd,
    "lesion dice": c.lesionDice,
    "TP / FP / FN": `${c.detection.tp} / ${c.detection.fp} / ${c.detection.fn}`,
    "burden ref": c.tumorBurden.reference,
    "burden pred": c.tumorBurden.prediction,
  }));
}

/** {@link caseMetricsRows} as a table. */
export function caseMetricsTable(ev: Evaluation): TableFigure {
  return htmlTable(caseMetricsRows(ev), {
    caption: `Per case (${ev.dataset ?? "data set"}); lesion dice 1 when neither has a lesion`,
  });
}
