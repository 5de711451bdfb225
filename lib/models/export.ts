/**
 * Export a trained model for inference elsewhere: the tfjs layers format
 * (`model.json` + `weights.bin`) with only stock TF.js layers, so
 * `tf.loadLayersModel` loads it without this workbench's code. The one custom
 * layer, {@link StepDropout}, becomes a stock `Dropout` of the same rate: both
 * are the identity at inference, so predictions are unchanged.
 *
 * @example
 * ```ts
 * const { model } = await loadRunModel("results/runs/liver/20261126-203000");
 * await exportLayersModel(model, "results/export/liver");
 * // elsewhere: await tf.loadLayersModel("https://example.org/liver/model.json")
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { StepDropout } from "./step_dropout.ts";

/** A layer of a functional model's topology (`class_name`, `config`, ...). */
interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  [key: string]: unknown;
}

/** The topology with every {@link StepDropout} replaced by a stock `Dropout` of its rate. */
export function stockTopology(topology: tf.io.ModelArtifacts["modelTopology"]): object {
  const t = structuredClone(topology) as { config?: { layers?: LayerJson[] } };
  for (const layer of t.config?.layers ?? []) {
    if (layer.class_name !== StepDropout.className) continue;
    const { name, trainable, dtype, rate } = layer.config;
    layer.class_name = "Dropout";
    layer.config = { name, trainable, dtype, rate };
  }
  return t;
}

/**
 * Write `model` to `dir` as `model.json` and `weights.bin` (each atomically,
 * `model.json` last) with stock layers only; returns the two paths.
 */
export async function exportLayersModel(model: tf.LayersModel, dir: string): Promise<string[]> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) });
  }));
  const { modelTopology, weightSpecs, weightData } = artifacts!;
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(weightData!));
  const modelPath = join(dir, "model.json"), weightsPath = join(dir, "weights.bin");
  await writeFileAtomic(weightsPath, weights);
  await writeJsonAtomic(modelPath, {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: "lits workbench (StepDropout -> Dropout)",
    modelTopology: stockTopology(modelTopology),
    weightsManifest: [{ paths: ["weights.bin"], weights: weightSpecs }],
  });
  return [modelPath, weightsPath];
}
