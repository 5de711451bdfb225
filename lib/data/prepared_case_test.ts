import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { DataConfig } from "../config/experiment.ts";
import { type CaseEntry, indexDataset } from "./dataset.ts";
import { loadCaseSync, type LoadedCase } from "./case_loader.ts";
import { cachedPreparedCase, prepareCase } from "./prepared_case.ts";
import { createSampler } from "./sampler.ts";
import { writeSyntheticSet } from "./synthetic.ts";

const data: DataConfig = {
  root: "",
  split: { seed: 1, train: 1, validation: 0, test: 0 },
  sliceSize: 32,
  inputSize: 16,
  windows: [[-100, 300], [-50, 150]],
  histogramEqualize: false,
  selectBy: "liver",
  sliceMargin: 1,
  weights: { background: 1, liver: 5, tumor: 15, contour: 25, contourRadius: 1 },
};

const root = await Deno.makeTempDir();
await writeSyntheticSet({ out: root, cases: 3, size: 32, slices: 12, seed: 5 });
const cases = await indexDataset(root, { requireSegmentation: true });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** `loadCaseSync` that counts its calls. */
function countingLoad(): { load: (c: CaseEntry) => LoadedCase; calls: () => number } {
  let n = 0;
  return { load: (c) => (n++, loadCaseSync(c)), calls: () => n };
}

async function cacheFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("a cached case equals a fresh one and is read back without loading the case", async () => {
  const dir = await Deno.makeTempDir();
  const fresh = prepareCase(loadCaseSync(cases[0]), data);
  assert.ok(fresh.count > 0);
  const counter = countingLoad();
  const first = cachedPreparedCase(cases[0], data, dir, counter.load);
  const again = cachedPreparedCase(cases[0], data, dir, counter.load);
  assert.equal(counter.calls(), 1);
  for (const p of [first, again]) {
    assert.equal(p.count, fresh.count);
    assert.deepEqual(p.inputs, fresh.inputs);
    assert.deepEqual(p.labels, fresh.labels);
  }
  assert.deepEqual((await cacheFiles(dir)).map((n) => n.replace(/-[0-9a-f]{16}/, "-#")), [
    "case-0-#.bin",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("other settings or a changed file miss the cache; a truncated file is rebuilt", async () => {
  const dir = await Deno.makeTempDir();
  const counter = countingLoad();
  const prepared = (d: DataConfig) => cachedPreparedCase(cases[1], d, dir, counter.load);
  const base = prepared(data);
  const wider = prepared({ ...data, sliceMargin: 2 });
  assert.equal(counter.calls(), 2);
  assert.ok(wider.count > base.count);
  // Settings that do not shape the slices (weights, split) share the entry.
  prepared({ ...data, weights: { ...data.weights, contour: 3 } });
  assert.equal(counter.calls(), 2);

  // Every file one byte short, as a write cut off would leave it without the rename.
  for (const n of await cacheFiles(dir)) {
    const bytes = await Deno.readFile(join(dir, n));
    await Deno.writeFile(join(dir, n), bytes.subarray(0, bytes.length - 1));
  }
  const rebuilt = prepared(data);
  assert.equal(counter.calls(), 3);
  assert.deepEqual(rebuilt.inputs, base.inputs);
  prepared(data);
  assert.equal(counter.calls(), 3, "the rebuilt file is read back");

  // A rewritten volume (new modification time) is another case.
  const later = new Date(Date.now() + 5000);
  await Deno.utime(cases[1].volumePath, later, later);
  prepared(data);
  assert.equal(counter.calls(), 4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a sampler with a cache draws the same batches as one without, in either run", async () => {
  const dir = await Deno.makeTempDir();
  const opts = { cases, data, task: "liver" as const, seed: 3, cacheCases: 2, swapEvery: 2 };
  const draw = (cacheDir?: string) => {
    const s = createSampler({ ...opts, cacheDir });
    const out: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const b = s.next(2);
      out.push([...b.images.dataSync(), ...b.labels.dataSync(), ...b.weights.dataSync()]);
      tf.dispose([b.images, b.labels, b.weights]);
    }
    s.dispose();
    return out;
  };
  const plain = draw();
  assert.deepEqual(draw(dir), plain, "the run that fills the cache");
  assert.equal((await cacheFiles(dir)).length, cases.length);
  assert.deepEqual(draw(dir), plain, "a run that reads it");
  await Deno.remove(dir, { recursive: true });
});
