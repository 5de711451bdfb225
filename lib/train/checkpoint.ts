/**
 * Checkpoints: a folder with the model in the tfjs layers format
 * (`model.json` + `weights.bin`, loadable by any tfjs), the Adam state
 * (`optimizer.bin`: first then second moments, float32, in the order of the
 * model's trainable weights) and `state.json` (epoch, step, sampler and
 * dropout random state, best score so far).
 *
 * A checkpoint is written to a temporary folder beside its target and renamed
 * into place, so a crash leaves either the old or the new one, never half of
 * one (if it happens between the two renames, `<name>.old` is read instead).
 *
 * @example
 * ```ts
 * await writeCheckpoint(`${runDir}/checkpoints/last`, model, adam, state);
 * const { model, state } = await readCheckpoint(`${runDir}/checkpoints/last`);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, dirname, join } from "node:path";
import type { Adam, AdamState } from "./adam.ts";
import { exists } from "../util/fs.ts";
import "../models/step_dropout.ts"; // registers StepDropout for deserialisation

/** What besides tensors a checkpoint records, so that a run resumes exactly. */
export interface CheckpointState {
  /** Completed epochs. */
  epoch: number;
  /** Completed micro-batches (the dropout step). */
  step: number;
  adamStep: number;
  /** `state()` of the training sampler (validation restarts every epoch, so it has none). */
  samplers: { train: unknown };
  bestValDice: number;
  bestEpoch: number;
}

/** Serialise `model` to tfjs layers-format files in `dir` (created). */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
    await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array(data));
    const json = {
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    };
    await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

/** Load a model saved by {@link saveModelFiles}. */
export async function loadModelFiles(dir: string): Promise<tf.LayersModel> {
  const path = join(dir, "model.json");
  let json: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read model (${(err as Error).message})`);
  }
  const weights = await Deno.readFile(join(dir, "weights.bin"));
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }));
}

/** Write a checkpoint folder atomically (temp folder, then rename). */
export async function writeCheckpoint(
  dir: string,
  model: tf.LayersModel,
  adam: Adam,
  state: CheckpointState,
): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.${Deno.pid}.tmp`);
  const old = `${dir}.old`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await saveModelFiles(model, tmp);
  const { m, v } = adam.state();
  const moments = await Promise.all([...m, ...v].map((t) => t.data() as Promise<Float32Array>));
  const total = moments.reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const a of moments) {
    flat.set(a, off);
    off += a.length;
  }
  await Deno.writeFile(join(tmp, "optimizer.bin"), new Uint8Array(flat.buffer));
  await Deno.writeTextFile(join(tmp, "state.json"), JSON.stringify(state, null, 2) + "\n");
  await Deno.remove(old, { recursive: true }).catch(() => {});
  if (await exists(dir)) await Deno.rename(dir, old);
  await Deno.rename(tmp, dir);
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

/** The folder a checkpoint lives in: `dir`, or `dir.old` if a crash hit between renames. */
export async function checkpointDir(dir: string): Promise<string | null> {
  if (await exists(join(dir, "state.json"))) return dir;
  if (await exists(join(`${dir}.old`, "state.json"))) return `${dir}.old`;
  return null;
}

/** Read a checkpoint: the model, its Adam state (shaped like the trainable weights) and state. */
export async function readCheckpoint(
  dir: string,
): Promise<{ model: tf.LayersModel; adam: AdamState; state: CheckpointState }> {
  const found = await checkpointDir(dir);
  if (!found) throw new Error(`${dir}: no checkpoint here (state.json missing)`);
  const state = JSON.parse(await Deno.readTextFile(join(found, "state.json"))) as CheckpointState;
  const model = await loadModelFiles(found);
  const bytes = await Deno.readFile(join(found, "optimizer.bin"));
  const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const shapes = model.trainableWeights.map((w) => w.shape as number[]);
  const expected = 2 * shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
  if (flat.length !== expected) {
    throw new Error(
      `${found}/optimizer.bin: ${flat.length} values, the model needs ${expected}`,
    );
  }
  let off = 0;
  const take = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.slice(off, off + n), shape);
    off += n;
    return t;
  };
  const m = shapes.map(take);
  const v = shapes.map(take);
  return { model, adam: { step: state.adamStep, m, v }, state };
}
