import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import { loadExperiment } from "../config/load.ts";
import type { Vec3, Volume } from "../data/volume.ts";
import {
  changeSlice,
  postprocessEffect,
  postprocessExample,
  predictMask,
  sliceCounts,
  topSlices,
} from "./slice_predict.ts";

await tf.setBackend("cpu");

const vol = <T extends Int16Array | Uint8Array>(data: T, shape: Vec3): Volume<T> => ({
  data,
  shape,
  spacing: [1, 1, 1],
  affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
});

/** A 1x1 conv + softmax whose class-1 probability is sigmoid(w * x + b). */
function linearModel(size: number, w: number, b: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.conv2d({
      inputShape: [size, size, 1],
      filters: 2,
      kernelSize: 1,
      activation: "softmax",
    })],
  });
  const kernel = tf.tensor4d([0, w], [1, 1, 1, 2]);
  const bias = tf.tensor1d([0, b]);
  model.layers[0].setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  return model;
}

Deno.test("predictMask thresholds the model's foreground on the chosen slices only", async () => {
  // 4x4x3 HU: -100 everywhere, 300 in a 2x2 square on every slice.
  const hu = new Int16Array(48).fill(-100);
  for (let z = 0; z < 3; z++) for (const i of [5, 6, 9, 10]) hu[z * 16 + i] = 300;
  const config = {
    name: "liver",
    data: { inputSize: 4, windows: [[-100, 300]], histogramEqualize: false },
  } as unknown as ExperimentConfig;
  // Normalised input is 0 or 1: p = sigmoid(20x - 10) > 0.5 exactly on the square.
  const model = linearModel(4, 20, -10);
  const mask = await predictMask(vol(hu, [4, 4, 3]), { config, model }, [0, 2]);
  model.dispose();
  const square = [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0];
  assert.deepEqual([...mask], [...square, ...new Array(16).fill(0), ...square]);
});

Deno.test("topSlices picks the slices with the most selected voxels, in z order", () => {
  // 2x1x4 labels per slice: [0,0] [1,2] [2,2] [1,1]
  const seg = vol(Uint8Array.from([0, 0, 1, 2, 2, 2, 1, 1]), [2, 1, 4]);
  assert.deepEqual(sliceCounts(seg, (v) => v >= 1), [0, 2, 2, 2]);
  assert.deepEqual(topSlices(seg, (v) => v === 2, 5), [1, 2]);
  assert.deepEqual(topSlices(seg, (v) => v === 2, 1), [2]);
  assert.deepEqual(topSlices(seg, (v) => v >= 1, 2), [1, 2]); // ties go to the lower z
  assert.deepEqual(topSlices(seg, (v) => v === 3, 1), []);
});

Deno.test("changeSlice", () => {
  const before = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0]);
  const after = Uint8Array.from([1, 0, 1, 0, 1, 1, 0, 0]);
  assert.deepEqual([...changeSlice(before, after, [2, 2, 2], 0)], [0, 1, 2, 0]);
  assert.deepEqual([...changeSlice(before, after, [2, 2, 2], 1)], [0, 2, 0, 0]);
});

Deno.test("postprocessEffect counts voxels, components and Dice before and after", () => {
  // 5x1x2: reference liver at x 0..2 on slice 0; raw has a stray voxel at x 4 (slice 0)
  // and one at x 2 on slice 1 (26-connected to x 1 of slice 0); post-processing keeps x 0..2
  // of slice 0 only.
  const ref = vol(Uint8Array.from([1, 1, 2, 0, 0, 0, 0, 0, 0, 0]), [5, 1, 2]);
  const raw = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
  const post = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  const e = postprocessEffect(raw, post, ref);
  assert.deepEqual(e.before, { voxels: 4, components: 2, dice: (2 * 2) / (4 + 3) });
  assert.deepEqual(e.after, { voxels: 3, components: 1, dice: 1 });
  assert.equal(e.removed, 2);
  assert.equal(e.added, 1);
  assert.equal(e.z, 0); // removed: 1 voxel on slice 0, 1 on slice 1 (ties: the lower z)
  // Nothing removed: the slice with the most added voxels.
  const grown = Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 0, 0, 0]);
  assert.equal(postprocessEffect(post, grown, ref).z, 1);
  assert.throws(() => postprocessEffect(raw.subarray(1), post, ref), /do not match/);
});

Deno.test("postprocessExample: nothing predicted, nothing changed: the slice with the most liver", async () => {
  const cfg = await loadExperiment(
    new URL("../../experiments/liver.json", import.meta.url).pathname,
    { profile: "paper" },
  );
  const config = { ...cfg, data: { ...cfg.data, inputSize: 4, windows: [[-100, 300]] } };
  const hu = new Int16Array(48).fill(-100);
  // Reference liver: 1 voxel on slice 0, 3 on slice 2.
  const ref = vol(Uint8Array.from({ length: 48 }, (_, i) => [0, 32, 33, 34].includes(i) ? 1 : 0), [
    4,
    4,
    3,
  ]);
  const model = linearModel(4, 0, -10); // p = sigmoid(-10) everywhere: no liver
  const ex = await postprocessExample(vol(hu, [4, 4, 3]), ref, {
    config: config as ExperimentConfig,
    model,
  });
  model.dispose();
  assert.equal(ex.raw.reduce((a, b) => a + b, 0), 0);
  assert.deepEqual([...ex.post], [...ex.raw]);
  assert.deepEqual([ex.effect.removed, ex.effect.added, ex.effect.before.dice], [0, 0, 0]);
  assert.equal(ex.z, 2);
});
