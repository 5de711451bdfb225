import assert from "node:assert/strict";
import { detectLesions } from "./lesion_detection.ts";
import { emptyMask, paintBox } from "../masks/shapes.ts";

const S: [number, number, number] = [30, 20, 20];
const sp: [number, number, number] = [1, 1, 1];

Deno.test("a reference lesion split into two predictions is one detected group", () => {
  const ref = paintBox(emptyMask(S), [2, 2, 2], [8, 4, 4]); // 24 voxels
  const pred = paintBox(emptyMask(S), [2, 2, 2], [4, 4, 4]);
  paintBox(pred, [6, 2, 2], [8, 4, 4]); // 16 voxels in two pieces
  const d = detectLesions(pred, ref, sp);
  assert.deepEqual([d.groups, d.predObjects, d.refObjects], [1, 1, 1]);
  assert.deepEqual(d.groupIou, [16 / 24]);
  assert.deepEqual([d.tp, d.fp, d.fn, d.tpAny, d.fpAny, d.fnAny], [1, 0, 0, 1, 0, 0]);
  assert.equal(d.detectedMetrics.length, 1);
  assert.ok(Math.abs(d.detectedMetrics[0].dice - 32 / 40) < 1e-12);
});

Deno.test("two reference lesions merged by one prediction, plus unmatched objects", () => {
  const ref = paintBox(emptyMask(S), [2, 2, 2], [5, 5, 5]); // 27
  paintBox(ref, [6, 2, 2], [9, 5, 5]); // 27
  paintBox(ref, [20, 10, 10], [22, 12, 12]); // missed: FN
  const pred = paintBox(emptyMask(S), [2, 2, 2], [9, 5, 5]); // 63 covers both + gap
  paintBox(pred, [12, 15, 15], [14, 17, 17]); // overlaps nothing: FP
  const d = detectLesions(pred, ref, sp);
  assert.deepEqual(d.groupIou, [54 / 63]);
  assert.deepEqual([d.predObjects, d.refObjects], [2, 2]);
  assert.deepEqual([d.tp, d.fp, d.fn], [1, 1, 1]);
});

Deno.test("a group below IoU 0.5 counts only at threshold 0", () => {
  const ref = paintBox(emptyMask(S), [2, 2, 2], [12, 12, 12]); // 1000
  const pred = paintBox(emptyMask(S), [4, 4, 4], [6, 6, 6]); // 8 inside
  const d = detectLesions(pred, ref, sp);
  assert.deepEqual([d.tp, d.fp, d.fn], [0, 1, 1]);
  assert.deepEqual([d.tpAny, d.fpAny, d.fnAny], [1, 0, 0]);
  assert.equal(d.detectedMetrics.length, 0);
});

Deno.test("no reference lesion: every predicted object is a false positive", () => {
  const pred = paintBox(emptyMask(S), [2, 2, 2], [4, 4, 4]);
  pred.data[10 + 30 * (10 + 20 * 10)] = 1;
  pred.data[11 + 30 * (11 + 20 * 10)] = 1; // diagonal: a separate 6-connected object
  const d = detectLesions(pred, emptyMask(S), sp);
  assert.deepEqual([d.tp, d.fp, d.fn, d.fpAny], [0, 3, 0, 3]);
});

Deno.test("empty prediction: every reference lesion is missed; both empty: all zero", () => {
  const ref = paintBox(emptyMask(S), [2, 2, 2], [4, 4, 4]);
  paintBox(ref, [10, 2, 2], [14, 4, 4]);
  const d = detectLesions(emptyMask(S), ref, sp);
  assert.deepEqual([d.tp, d.fp, d.fn, d.fnAny], [0, 0, 2, 2]);
  const e = detectLesions(emptyMask(S), emptyMask(S), sp);
  assert.deepEqual([e.tp, e.fp, e.fn, e.groups], [0, 0, 0, 0]);
});
