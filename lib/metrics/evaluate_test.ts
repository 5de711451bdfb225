import assert from "node:assert/strict";
import { join } from "node:path";
import { writeNifti } from "../data/nifti_write.ts";
import type { Vec3, Volume } from "../data/volume.ts";
import {
  evaluateCase,
  evaluateFolders,
  evaluationToJson,
  parseEvaluationJson,
} from "./evaluate.ts";
import { paintBox } from "../masks/shapes.ts";

const SHAPE: Vec3 = [10, 10, 6];
const SPACING: Vec3 = [1, 1, 2];

function labels(paint: (m: { data: Uint8Array; shape: Vec3 }) => void, shape = SHAPE): Volume {
  const m = { data: new Uint8Array(shape[0] * shape[1] * shape[2]), shape };
  paint(m);
  const [sx, sy, sz] = SPACING;
  return { ...m, spacing: SPACING, affine: [-sx, 0, 0, 0, 0, -sy, 0, 0, 0, 0, sz, 0, 0, 0, 0, 1] };
}
const liver = (m: { data: Uint8Array; shape: Vec3 }) => paintBox(m, [2, 2, 1], [8, 8, 5], 1); // 144
const lesion = (m: { data: Uint8Array; shape: Vec3 }) => paintBox(m, [3, 3, 2], [5, 5, 4], 2); // 8

async function writeCases(dir: string) {
  await Deno.mkdir(join(dir, "pred"));
  await Deno.mkdir(join(dir, "ref"));
  // Case 1: perfect. Case 2: no reference lesion; prediction labels the whole liver 2 (no 1).
  await writeNifti(join(dir, "ref", "segmentation-1.nii"), labels((m) => (liver(m), lesion(m))));
  await writeNifti(join(dir, "pred", "prediction-1.nii.gz"), labels((m) => (liver(m), lesion(m))));
  await writeNifti(join(dir, "ref", "segmentation-2.nii.gz"), labels(liver));
  await writeNifti(
    join(dir, "pred", "prediction-2.nii"),
    labels((m) => paintBox(m, [2, 2, 1], [8, 8, 5], 2)),
  );
}

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

Deno.test("evaluateFolders: hand-computed aggregates over two cases", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCases(dir);
    const seen: string[] = [];
    const ev = await evaluateFolders(join(dir, "pred"), join(dir, "ref"), {
      dataset: "toy",
      onCase: (_d, _t, c) => seen.push(c.id),
    });
    assert.deepEqual(seen, ["1", "2"]);
    assert.equal(ev.caseCount, 2);
    assert.equal(ev.cases[1].noLiverPredicted, true);
    close(ev.liver.dice, 0.5);
    close(ev.liver.voe, 0.5);
    close(ev.liver.rvd, 9001 / 2);
    close(ev.liver.assd, 9001 / 2);
    close(ev.liver.diceGlobal, 288 / 432);
    close(ev.liver.dicePerCase, 0.5);
    assert.equal(ev.liver.noLiverCases, 1);
    close(ev.lesion.dice, 1);
    close(ev.lesion.assd, 0);
    assert.equal(ev.lesion.detected, 1);
    close(ev.lesion.diceGlobal, 16 / 160);
    close(ev.lesion.dicePerCase, 0.5);
    assert.deepEqual(
      [ev.detection.tp, ev.detection.fp, ev.detection.fn],
      [1, 1, 0],
    );
    close(ev.detection.precision, 0.5);
    close(ev.detection.recall, 1);
    close(ev.detection.precisionGreaterZero, 0.5);
    close(ev.tumorBurden.rmse, Math.sqrt(0.5));
    close(ev.tumorBurden.max, 0);
    close(ev.tumorBurden.maxAbs, 1);
    const back = parseEvaluationJson(evaluationToJson(ev));
    assert.equal(back.caseCount, 2);
    close(back.liver.rvd, 9001 / 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateFolders: a missing case is an error naming it unless allowMissing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCases(dir);
    await writeNifti(join(dir, "ref", "segmentation-3.nii"), labels(liver));
    await assert.rejects(
      evaluateFolders(join(dir, "pred"), join(dir, "ref")),
      /case 3: no prediction/,
    );
    const ev = await evaluateFolders(join(dir, "pred"), join(dir, "ref"), { allowMissing: true });
    assert.deepEqual(ev.skipped.map((s) => s.id), ["3"]);
    assert.equal(ev.dataset, "ref", "named after the references folder by default");
    assert.equal(ev.caseCount, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateFolders: a shape mismatch names the case and both files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCases(dir);
    await writeNifti(join(dir, "pred", "prediction-1.nii.gz"), labels(() => {}, [10, 10, 5]));
    await Deno.remove(join(dir, "pred", "prediction-2.nii"));
    await Deno.remove(join(dir, "ref", "segmentation-2.nii.gz"));
    await assert.rejects(
      evaluateFolders(join(dir, "pred"), join(dir, "ref")),
      /case 1: .*prediction-1.nii.gz is not on the grid of .*segmentation-1.nii: shape 10x10x5 != 10x10x6/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateCase: tumor burden is infinite without a liver", () => {
  const c = evaluateCase("9", labels(() => {}), labels(liver));
  assert.equal(c.tumorBurden.prediction, Infinity);
  assert.equal(c.tumorBurden.reference, 0);
  assert.equal(c.lesionDice, 1);
  assert.equal(c.liver.assd, 9001);
});
