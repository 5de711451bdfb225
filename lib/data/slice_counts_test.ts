import assert from "node:assert/strict";
import { isLiver, isTumor } from "./segmentation.ts";
import { showcaseSlice, sliceCounts, topSlices } from "./slice_counts.ts";
import type { Vec3, Volume } from "./volume.ts";

const seg = (labels: number[], shape: Vec3): Volume => ({
  data: Uint8Array.from(labels),
  shape,
  spacing: [1, 1, 1],
  affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
});

Deno.test("sliceCounts and topSlices count labels per slice", () => {
  // 2x1x4, per slice: [0,0] [1,2] [2,2] [1,1]
  const s = seg([0, 0, 1, 2, 2, 2, 1, 1], [2, 1, 4]);
  assert.deepEqual(sliceCounts(s, isLiver), [0, 2, 2, 2]);
  assert.deepEqual(sliceCounts(s, isTumor), [0, 1, 2, 0]);
  assert.deepEqual(topSlices(s, isLiver, 2), [1, 2]); // ties go to the lower z
  assert.deepEqual(topSlices(s, isTumor, 5), [1, 2]);
});

Deno.test("showcaseSlice: the most tumor, else the most liver, else 0", () => {
  assert.equal(showcaseSlice(seg([0, 0, 1, 2, 2, 2, 1, 1], [2, 1, 4])), 2);
  assert.equal(showcaseSlice(seg([0, 0, 1, 0, 1, 1, 0, 1], [2, 1, 4])), 2);
  assert.equal(showcaseSlice(seg([0, 0, 0, 0], [2, 1, 2])), 0);
});
