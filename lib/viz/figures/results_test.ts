import assert from "node:assert/strict";
import { join } from "node:path";
import type { CtCase } from "../../data/case_loader.ts";
import { writeSyntheticSet } from "../../data/synthetic.ts";
import { testCases as testCasesOf } from "../../pipeline/steps.ts";
import { profileExperiment } from "../../config/experiments.ts";
import { postprocessEffect, type PostprocessExample } from "../../inference/slice_predict.ts";
import {
  evaluateAndTabulate,
  fig3Overlays,
  postprocessingFigure,
  postprocessingTable,
} from "./results.ts";

const EXPERIMENTS = new URL("../../../experiments", import.meta.url).pathname;

Deno.test("evaluateAndTabulate writes the evaluation and Tables V-VI; fig3Overlays shows each case", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = join(tmp, "data");
    await writeSyntheticSet({ out: data, cases: 4, size: 16, seed: 1, slices: 8 });
    const cfg = await profileExperiment("liver", "smoke", data, EXPERIMENTS);
    const testCases = await testCasesOf(data, cfg);
    assert.equal(testCases.length, 1); // the smoke split of 4 cases: 2 / 1 / 1
    // A perfect prediction: the reference itself.
    const predictionsDir = join(tmp, "predictions");
    await Deno.mkdir(predictionsDir);
    for (const c of testCases) {
      await Deno.copyFile(c.segmentationPath!, join(predictionsDir, `prediction-${c.id}.nii.gz`));
    }
    const resultsDir = join(tmp, "results");
    const { evaluation, tables, files } = await evaluateAndTabulate(testCases, {
      dataRoot: data,
      predictionsDir,
      resultsDir,
      profile: "smoke",
    });
    assert.equal(evaluation.cases.length, 1);
    assert.equal(evaluation.cases[0].liver.dice, 1);
    assert.equal(evaluation.cases[0].lesionDice, 1);
    assert.match(tables.table5.title, /Table V/);
    assert.ok(files.includes(join(resultsDir, "tables", "smoke", "table5.md")));
    assert.ok((await Deno.stat(join(resultsDir, "evaluation", "smoke.json"))).isFile);

    const fig3 = await fig3Overlays(testCases, predictionsDir);
    assert.equal(fig3.cells.length, 3);
    assert.match(fig3.cells[0].caption!, new RegExp(`^case ${testCases[0].id}, z = \\d+$`));
    // Reference and prediction are the same labels, so their overlays are the same pixels.
    assert.deepEqual(fig3.cells[1].rgba, fig3.cells[2].rgba);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("postprocessing figure and table of one case", () => {
  // 4x1x2: reference liver at x 0..1 of slice 0; raw adds a stray voxel at x 3 of slice 1
  // (not 26-connected to the liver).
  const geom = {
    shape: [4, 1, 2] as [number, number, number],
    spacing: [1, 1, 1] as [number, number, number],
    affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  };
  const c: CtCase = {
    id: 5,
    volume: { data: new Int16Array(8), ...geom },
    segmentation: { data: Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0]), ...geom },
    source: "tiny",
  };
  const raw = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 1]);
  const post = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0]);
  const ex: PostprocessExample = {
    raw,
    post,
    effect: postprocessEffect(raw, post, c.segmentation),
    z: 1,
  };
  const fig = postprocessingFigure(c, ex);
  assert.deepEqual(fig.cells.map((x) => x.caption), [
    "case 5, z = 1: raw liver mask",
    "after post-processing",
    "changed: 1 voxels removed, 0 added (whole volume)",
  ]);
  // The removed voxel (x 3 of slice 1) is tinted magenta at 80 %: 0.8 * [255, 0, 255] over grey.
  const grey = fig.cells[2].rgba[0];
  assert.deepEqual([...fig.cells[2].rgba.subarray(12, 15)], [
    Math.round(grey * 0.2 + 204),
    Math.round(grey * 0.2),
    Math.round(grey * 0.2 + 204),
  ]);
  const html = postprocessingTable(c, ex).toHTML();
  assert.match(html, /Case 5: voxels, 26-connected components/);
  assert.match(html, /<td>raw<\/td><td[^>]*>3<\/td><td[^>]*>2<\/td><td[^>]*>0\.800<\/td>/);
});
