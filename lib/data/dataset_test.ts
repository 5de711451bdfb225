import assert from "node:assert/strict";
import { type CaseEntry, indexDataset, splitCases } from "./dataset.ts";
import { NiftiError } from "./nifti_error.ts";
import { writeNifti } from "./nifti_write.ts";
import type { Vec3 } from "./volume.ts";

const LPS = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];

async function put(path: string, shape: Vec3, kind: "ct" | "seg") {
  const n = shape[0] * shape[1] * shape[2];
  const data = kind === "ct" ? new Int16Array(n) : new Uint8Array(n);
  await writeNifti(path, { data, shape, spacing: [1, 1, 2], affine: LPS });
}

Deno.test("indexDataset: ids sorted numerically, headers only, unlabelled cases allowed", async () => {
  const root = await Deno.makeTempDir();
  await put(`${root}/volume-10.nii.gz`, [4, 3, 2], "ct");
  await put(`${root}/segmentation-10.nii.gz`, [4, 3, 2], "seg");
  await put(`${root}/volume-2.nii`, [5, 3, 7], "ct");
  await put(`${root}/segmentation-2.nii`, [5, 3, 7], "seg");
  await put(`${root}/volume-3.nii.gz`, [2, 2, 2], "ct");
  await Deno.writeTextFile(`${root}/README.txt`, "not a case");
  const cases = await indexDataset(root);
  assert.deepEqual(cases.map((c) => c.id), [2, 3, 10]);
  assert.deepEqual(cases[0], {
    id: 2,
    volumePath: `${root}/volume-2.nii`,
    segmentationPath: `${root}/segmentation-2.nii`,
    shape: [5, 3, 7],
    spacing: [1, 1, 2],
  });
  assert.equal(cases[1].segmentationPath, undefined);
  await assert.rejects(
    indexDataset(root, { requireSegmentation: true }),
    /1 problem\(s\): case 3: no segmentation-3\.nii\[\.gz\]/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("indexDataset reports every problem by case name", async () => {
  const root = await Deno.makeTempDir();
  await put(`${root}/volume-1.nii.gz`, [4, 3, 2], "ct");
  await put(`${root}/segmentation-1.nii.gz`, [4, 3, 3], "seg");
  await put(`${root}/segmentation-5.nii.gz`, [4, 3, 3], "seg");
  await Deno.writeTextFile(`${root}/volume-7.nii`, "garbage");
  await assert.rejects(indexDataset(root), (err: Error) => {
    assert.ok(err instanceof NiftiError);
    assert.match(err.message, /3 problem\(s\)/);
    assert.match(err.message, /case 5: segmentation-5 has no volume-5/);
    assert.match(err.message, /case 1: segmentation shape 4x3x3 differs from volume 4x3x2/);
    assert.match(err.message, /case 7: .*volume-7\.nii: not a NIfTI/);
    return true;
  });
  await assert.rejects(indexDataset(`${root}/nope`), /nope: no such folder/);
  await Deno.remove(root, { recursive: true });
});

const cases: CaseEntry[] = [...Array(20)].map((_, i) => ({
  id: i * 3,
  volumePath: `volume-${i * 3}.nii`,
  shape: [1, 1, 1],
  spacing: [1, 1, 1],
}));

Deno.test("seeded split: deterministic, disjoint, independent of input order, seed-dependent", () => {
  const cfg = { seed: 7, train: 12, validation: 5, test: 3 };
  const a = splitCases(cases, cfg);
  const b = splitCases([...cases].reverse(), cfg);
  assert.deepEqual(a, b);
  const ids = [...a.train, ...a.validation, ...a.test].map((c) => c.id);
  assert.equal(new Set(ids).size, 20);
  assert.deepEqual([a.train.length, a.validation.length, a.test.length], [12, 5, 3]);
  const c = splitCases(cases, { ...cfg, seed: 8 });
  assert.notDeepEqual(c.test.map((x) => x.id), a.test.map((x) => x.id));
  assert.throws(() => splitCases(cases, { ...cfg, train: 13 }), /21 cases, the dataset has 20/);
});

Deno.test("explicit split: ids kept in the given order; unknown ids and overlaps are errors", () => {
  const s = splitCases(cases, { train: [9, 0], validation: [3], test: [57] });
  assert.deepEqual(s.train.map((c) => c.id), [9, 0]);
  assert.deepEqual(s.test.map((c) => c.volumePath), ["volume-57.nii"]);
  assert.throws(
    () => splitCases(cases, { train: [0, 1, 2], validation: [3, 0], test: [3, 100] }),
    /split: unknown case ids 1, 2, 100; id 0 in both train and validation; id 3 in both validation and test/,
  );
});
