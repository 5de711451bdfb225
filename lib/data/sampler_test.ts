import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { DataConfig } from "../config/experiment.ts";
import { type CaseEntry, indexDataset } from "./dataset.ts";
import { type Batch, createSampler } from "./sampler.ts";
import { loadCaseSync, type LoadedCase } from "./case_loader.ts";
import { writeSyntheticSet } from "./synthetic.ts";

const data: DataConfig = {
  root: "",
  split: { seed: 1, train: 1, validation: 0, test: 0 },
  sliceSize: 32,
  inputSize: 16,
  windows: [[-100, 300]],
  histogramEqualize: false,
  selectBy: "liver",
  sliceMargin: 1,
  weights: { background: 1, liver: 5, tumor: 15, contour: 25, contourRadius: 1 },
};

/** Four synthetic cases of 32x32x12 (id 2 has no tumor), written once for all tests. */
const root = await Deno.makeTempDir();
await writeSyntheticSet({ out: root, cases: 4, size: 32, slices: 12, seed: 5 });
const cases = await indexDataset(root, { requireSegmentation: true });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

async function arrays(b: Batch): Promise<Float32Array[]> {
  const out = await Promise.all([b.images.data(), b.labels.data(), b.weights.data()]);
  tf.dispose([b.images, b.labels, b.weights]);
  return out as Float32Array[];
}

Deno.test("liver batches: shapes, one-hot labels, weights and inputs in range", async () => {
  const s = createSampler({ cases, data, task: "liver", seed: 1 });
  const b = s.next(3);
  assert.deepEqual(b.images.shape, [3, 16, 16, 1]);
  assert.deepEqual(b.labels.shape, [3, 32, 32, 2]);
  assert.deepEqual(b.weights.shape, [3, 32, 32]);
  const [img, lab, w] = await arrays(b);
  assert.ok(img.every((v) => v >= 0 && v <= 1));
  for (let k = 0; k < lab.length; k += 2) assert.equal(lab[k] + lab[k + 1], 1);
  assert.ok(w.every((v) => [1, 5, 15, 25].includes(v)));
  // Liver-selected slices with margin 1: nearly every sampled slice holds some liver.
  assert.ok(lab.some((v, k) => k % 2 === 1 && v === 1));
  s.dispose();
});

Deno.test("same seed, same batches; another seed, other batches", async () => {
  const a = createSampler({ cases, data, task: "liver", seed: 7, cacheCases: 2, swapEvery: 2 });
  const b = createSampler({ cases, data, task: "liver", seed: 7, cacheCases: 2, swapEvery: 2 });
  const c = createSampler({ cases, data, task: "liver", seed: 8, cacheCases: 2, swapEvery: 2 });
  for (let i = 0; i < 3; i++) {
    const [x, y, z] = [await arrays(a.next(2)), await arrays(b.next(2)), await arrays(c.next(2))];
    assert.deepEqual(x, y);
    if (i === 2) assert.notDeepEqual(x[0], z[0]);
  }
});

Deno.test("state/restore reproduces the same batches, across pool swaps and JSON", async () => {
  const opts = { cases, data, task: "liver" as const, cacheCases: 2, swapEvery: 3 };
  const a = createSampler({ ...opts, seed: 3 });
  for (let i = 0; i < 2; i++) await arrays(a.next(2));
  const saved = JSON.parse(JSON.stringify(a.state()));
  const want = [];
  for (let i = 0; i < 4; i++) want.push(await arrays(a.next(2)));
  const b = createSampler({ ...opts, seed: 99 });
  await arrays(b.next(1)); // a different history, then the restored state
  b.restore(saved);
  for (let i = 0; i < 4; i++) assert.deepEqual(await arrays(b.next(2)), want[i]);
  assert.throws(() => b.restore({ ...saved, resident: [9] }), /invalid state/);
});

Deno.test("restarting from a saved state reads no case again while the pool holds them all", async () => {
  let loads = 0;
  const load = (c: CaseEntry) => (loads++, loadCaseSync(c));
  const s = createSampler({ cases, data, task: "liver", seed: 4, load });
  const start = s.state();
  const first = await arrays(s.next(6));
  const read = loads;
  s.restore(start);
  assert.deepEqual(await arrays(s.next(6)), first);
  assert.equal(loads, read);
});

Deno.test("cases that leave the pool stay cached: each is read once, the batches unchanged", async () => {
  const run = async (cacheBytes: number) => {
    let loads = 0;
    const load = (c: CaseEntry) => (loads++, loadCaseSync(c));
    const s = createSampler({
      cases,
      data,
      task: "liver",
      seed: 5,
      cacheCases: 1,
      swapEvery: 1,
      cacheBytes,
      load,
    });
    const batches = [];
    for (let i = 0; i < 6; i++) batches.push(await arrays(s.next(2)));
    return { batches, loads };
  };
  const cached = await run(1e9), uncached = await run(0);
  assert.deepEqual(cached.batches, uncached.batches);
  assert.ok(cached.loads <= cases.length, `${cached.loads} loads of ${cases.length} cases`);
  assert.ok(uncached.loads > cached.loads, `${uncached.loads} loads without the cache`);
});

Deno.test("no tensor leaks once the caller disposes its batches", async () => {
  const s = createSampler({ cases, data, task: "liver", seed: 2, cacheCases: 1, swapEvery: 1 });
  await arrays(s.next(2));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await arrays(s.next(2));
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("tumor task: 3 windows at full size, tumor-free cases skipped", async () => {
  const tumorData: DataConfig = {
    ...data,
    inputSize: 32,
    windows: [[0, 100], [-100, 200], [-100, 400]],
    selectBy: "tumor",
    sliceMargin: 0,
  };
  const s = createSampler({ cases, data: tumorData, task: "tumor", seed: 4 });
  const b = s.next(4);
  assert.deepEqual(b.images.shape, [4, 32, 32, 3]);
  const [, lab] = await arrays(b);
  // Tumor-selected slices with margin 0 each hold tumor.
  for (let i = 0; i < 4; i++) {
    assert.ok(lab.subarray(i * 2048, (i + 1) * 2048).some((v, k) => k % 2 === 1 && v === 1));
  }
  assert.ok(s.state().empty.includes(cases.findIndex((c) => c.id === 2)), "case 2 has no tumor");
});

/** A one-case dataset held in memory: its index entry and a loader returning its arrays. */
function memoryCase(
  volume: Int16Array,
  seg: Uint8Array,
  shape: [number, number, number],
): { entry: CaseEntry; load: () => LoadedCase } {
  const geo = { shape, spacing: [1, 1, 1] as [number, number, number], affine: [] };
  const loaded: LoadedCase = {
    volume: { data: volume, ...geo },
    segmentation: { data: seg, ...geo },
  };
  return { entry: { id: 0, volumePath: "v", segmentationPath: "s", ...geo }, load: () => loaded };
}

Deno.test("exact labels and weights of a hand-drawn case (liver target includes tumor)", async () => {
  // 4x4x3: only slice 1 has labels; a 2x2 liver block with one tumor pixel.
  const seg = new Uint8Array(48);
  seg.set([0, 0, 0, 0, 0, 1, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0], 16);
  const volume = new Int16Array(48).fill(-1000);
  volume.set([0, 0, 0, 0, 0, 100, 50, 0, 0, 100, 100, 0, 0, 0, 0, 0], 16);
  const { entry, load } = memoryCase(volume, seg, [4, 4, 3]);
  const cfg: DataConfig = {
    ...data,
    sliceSize: 4,
    inputSize: 4,
    sliceMargin: 0,
    weights: { ...data.weights, contourRadius: 0 },
  };
  const s = createSampler({
    cases: [entry],
    data: cfg,
    task: "liver",
    seed: 1,
    load,
  });
  const [img, lab, w] = await arrays(s.next(1));
  // Window [-100, 300] over the volume: lo = -100, hi = 100 -> (v + 100) / 200.
  assert.deepEqual(Array.from(img), [
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    1,
    0.75,
    0.5,
    0.5,
    1,
    1,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
  ]);
  const target = Array.from({ length: 16 }, (_, k) => lab[2 * k + 1]);
  assert.deepEqual(target, [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(w), [1, 1, 1, 1, 1, 25, 25, 1, 1, 25, 25, 1, 1, 1, 1, 1]);
});

Deno.test("patches: crops of the whole slice at input and label scale, tumor oversampled", async () => {
  // 16x16x1: a ramp of unique HU values; liver everywhere but a border, a 2x2 tumor.
  const n = 16;
  const volume = Int16Array.from({ length: n * n }, (_, k) => k);
  const seg = new Uint8Array(n * n);
  for (let y = 2; y < 14; y++) for (let x = 2; x < 14; x++) seg[y * n + x] = 1;
  for (const k of [11 * n + 11, 11 * n + 12, 12 * n + 11, 12 * n + 12]) seg[k] = 2;
  const { entry, load } = memoryCase(volume, seg, [n, n, 1]);
  // Input at half the label size (as the liver model with SBU).
  const cfg: DataConfig = {
    ...data,
    windows: [[0, 255]],
    inputSize: 8,
    sliceSize: 16,
    selectBy: "tumor",
    sliceMargin: 0,
  };
  const opts = { cases: [entry], data: cfg, task: "tumor" as const, load };
  const [full, fullLab, fullW] = await arrays(createSampler({ ...opts, seed: 1 }).next(1));
  const sampler = createSampler({ ...opts, seed: 1, patchSize: 4 });
  const b = sampler.next(40);
  assert.deepEqual(b.images.shape, [40, 4, 4, 1]);
  assert.deepEqual(b.labels.shape, [40, 8, 8, 2]);
  assert.deepEqual(b.weights.shape, [40, 8, 8]);
  const [img, lab, w] = await arrays(b);
  let withTumor = 0;
  for (let s = 0; s < 40; s++) {
    const first = full.indexOf(img[s * 16]);
    const [y0, x0] = [Math.floor(first / 8), first % 8];
    assert.ok(y0 <= 4 && x0 <= 4, "the crop lies inside the slice");
    let tumor = false;
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        assert.equal(img[s * 16 + y * 4 + x], full[(y0 + y) * 8 + x0 + x]);
      }
    }
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const src = (2 * y0 + y) * 16 + 2 * x0 + x, dst = s * 64 + y * 8 + x;
        assert.equal(lab[2 * dst + 1], fullLab[2 * src + 1]);
        assert.equal(w[dst], fullW[src]);
        tumor ||= lab[2 * dst + 1] === 1;
      }
    }
    if (tumor) withTumor++;
  }
  // Half the crops are centred on tumor; a uniform crop holds it about 1 time in 6.
  assert.ok(withTumor >= 18 && withTumor < 40, `${withTumor} of 40 crops hold tumor`);
  assert.throws(() => createSampler({ ...opts, seed: 1, patchSize: 9 }).next(1), /patch size 9/);
});

Deno.test("intensity shift: one random HU offset per sample, scaled to each window", async () => {
  // 8x8x1 ramp of HU 0..63; windows [0, 63] and [0, 31] (the second clips half the ramp).
  const volume = Int16Array.from({ length: 64 }, (_, k) => k);
  const seg = new Uint8Array(64).fill(1);
  const { entry, load } = memoryCase(volume, seg, [8, 8, 1]);
  const cfg: DataConfig = {
    ...data,
    windows: [[0, 63], [0, 31]],
    inputSize: 8,
    sliceSize: 8,
    sliceMargin: 0,
  };
  const opts = { cases: [entry], data: cfg, task: "liver" as const, load, seed: 2 };
  const [plain] = await arrays(createSampler(opts).next(1));
  const [img] = await arrays(createSampler({ ...opts, intensityShift: 30 }).next(20));
  const offsets = new Set<number>();
  for (let s = 0; s < 20; s++) {
    const x = img.subarray(s * 128, (s + 1) * 128);
    // The HU offset read off one mid-window pixel of the first channel (HU 32).
    const hu = Math.round((x[2 * 32] - plain[2 * 32]) * 63 * 1e4) / 1e4;
    assert.ok(Math.abs(hu) <= 30, `offset ${hu} HU`);
    offsets.add(hu);
    for (let k = 0; k < 128; k++) {
      const v = plain[k], width = k % 2 === 0 ? 63 : 31;
      const want = v > 0 && v < 1 ? Math.min(1, Math.max(0, v + hu / width)) : v;
      assert.ok(Math.abs(x[k] - want) < 1e-5, `sample ${s}, value ${k}: ${x[k]} != ${want}`);
    }
  }
  assert.equal(offsets.size, 20);
});

Deno.test("liverMedianHU: a liver 40 HU darker gives the same input, moved to its median", async () => {
  // 4x4x1 in air, bone in the last corner: a 2x2 liver at 100 HU or at 60 HU, with one tumor
  // pixel 30 HU darker.
  const seg = Uint8Array.from([0, 0, 0, 0, 0, 1, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  const at = (liver: number) =>
    Int16Array.from(
      seg,
      (l, k) => (k === 15 ? 1000 : l === 0 ? -1000 : l === 1 ? liver : liver - 30),
    );
  const cfg: DataConfig = {
    ...data,
    windows: [[0, 100]],
    inputSize: 4,
    sliceSize: 4,
    sliceMargin: 0,
    liverMedianHU: 50,
  };
  const inputs = [];
  for (const liver of [100, 60]) {
    const { entry, load } = memoryCase(at(liver), seg, [4, 4, 1]);
    const [img] = await arrays(
      createSampler({ cases: [entry], data: cfg, task: "tumor", seed: 1, load }).next(1),
    );
    inputs.push(Array.from(img));
  }
  // Liver median 50 HU -> 0.5 in [0, 100]; the tumor at 20 HU -> 0.2; air 0, bone 1.
  const want = [0, 0, 0, 0, 0, 0.5, 0.2, 0, 0, 0.5, 0.5, 0, 0, 0, 0, 1];
  inputs[0].forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-6, `[${k}] ${v}`));
  assert.deepEqual(inputs[1], inputs[0]);
});

Deno.test("liverPatches: that share of patches centred on the liver, taken from the uniform half", async () => {
  // 32x32x1: liver in the top-left 8x8 block (one tumor pixel), the rest background.
  const n = 32;
  const seg = new Uint8Array(n * n);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) seg[y * n + x] = 1;
  seg[3 * n + 3] = 2;
  const volume = Int16Array.from({ length: n * n }, (_, k) => k);
  const { entry, load } = memoryCase(volume, seg, [n, n, 1]);
  const cfg: DataConfig = {
    ...data,
    windows: [[0, n * n]],
    inputSize: n,
    sliceSize: n,
    selectBy: "tumor",
    sliceMargin: 0,
  };
  const touching = async (liverPatches: number) => {
    const s = createSampler({
      cases: [entry],
      data: cfg,
      task: "tumor",
      seed: 3,
      load,
      patchSize: 4,
      liverPatches,
    });
    const [, , w] = await arrays(s.next(200));
    let liver = 0;
    // A 4x4 patch clear of the liver and its contour band has weight 1 everywhere.
    for (let p = 0; p < 200; p++) if (w.subarray(p * 16, (p + 1) * 16).some((v) => v > 1)) liver++;
    return liver;
  };
  const none = await touching(0), half = await touching(0.5);
  // Tumor-centred half always touches the liver; a uniform patch rarely does (~11%).
  assert.ok(none > 90 && none < 140, `${none} of 200 without liverPatches`);
  assert.ok(half >= 195, `${half} of 200 with liverPatches 0.5`);
  assert.throws(
    () =>
      createSampler({ cases: [entry], data: cfg, task: "tumor", seed: 1, load, liverPatches: 0.6 }),
    /liverPatches must be in 0\.\.0\.5/,
  );
});
