import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import { indexDataset } from "../data/dataset.ts";
import { writeNifti } from "../data/nifti_write.ts";
import type { Vec3 } from "../data/volume.ts";
import { selectedSliceDice } from "./selected_slice_dice.ts";

await tf.setBackend("cpu");

const SHAPE: Vec3 = [8, 8, 3];
const geometry = {
  shape: SHAPE,
  spacing: [1, 1, 1] as Vec3,
  affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
};

/** Slice 1 holds a 4x4 liver; `bright` of its 16 voxels are 300 HU, the rest 0 HU; air -100. */
function liverCase(bright: number) {
  const seg = new Uint8Array(8 * 8 * 3);
  const hu = new Int16Array(8 * 8 * 3).fill(-100);
  let k = 0;
  for (let y = 2; y < 6; y++) {
    for (let x = 2; x < 6; x++) {
      const i = 64 + y * 8 + x;
      seg[i] = 1;
      hu[i] = k++ < bright ? 300 : 0;
    }
  }
  return { volume: { data: hu, ...geometry }, segmentation: { data: seg, ...geometry } };
}

Deno.test("selectedSliceDice: counts over the selected slices, per case and together", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const [id, bright] of [[0, 16], [1, 8]]) {
      const c = liverCase(bright);
      await writeNifti(join(root, `volume-${id}.nii`), c.volume);
      await writeNifti(join(root, `segmentation-${id}.nii`), c.segmentation);
    }
    const cases = await indexDataset(root, { requireSegmentation: true });
    // Liver where HU > 100: (v + 100) / 400 > 0.5 through a 1x1 convolution and a softmax.
    const model = tf.sequential({
      layers: [tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 2,
        kernelSize: 1,
        activation: "softmax",
      })],
    });
    const weights = [tf.tensor4d([0, 20], [1, 1, 1, 2]), tf.tensor1d([0, -10])];
    model.layers[0].setWeights(weights);
    tf.dispose(weights);
    const config = {
      name: "liver",
      task: "liver",
      data: {
        inputSize: 8,
        windows: [[-100, 300]],
        histogramEqualize: false,
        selectBy: "liver",
        sliceMargin: 0,
      },
    } as unknown as ExperimentConfig;
    const seen: number[] = [];
    const r = await selectedSliceDice({ config, model }, cases, {
      onCase: (done) => seen.push(done),
    });
    assert.deepEqual(r.cases, [
      { id: 0, slices: 1, reference: 16, predicted: 16, overlap: 16, dice: 1 },
      { id: 1, slices: 1, reference: 16, predicted: 8, overlap: 8, dice: 2 / 3 },
    ]);
    assert.equal(r.dice, 48 / 56);
    assert.deepEqual(seen, [1, 2]);
    // One slice above and below: air only, so the counts stay.
    const wide = await selectedSliceDice({ config, model }, cases, { margin: 1 });
    assert.deepEqual(wide.cases.map((c) => c.slices), [3, 3]);
    assert.equal(wide.dice, r.dice);
    model.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
