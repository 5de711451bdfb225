import assert from "node:assert/strict";
import { join } from "node:path";
import { generateCase, writeSyntheticSet } from "./synthetic.ts";
import { readNifti } from "./nifti_read.ts";

function labelSlices(seg: Uint8Array, n: number, nz: number, min: number): number[] {
  const out: number[] = [];
  for (let z = 0; z < nz; z++) {
    if (seg.subarray(z * n, (z + 1) * n).some((v) => v >= min)) out.push(z);
  }
  return out;
}

Deno.test("a case is deterministic from (seed, id) and differs across ids", () => {
  const a = generateCase(4, { seed: 9, size: 48, slices: 12 });
  const b = generateCase(4, { seed: 9, size: 48, slices: 12 });
  const c = generateCase(5, { seed: 9, size: 48, slices: 12 });
  assert.deepEqual(a.volume.data, b.volume.data);
  assert.deepEqual(a.segmentation.data, b.segmentation.data);
  assert.notDeepEqual(a.volume.data, c.volume.data);
});

Deno.test("shape, labels, HU ranges and a liver spanning only part of the slices", () => {
  const { volume, segmentation } = generateCase(0, {
    seed: 1,
    size: 64,
    slices: 30,
    tumorCount: 3,
  });
  assert.deepEqual(volume.shape, [64, 64, 30]);
  assert.deepEqual(segmentation.shape, [64, 64, 30]);
  assert.ok(volume.data instanceof Int16Array && segmentation.data instanceof Uint8Array);
  assert.ok(segmentation.data.every((v) => v <= 2));
  const n = 64 * 64;
  const liver = labelSlices(segmentation.data, n, 30, 1);
  assert.ok(liver.length > 5 && liver.length < 30, `liver on ${liver.length} of 30 slices`);
  assert.ok(liver[0] > 0 && liver[liver.length - 1] < 29, "slices without liver at both ends");
  // Corner voxel is air; mean liver HU is liver-like; tumors are darker or brighter but inside the liver.
  assert.ok(volume.data[0] < -900);
  let sum = 0, count = 0;
  for (let k = 0; k < volume.data.length; k++) {
    if (segmentation.data[k] === 1) {
      sum += volume.data[k];
      count++;
    }
  }
  assert.ok(sum / count > 40 && sum / count < 140, `mean liver HU ${sum / count}`);
  assert.ok(segmentation.data.includes(2), "three tumors leave tumor voxels");
  // Spacing keeps the physical field of view: 4x the pixels, a quarter the spacing.
  const big = generateCase(0, { seed: 1, size: 256, slices: 30, tumorCount: 3 });
  assert.ok(Math.abs(big.volume.spacing[0] * 4 - volume.spacing[0]) < 1e-9);
  assert.equal(big.volume.spacing[2], volume.spacing[2]);
  // Affine: LPS voxel order -> RAS world (x and y negated).
  assert.ok(volume.affine[0] < 0 && volume.affine[5] < 0 && volume.affine[10] > 0);
});

Deno.test("tumorCount 0 gives no tumor label", () => {
  const { segmentation } = generateCase(1, { seed: 2, size: 48, slices: 16, tumorCount: 0 });
  assert.ok(!segmentation.data.includes(2));
  assert.ok(segmentation.data.includes(1));
});

Deno.test("writeSyntheticSet writes a LiTS-layout folder that reads back", async () => {
  const out = await Deno.makeTempDir();
  try {
    const seen: number[] = [];
    const summary = await writeSyntheticSet({
      out,
      cases: 3,
      size: 32,
      slices: 10,
      seed: 3,
      onProgress: (done) => seen.push(done),
    });
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(summary.cases.length, 3);
    assert.equal(summary.cases[2].tumorVoxels, 0, "id 2 is tumor-free");
    const vol = await readNifti(join(out, "volume-1.nii"));
    const seg = await readNifti(join(out, "segmentation-1.nii.gz"));
    const mem = generateCase(1, { seed: 3, size: 32, slices: 10 });
    assert.deepEqual(vol.shape, [32, 32, 10]);
    assert.deepEqual(Array.from(vol.data), Array.from(mem.volume.data));
    assert.deepEqual(Array.from(seg.data), Array.from(mem.segmentation.data));
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(vol.spacing[i] - mem.volume.spacing[i]) < 1e-4);
    const json = JSON.parse(await Deno.readTextFile(join(out, "synthetic.json")));
    assert.equal(json.cases[1].liverVoxels, summary.cases[1].liverVoxels);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("writeSyntheticSet replaces a gzipped volume an earlier version wrote", async () => {
  const out = await Deno.makeTempDir();
  try {
    const opts = { out, cases: 2, size: 16, slices: 4, seed: 2, workers: 1 };
    await writeSyntheticSet(opts);
    await Deno.rename(join(out, "volume-1.nii"), join(out, "volume-1.nii.gz"));
    await writeSyntheticSet(opts);
    const names = [];
    for await (const e of Deno.readDir(out)) names.push(e.name);
    assert.deepEqual(names.filter((n) => n.startsWith("volume-")).sort(), [
      "volume-0.nii",
      "volume-1.nii",
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("writeSyntheticSet writes the same files in workers as in one thread", async () => {
  const one = await Deno.makeTempDir(), two = await Deno.makeTempDir();
  try {
    const opts = { cases: 4, size: 32, slices: 8, seed: 5 };
    const a = await writeSyntheticSet({ ...opts, out: one, workers: 1 });
    const b = await writeSyntheticSet({ ...opts, out: two, workers: 2 });
    assert.deepEqual(b.cases.map((c) => c.id), [0, 1, 2, 3]);
    const strip = (s: typeof a) =>
      s.cases.map((c) => ({ ...c, volumePath: "", segmentationPath: "" }));
    assert.deepEqual(strip(b), strip(a));
    for (let id = 0; id < 4; id++) {
      for (const name of [`volume-${id}.nii`, `segmentation-${id}.nii.gz`]) {
        assert.deepEqual(
          await Deno.readFile(join(two, name)),
          await Deno.readFile(join(one, name)),
          name,
        );
      }
    }
  } finally {
    await Deno.remove(one, { recursive: true });
    await Deno.remove(two, { recursive: true });
  }
});

Deno.test("writeSyntheticSet names the case and the folder when a worker fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A folder below a file cannot be made.
    await Deno.writeTextFile(join(dir, "file"), "");
    const out = join(dir, "file", "set");
    await assert.rejects(
      () => writeSyntheticSet({ out, cases: 2, size: 16, slices: 4, workers: 2 }),
      (err: Error) => /^synthetic case \d \(.*file\/set\)/.test(err.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
