import assert from "node:assert/strict";
import type { Volume } from "./volume.ts";
import { liverMedian, liverOffset, referenceLiver, referenceOffset } from "./liver_reference.ts";

const I = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const vol: Volume<Int16Array> = {
  data: Int16Array.from([-1000, 70, 40, 90, 400, 80, 10, 75]),
  shape: [2, 2, 2],
  spacing: [1, 1, 1],
  affine: I,
  source: {
    path: "volume-7.nii",
    orientation: {
      perm: [0, 1, 2],
      flip: [false, false, false],
      code: "LPS",
      affine: I,
      datatype: "int16",
    },
  },
};

Deno.test("liverMedian: median over the mask only (odd and even counts)", () => {
  // Liver 70, 40, 90, 80, 10 (a dark tumor): median 70, the air and bone do not count.
  assert.equal(liverMedian(vol, [0, 1, 1, 1, 0, 1, 1, 0]), 70);
  assert.equal(liverMedian(vol, [0, 1, 1, 1, 0, 1, 1, 1]), 72.5);
  assert.equal(liverOffset(vol, [0, 1, 1, 1, 0, 1, 1, 0], 60), -10);
});

Deno.test("liverMedian: an empty or mis-sized mask names the volume", () => {
  assert.throws(() => liverMedian(vol, new Uint8Array(8)), /liver mask of volume-7\.nii is empty/);
  assert.throws(() => liverMedian(vol, new Uint8Array(4)), /4 voxels, volume-7\.nii has 8/);
});

Deno.test("referenceOffset: 0 without liverMedianHU, else measured on labels >= 1", () => {
  const seg: Volume<Uint8Array> = { ...vol, data: Uint8Array.from([0, 1, 2, 1, 0, 1, 2, 0]) };
  assert.deepEqual([...referenceLiver(seg)], [0, 1, 1, 1, 0, 1, 1, 0]);
  assert.equal(referenceOffset({}, vol, seg), 0);
  assert.equal(referenceOffset({ liverMedianHU: 100 }, vol, seg), 30);
});
