import assert from "node:assert/strict";
import { NiftiError } from "./nifti_error.ts";
import { readNifti } from "./nifti_read.ts";
import { writeNifti } from "./nifti_write.ts";
import { labelCounts, readSegmentation } from "./segmentation.ts";
import type { Volume } from "./volume.ts";

const SHARED = new URL("../../../shared/data/totalsegmentator/", import.meta.url).pathname;
const LPS = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

const tmp = await Deno.makeTempDir({ prefix: "seg_test_" });
addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

Deno.test("real TotalSegmentator labels: liver (5) has 38,634 voxels; LiTS check refuses them", async () => {
  const ct = await readNifti(`${SHARED}example_ct_sm.nii.gz`);
  const path = `${SHARED}example_seg.nii.gz`;
  const seg = await readSegmentation(path, ct, { allowedLabels: null });
  assert.equal(labelCounts(seg).get(5), 38634);
  assert.equal([...labelCounts(seg).values()].reduce((a, b) => a + b), 122 * 101 * 30);
  await assert.rejects(readSegmentation(path, ct), (err: Error) => {
    assert.ok(err instanceof NiftiError);
    assert.match(
      err.message,
      /example_seg\.nii\.gz: unknown labels 3 \(\d+ voxels\), .*5 \(38634 voxels\)/,
    );
    return true;
  });
});

Deno.test("shape mismatch with the volume is an error naming both files", async () => {
  const ct = await readNifti(`${SHARED}example_ct_sm.nii.gz`);
  const path = `${tmp}/segmentation-1.nii.gz`;
  await writeNifti(path, {
    data: new Uint8Array(24),
    shape: [2, 3, 4],
    spacing: [1, 1, 1],
    affine: LPS,
  });
  await assert.rejects(
    readSegmentation(path, ct),
    /segmentation-1\.nii\.gz: not on the grid of .*example_ct_sm\.nii\.gz: shape 2x3x4 != 122x101x30/,
  );
});

Deno.test("integer label files of other types are converted to Uint8Array; fractions refused", async () => {
  const ints: Volume = {
    data: new Int16Array([0, 1, 2, 1, 0, 0, 2, 2]),
    shape: [2, 2, 2],
    spacing: [1, 1, 1],
    affine: LPS,
  };
  await writeNifti(`${tmp}/i16.nii`, ints);
  const seg = await readSegmentation(`${tmp}/i16.nii`);
  assert.ok(seg.data instanceof Uint8Array);
  assert.deepEqual(labelCounts(seg), new Map([[0, 3], [1, 2], [2, 3]]));
  await writeNifti(`${tmp}/frac.nii`, {
    ...ints,
    data: new Float32Array([0, 0.5, 0, 0, 0, 0, 0, 0]),
  });
  await assert.rejects(
    readSegmentation(`${tmp}/frac.nii`),
    /frac\.nii: not a label image: value 0\.5/,
  );
});

Deno.test("labelCounts of non-uint8 data sorts keys", () => {
  assert.deepEqual([...labelCounts({ data: new Int16Array([5, -1, 5, 3]) })], [[-1, 1], [3, 1], [
    5,
    2,
  ]]);
});
