import assert from "node:assert/strict";
import type { Volume } from "./volume.ts";
import { selectSlices } from "./slice_selection.ts";

/** A 2x1xN volume whose slice z holds labels [0, perSlice[z]]. */
function column(perSlice: number[]): Volume<Uint8Array> {
  const data = new Uint8Array(perSlice.length * 2);
  perSlice.forEach((v, z) => (data[2 * z + 1] = v));
  return { data, shape: [2, 1, perSlice.length], spacing: [1, 1, 1], affine: [] };
}

Deno.test("liver slices (label >= 1) plus margin, clipped at the top", () => {
  const seg = column([0, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(selectSlices(seg, "liver", 2), [2, 3, 4, 5, 6, 7, 8, 11, 12, 13]);
  assert.deepEqual(selectSlices(seg, "liver", 0), [4, 5, 6, 13]);
});

Deno.test("tumor slices (label 2) keep the gap between two tumors, clipped at the bottom", () => {
  const seg = column([2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 0]);
  assert.deepEqual(selectSlices(seg, "tumor", 1), [0, 1, 6, 7, 8]);
  assert.deepEqual(selectSlices(seg, "tumor", 3), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("no label -> no slice; bad margin is an error", () => {
  assert.deepEqual(selectSlices(column([0, 1, 1, 0]), "tumor", 5), []);
  assert.throws(() => selectSlices(column([1]), "liver", -1), /margin/);
});
