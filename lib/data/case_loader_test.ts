import assert from "node:assert/strict";
import { join } from "node:path";
import { caseSliceCounts, loadCase } from "./case_loader.ts";
import { valueRange } from "./preprocess.ts";
import { writeSyntheticSet } from "./synthetic.ts";
import type { Volume } from "./volume.ts";

Deno.test("loadCase reads volume-N and segmentation-N of a LiTS folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeSyntheticSet({ out: dir, cases: 2, size: 16, seed: 1, slices: 6 });
    const c = await loadCase(dir, 1);
    assert.equal(c.id, 1);
    assert.equal(c.source, join(dir, "volume-1.nii"));
    assert.deepEqual(c.volume.shape, [16, 16, 6]);
    assert.deepEqual(c.segmentation.shape, [16, 16, 6]);
    await Deno.remove(join(dir, "segmentation-0.nii.gz"));
    await assert.rejects(loadCase(dir, 0), /volume-0\.nii: no segmentation-0/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCase fails naming the folder when it lacks the case or does not exist", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeSyntheticSet({ out: dir, cases: 2, size: 16, seed: 1, slices: 4 });
    await assert.rejects(
      loadCase(dir, 7),
      new RegExp(`^NiftiError: ${dir}: no case 7 .*it has 0, 1$`),
    );
    await assert.rejects(loadCase(join(dir, "typo"), 0), /typo: no such folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("caseSliceCounts and valueRange", () => {
  const seg: Volume = {
    // 2x1x3, per slice: [1,2] [0,0] [2,2]
    data: Uint8Array.from([1, 2, 0, 0, 2, 2]),
    shape: [2, 1, 3],
    spacing: [1, 1, 1],
    affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  };
  assert.deepEqual(caseSliceCounts(seg), [
    { z: 0, liver: 2, tumor: 1 },
    { z: 1, liver: 0, tumor: 0 },
    { z: 2, liver: 2, tumor: 2 },
  ]);
  assert.deepEqual(valueRange({ data: Int16Array.from([-1024, 40, 3071, 0]) }), [-1024, 3071]);
});
