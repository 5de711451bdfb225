import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/experiment.ts";
import { loadExperiment } from "../config/load.ts";
import { aggregate, evaluateCase } from "../metrics/evaluate.ts";
import type { Table } from "../reports/tables.ts";
import type { Vec3, Volume } from "../data/volume.ts";
import { buildFCDenseNet } from "../models/fc_densenet.ts";
import { caseMetricsRows, configRows, modelSummary, paperTable } from "./report_tables.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";

await tf.setBackend("cpu");
const LIVER = new URL("../../experiments/liver.json", import.meta.url).pathname;
const SMALL: ModelConfig = {
  ...PAPER_LIVER_MODEL,
  firstFilters: 4,
  growthRate: 2,
  layersPerBlock: 2,
  poolingLevels: 2,
};

Deno.test("configRows flattens the resolved config by section", async () => {
  const cfg = await loadExperiment(LIVER, { profile: "paper" });
  const rows = configRows(cfg);
  const find = (section: string, setting: string) =>
    rows.find((r) => r.section === section && r.setting === setting)?.value;
  assert.equal(find("data", "windows"), "[[-100,300]]");
  assert.equal(find("data", "weights.contour"), "25");
  assert.equal(find("data", "inputSize"), "256");
  assert.equal(find("model", "activation"), "elu");
  assert.equal(find("train", "loss.crossEntropy"), "1");
  assert.equal(find("postprocess", "dilationRadius"), "5");
  assert.deepEqual([...new Set(rows.map((r) => r.section))], [
    "data",
    "model",
    "train",
    "postprocess",
  ]);
});

Deno.test("modelSummary groups layers into blocks and counts parameters", () => {
  const model = buildFCDenseNet(SMALL, 16, { seed: 1 });
  const { rows, parameters, table } = modelSummary(model);
  assert.equal(parameters, model.countParams());
  assert.equal(rows.reduce((s, r) => s + r.parameters, 0), parameters);
  assert.equal(rows.reduce((s, r) => s + r.layers, 0), model.layers.length);
  assert.deepEqual(rows.slice(0, 2), [
    { block: "image", layers: 1, output: "16 x 16 x 1", parameters: 0 },
    // 3x3 conv, 1 -> 4 filters with bias: 9 * 4 + 4.
    { block: "first", layers: 1, output: "16 x 16 x 4", parameters: 40 },
  ]);
  // 2 pooling levels: down0 td0 down1 td1 bottleneck tu0 up0 tu1 up1, then the SBU and classifier.
  assert.deepEqual(rows.slice(2).map((r) => r.block).filter((b) => /\d$|bottleneck/.test(b)), [
    "down0",
    "td0",
    "down1",
    "td1",
    "bottleneck",
    "tu0",
    "up0",
    "tu1",
    "up1",
  ]);
  assert.equal(rows.at(-1)!.output, "32 x 32 x 2");
  assert.match(table.toHTML(), new RegExp(`${model.layers.length} layers`));
  model.dispose();
});

Deno.test("paperTable formats cells as the paper (3 decimals, 9001 as undefined, -)", () => {
  const t: Table = {
    title: "T",
    caption: "c",
    columns: ["metric", "ours", "paper"],
    rows: [["dice", 0.91234, 0.912], ["msd", 9001, null]],
  };
  assert.equal(
    paperTable(t).toMarkdown(),
    "T\n\n| metric | ours | paper |\n|---|---|---|\n| dice | 0.912 | 0.912 |\n| msd | undefined | - |\n" +
      "\nc\n",
  );
  // The caption is the title; the long text goes below the table, as wide as the page's text.
  assert.match(
    paperTable(t).toHTML(),
    /^<table><caption>T<\/caption>.*<\/table><p style="[^"]*">c<\/p>$/,
  );
});

Deno.test("caseMetricsRows: one row per case with liver and lesion metrics", () => {
  const shape: Vec3 = [4, 1, 1];
  const ref: Volume = {
    data: Uint8Array.from([1, 1, 2, 0]),
    shape,
    spacing: [1, 1, 1],
    affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  };
  const pred = { data: Uint8Array.from([1, 0, 2, 1]), shape };
  const ev = aggregate([evaluateCase("7", pred, ref)]);
  const [row] = caseMetricsRows(ev);
  // Liver (>= 1): pred {0,2,3}, ref {0,1,2}: overlap 2, dice 4/6. Lesion: both {2}: dice 1.
  assert.equal(row.case, "7");
  assert.equal(row["liver dice"], 4 / 6);
  assert.equal(row["lesion dice"], 1);
  assert.equal(row["TP / FP / FN"], "1 / 0 / 0");
  assert.equal(row["burden ref"], 1 / 3);
  assert.equal(row["burden pred"], 1 / 3);
});
