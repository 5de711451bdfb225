import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig, ModelConfig } from "../config/experiment.ts";
import { readNifti } from "../data/nifti_read.ts";
import { writeNifti } from "../data/nifti_write.ts";
import type { Vec3, Volume } from "../data/volume.ts";
import { buildFCDenseNet } from "../models/fc_densenet.ts";
import { type CascadeModel, predictVolume, segmentSlices } from "./cascade.ts";
import { predictCases, PREDICTIONS_MANIFEST } from "./predict_cases.ts";
import { createSampler } from "../data/sampler.ts";
import { paintBall } from "../masks/shapes.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";

await tf.setBackend("cpu");

const SHAPE: Vec3 = [32, 32, 8];
const SPACING: Vec3 = [1.5, 1.5, 3];

/**
 * HU: background -100, liver ball 300, tumor ball inside it 150, a bright speck apart;
 * liver and tumor `dark` HU darker.
 */
function phantom(dark = 0): Volume<Int16Array> {
  const m = { data: new Uint8Array(32 * 32 * 8), shape: SHAPE };
  paintBall(m, [14, 16, 4], [9, 9, 9], [1, 1, 3], 1);
  paintBall(m, [12, 16, 4], 3.5, [1, 1, 1], 2);
  paintBall(m, [29, 3, 1], 1, [1, 1, 1], 3);
  const hu = Int16Array.from(m.data, (v) => [-100, 300 - dark, 150 - dark, 300][v]);
  return {
    data: hu,
    shape: SHAPE,
    spacing: SPACING,
    affine: [-1.5, 0, 0, 0, 0, -1.5, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1],
  };
}

/** A 1x1 conv + softmax whose class-1 probability is sigmoid(sum_c w[c] x_c + b). */
function linearModel(size: number, w: number[], b: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [size, size, w.length],
        filters: 2,
        kernelSize: 1,
        activation: "softmax",
      }),
    ],
  });
  const kernel = tf.tensor4d(w.flatMap((v) => [0, v]), [1, 1, w.length, 2]);
  const bias = tf.tensor1d([0, b]);
  model.layers[0].setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  return model;
}

function config(task: "liver" | "tumor", inputSize: number, model?: Partial<ModelConfig>) {
  const windows: [number, number][] = task === "liver"
    ? [[-100, 300]]
    : [[0, 100], [-100, 200], [-100, 400]];
  return {
    name: task,
    task,
    data: {
      inputSize,
      windows,
      histogramEqualize: false,
      split: { train: [], validation: [], test: [0] },
    },
    model,
    postprocess: { erosionRadius: 0, dilationRadius: 0, anisotropic: false },
  } as unknown as ExperimentConfig;
}

Deno.test("cascade with known linear models: liver, tumor inside it, speck removed", async () => {
  const vol = phantom();
  // Liver: window [-100,300] normalised > 0.5, i.e. HU > 100: liver, tumor and speck.
  const liver: CascadeModel = { config: config("liver", 32), model: linearModel(32, [20], -10) };
  // Tumor: window [-100,200] normalised < 0.9 (HU < 170): tumor HU 150 (and background).
  const tumor: CascadeModel = {
    config: config("tumor", 32),
    model: linearModel(32, [0, -20, 0], 18),
  };
  const stages: string[] = [];
  const out = await predictVolume(vol, liver, tumor, {
    batchSize: 3,
    onProgress: (s, done, total) => stages.push(`${s} ${done}/${total}`),
  });
  const want = Uint8Array.from(vol.data, (v) => (v === 300 ? 1 : v === 150 ? 2 : 0));
  // The speck (a 7-voxel cross around (29, 3, 1)) is not the largest component.
  for (let i = 0; i < want.length; i++) if (i % 32 >= 27 && (i >> 5) % 32 <= 5) want[i] = 0;
  assert.deepEqual(out.data, want);
  assert.deepEqual(out.shape, SHAPE);
  assert.deepEqual(out.spacing, SPACING);
  assert.deepEqual(stages.slice(0, 3), ["liver 3/8", "liver 6/8", "liver 8/8"]);
  assert.ok(stages.at(-1)!.startsWith("tumor "));
  liver.model.dispose();
  tumor.model.dispose();
});

Deno.test("cascade with liverMedianHU: the tumor model sees intensities relative to the predicted liver", async () => {
  // Liver: HU > 0 (window [-100, 300] normalised > 0.25), so the darkened tumor stays liver.
  const liver: CascadeModel = { config: config("liver", 32), model: linearModel(32, [20], -5) };
  const relative = config("tumor", 32);
  relative.data.liverMedianHU = 100;
  // Tumor: window [-100, 200] normalised < 0.5; after the move the liver is at 100 HU and the
  // tumor at -50 HU whatever the patient's liver was, and only then is that rule right.
  const tumor: CascadeModel = { config: relative, model: linearModel(32, [0, -20, 0], 10) };
  const want = Uint8Array.from(phantom().data, (v) => (v === 300 ? 1 : v === 150 ? 2 : 0));
  for (let i = 0; i < want.length; i++) if (i % 32 >= 27 && (i >> 5) % 32 <= 5) want[i] = 0;
  for (const dark of [0, 100]) {
    const out = await predictVolume(phantom(dark), liver, tumor);
    assert.deepEqual(out.data, want, `liver ${300 - dark} HU`);
  }
  await assert.rejects(
    () =>
      segmentSlices(phantom(), [4], tumor, new Uint8Array(32 * 32 * 8), {
        batchSize: 1,
        threshold: 0.5,
      }),
    /trained with liverMedianHU 100, so it needs a liver mask/,
  );
  liver.model.dispose();
  tumor.model.dispose();
});

Deno.test("cascade with untrained FC-DenseNets: SBU output, labels 0/1/2, file geometry", async () => {
  const mcfg: ModelConfig = {
    ...PAPER_LIVER_MODEL,
    firstFilters: 4,
    growthRate: 2,
    layersPerBlock: 1,
    poolingLevels: 1,
  };
  const liverCfg = config("liver", 16, mcfg);
  const tumorCfg = config("tumor", 32, { ...mcfg, inputChannels: 3, sbu: false });
  const liver = { config: liverCfg, model: buildFCDenseNet(liverCfg.model, 16, { seed: 1 }) };
  const tumor = { config: tumorCfg, model: buildFCDenseNet(tumorCfg.model, 32, { seed: 2 }) };
  const dir = await Deno.makeTempDir();
  try {
    await writeNifti(join(dir, "volume-0.nii.gz"), phantom());
    const written = await predictCases({
      data: dir,
      cases: "test",
      out: join(dir, "pred"),
      liver,
      tumor,
    });
    assert.deepEqual(written, [join(dir, "pred", "prediction-0.nii.gz")]);
    const back = await readNifti(written[0]);
    assert.deepEqual(back.shape, SHAPE);
    assert.deepEqual(back.spacing, SPACING);
    assert.deepEqual(back.affine, phantom().affine);
    assert.ok(back.data.every((v) => v === 0 || v === 1 || v === 2));
    // With reuse, the same models keep the file; other weights predict it again.
    const keptBy = async (t: typeof tumor) => {
      const kept: string[] = [];
      const out = join(dir, "pred");
      const onKept = (_c: unknown, p: string) => kept.push(p);
      await predictCases({ data: dir, cases: "test", out, liver, tumor: t, reuse: true, onKept });
      return kept;
    };
    const before = (await Deno.stat(written[0])).mtime;
    assert.deepEqual(await keptBy(tumor), written);
    assert.deepEqual((await Deno.stat(written[0])).mtime, before);
    const other = { config: tumorCfg, model: buildFCDenseNet(tumorCfg.model, 32, { seed: 3 }) };
    assert.deepEqual(await keptBy(other), []);
    other.model.dispose();
    assert.deepEqual(await keptBy(tumor), []); // the file is the other model's now
    // A damaged manifest is a miss, not an error.
    await Deno.writeTextFile(join(dir, "pred", PREDICTIONS_MANIFEST), "{ not json");
    assert.deepEqual(await keptBy(tumor), []);
    assert.deepEqual(await keptBy(tumor), written);
    await assert.rejects(
      predictCases({ data: dir, cases: [5], out: dir, liver, tumor }),
      /no volume for case\(s\) 5/,
    );
  } finally {
    liver.model.dispose();
    tumor.model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training and inference give the model identical inputs for the same slice", async () => {
  // The tumor setting: three windows, liver-relative HU, histogram equalisation, a resize.
  const vol = phantom(20);
  const labels = Uint8Array.from(vol.data, (v) => v === 280 ? 1 : v === 130 ? 2 : 0);
  const z = 4;
  const onlyZ = labels.map((v, i) => Math.floor(i / (32 * 32)) === z ? v : 0);
  const segmentation = { ...vol, data: onlyZ };
  const base = config("tumor", 16);
  const data = {
    ...base.data,
    sliceSize: 32,
    selectBy: "liver" as const,
    sliceMargin: 0,
    liverMedianHU: 60,
    histogramEqualize: true,
    weights: { background: 1, liver: 5, tumor: 15, contour: 25, contourRadius: 0 },
  };
  const sampler = createSampler({
    cases: [{ id: 0, volumePath: "v", segmentationPath: "s", shape: SHAPE, spacing: SPACING }],
    data,
    task: "tumor",
    seed: 1,
    load: () => ({ volume: vol, segmentation }),
  });
  const batch = sampler.next(1);
  const trained = await batch.images.data();
  tf.dispose([batch.images, batch.labels, batch.weights]);

  // What the cascade hands the model, with the same liver as the one training measured.
  let seen: Float32Array | undefined;
  const recorder = {
    inputs: [{ shape: [null, 16, 16, 3] }],
    apply: (x: tf.Tensor) => {
      seen = x.dataSync() as Float32Array;
      return tf.zeros([x.shape[0], 16, 16, 2]);
    },
  } as unknown as tf.LayersModel;
  const liver = onlyZ.map((v) => v >= 1 ? 1 : 0);
  const out = new Uint8Array(vol.data.length);
  const m = { config: { ...base, data }, model: recorder } as CascadeModel;
  await segmentSlices(vol, [z], m, out, { batchSize: 4, threshold: 0.5, liver });
  assert.ok(seen);
  assert.equal(seen.length, 16 * 16 * 3);
  assert.deepEqual([...seen], [...trained]);
  sampler.dispose();
});
