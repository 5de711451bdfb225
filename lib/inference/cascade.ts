/**
 * The two-stage cascade (method.md "Post-processing and cascade"): the liver
 * model on every axial slice (windowed, normalised, resized to its input
 * size), its foreground probability resized back to full resolution and
 * thresholded, the 3D liver post-processing; then the tumor model on the
 * slices of the liver's z-range (intensities relative to that liver when the
 * tumor model was trained so), tumor outside the liver removed. Labels
 * 0/1/2 as LiTS. Slices go through the models in batches and only uint8
 * masks are kept, so any slice count fits.
 *
 * @example
 * ```ts
 * const liver = await loadRun("results/runs/liver/20261126-1200");
 * const tumor = await loadRun("results/runs/tumor/20261126-1300");
 * const labels = await predictVolume(await readNifti("volume-3.nii.gz"), liver, tumor);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ExperimentConfig, trainingInputSize } from "../config/experiment.ts";
import { inputOffset } from "../data/liver_reference.ts";
import { modelInput } from "../data/model_input.ts";
import { resizeBilinear } from "../data/preprocess.ts";
import type { Volume } from "../data/volume.ts";
import { type BinaryMask, boundingBox } from "../masks/mask.ts";
import { liverPostprocess, maskByLiver, postprocessLiver } from "./postprocess.ts";

/** A trained model of the cascade with the config it was trained under. */
export interface CascadeModel {
  config: ExperimentConfig;
  model: tf.LayersModel;
}

export interface PredictOptions {
  /** Slices per forward pass (default 4). */
  batchSize?: number;
  /** Foreground probability above which a voxel is liver / tumor (default 0.5). */
  threshold?: number;
  /** Called after each batch of slices. */
  onProgress?: (stage: "liver" | "tumor", done: number, total: number) => void;
}

/** Foreground class of both models' softmax output (background 0). */
const FOREGROUND = 1;

/**
 * Model `m` on slices `zs` of `vol`: foreground probabilities resized to the
 * volume's nx x ny, thresholded into `out` (a volume-sized mask; other slices
 * are left as they are). A model trained with `liverMedianHU` needs `liver`, the
 * volume-sized liver mask its intensities are measured against.
 */
export async function segmentSlices(
  vol: Volume,
  zs: number[],
  m: CascadeModel,
  out: Uint8Array,
  opts: Required<Pick<PredictOptions, "batchSize" | "threshold">> & PredictOptions & {
    liver?: Uint8Array;
  },
  stage: "liver" | "tumor" = "liver",
): Promise<void> {
  const { data } = m.config;
  const offsetHU = inputOffset(data, vol, opts.liver, m.config.name);
  const [nx, ny] = vol.shape;
  const size = data.inputSize, ch = data.windows.length;
  const inShape = m.model.inputs[0].shape;
  const built = trainingInputSize(data);
  if (inShape[1] !== built || inShape[2] !== built || inShape[3] !== ch) {
    throw new Error(
      `${m.config.name}: model input ${
        inShape.slice(1).join("x")
      } != config ${built}x${built}x${ch}`,
    );
  }
  const inputOf = modelInput(vol, data, offsetHU);
  for (let b = 0; b < zs.length; b += opts.batchSize) {
    const batch = zs.slice(b, b + opts.batchSize);
    const input = inputOf(batch);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(input, [batch.length, size, size, ch]);
      // apply, not predict: a model trained on patches takes whole slices (fully convolutional).
      const y = m.model.apply(x, { training: false }) as tf.Tensor4D;
      return y.slice([0, 0, 0, FOREGROUND], [-1, -1, -1, 1])
        .reshape([batch.length, y.shape[1], y.shape[2]]) as tf.Tensor3D;
    });
    const [, oh, ow] = probs.shape;
    const values = await probs.data() as Float32Array;
    probs.dispose();
    batch.forEach((z, k) => {
      const p = resizeBilinear(values.subarray(k * oh * ow, (k + 1) * oh * ow), ow, oh, 1, nx, ny);
      const dst = out.subarray(z * nx * ny, (z + 1) * nx * ny);
      for (let i = 0; i < p.length; i++) dst[i] = p[i] > opts.threshold ? 1 : 0;
    });
    opts.onProgress?.(stage, Math.min(b + opts.batchSize, zs.length), zs.length);
  }
}

/** Labels 0/1/2 of `vol` by the liver and tumor models; geometry (and source) of `vol`. */
export async function predictVolume(
  vol: Volume,
  liver: CascadeModel,
  tumor: CascadeModel,
  opts: PredictOptions = {},
): Promise<Volume<Uint8Array>> {
  const o = { batchSize: 4, threshold: 0.5, ...opts };
  if (!(o.batchSize >= 1)) throw new RangeError(`batchSize must be >= 1, got ${o.batchSize}`);
  const [nx, ny, nz] = vol.shape;
  const labels = new Uint8Array(nx * ny * nz);
  const all = Array.from({ length: nz }, (_, z) => z);
  await segmentSlices(vol, all, liver, labels, o, "liver");
  const liverMask: BinaryMask = postprocessLiver(
    { data: labels, shape: vol.shape },
    vol.spacing,
    liverPostprocess(liver.config), // a loaded run's: see withPostprocessOf (lib/runs/folder.ts)
  );
  const box = boundingBox(liverMask);
  labels.fill(0);
  if (box) {
    const zs = all.slice(box.lo[2], box.hi[2]);
    await segmentSlices(vol, zs, tumor, labels, { ...o, liver: liverMask.data }, "tumor");
    maskByLiver(labels, liverMask);
    // Tumor voxels are 1 so far: tumor -> 2, the rest of the liver -> 1.
    for (let i = 0; i < labels.length; i++) {
      if (liverMask.data[i]) labels[i] = labels[i] ? 2 : 1;
    }
  }
  return {
    data: labels,
    shape: [...vol.shape],
    spacing: [...vol.spacing],
    affine: [...vol.affine],
    source: vol.source,
  };
}
