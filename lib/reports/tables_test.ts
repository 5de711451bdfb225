import assert from "node:assert/strict";
import { join } from "node:path";
import type { Vec3, Volume } from "../data/volume.ts";
import { aggregate, evaluateCase } from "../metrics/evaluate.ts";
import { paintBox } from "../masks/shapes.ts";
import { ablationTable, fmt, tableV, tableVI, toCsv, toMarkdown, writeTables } from "./tables.ts";

function vol(paint: (m: { data: Uint8Array; shape: Vec3 }) => void): Volume {
  const m = { data: new Uint8Array(8 * 8 * 4), shape: [8, 8, 4] as Vec3 };
  paint(m);
  return { ...m, spacing: [1, 1, 1], affine: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
}

const ev = aggregate(
  [
    evaluateCase(
      "0",
      vol((m) => paintBox(m, [1, 1, 1], [5, 5, 3])),
      vol((m) => paintBox(m, [1, 1, 1], [5, 5, 3])),
    ),
  ],
  { dataset: "synthetic", skipped: [] },
);

Deno.test("Table V puts ours beside the paper's and names the data set", () => {
  const t = tableV(ev);
  assert.deepEqual(t.rows[1], ["dice global", 1, 0.923, 1, 0.625]);
  // No lesion anywhere: no detection, so lesion metrics take the empty-mask values.
  assert.deepEqual(t.rows[0], ["voe", 0, 0.15, 1, 0.411]);
  assert.match(t.caption, /synthetic, 1 case/);
  const md = toMarkdown(t);
  assert.match(md, /\| rvd \| 0\.000 \| -0\.008 \| undefined \| 19\.705 \|/);
});

Deno.test("Table VI has the signed max and max |diff| rows; CSV keeps full precision", () => {
  const t = tableVI(ev);
  assert.equal(t.rows.length, 7);
  assert.deepEqual(t.rows[4], ["tumor burden rmse", 0, 0.044]);
  assert.match(toCsv(t), /^metric,ours,paper\nrecall,0,0\.348\n/);
  assert.equal(fmt(Infinity), "inf");
  assert.equal(fmt(null), "-");
});

Deno.test("ablation table: one row per cell, numbers in numeric columns, missing cells marked", () => {
  const t = ablationTable([
    {
      activation: "elu",
      upsampling: "bilinear",
      name: "liver",
      bestValidationDice: 0.9,
      bestEpoch: 3,
    },
    {
      activation: "relu",
      upsampling: "transposed",
      name: "ablation-relu-transposed",
      bestValidationDice: 0.85,
      bestEpoch: 5,
      testDicePerCase: 0.8,
    },
  ]);
  assert.deepEqual(t.rows, [
    ["ELU", "bilinear + conv", 0.9, 3, null, "liver"],
    ["ELU", "transposed conv", null, null, null, "not run"],
    ["RELU", "bilinear + conv", null, null, null, "not run"],
    ["RELU", "transposed conv", 0.85, 5, 0.8, "ablation-relu-transposed"],
  ]);
  assert.match(toCsv(t), /\nELU,bilinear \+ conv,0\.9,3,,liver\n/);
  assert.match(toMarkdown(t), /\| ELU \| bilinear \+ conv \| 0\.900 \| 3 \| - \| liver \|/);
});

Deno.test("LiTS's 9001 reads undefined, and other tools get no number for it", async () => {
  const t = {
    title: "t",
    caption: "c",
    columns: ["metric", "ours"],
    rows: [["assd (mm)", 9001], ["dice", 0.5], ["rvd", NaN]],
  };
  assert.equal(fmt(9001), "undefined");
  assert.match(toMarkdown(t), /\| assd \(mm\) \| undefined \|/);
  assert.equal(toCsv(t), "metric,ours\nassd (mm),\ndice,0.5\nrvd,\n");
  const dir = await Deno.makeTempDir();
  try {
    await writeTables(dir, { t });
    const json = JSON.parse(await Deno.readTextFile(join(dir, "t.json")));
    assert.deepEqual(json.rows, [["assd (mm)", null], ["dice", 0.5], ["rvd", null]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTables writes md, csv and json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = await writeTables(dir, { table5: tableV(ev) });
    assert.deepEqual(paths.map((p) => p.slice(dir.length + 1)), [
      "table5.md",
      "table5.csv",
      "table5.json",
    ]);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "table5.json")));
    assert.equal(json.rows[2][2], 0.912);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
