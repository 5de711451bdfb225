/**
 * Checkpoints: a folder with the model in the tfjs layers format
 * (`model.json` + `weights.bin`, loadable by any tfjs), the Adam state
 * (`optimizer.bin`: first then second moments, float32, in the order of the
 * model's trainable weights), `state.json` (epoch, step, sampler and
 * dropout random state, best score so far) and `manifest.json` (the size and
 * SHA-256 of each of those files), written last and verified on every load, so a
 * damaged or swapped file is an error naming it rather than wrong predictions.
 *
 * A checkpoint is written to a temporary folder beside its target, flushed to
 * disk, and renamed into place: `<name>` is moved to `<name>.old`, the new folder
 * to `<name>`, then `<name>.old` is removed. A kill at any moment leaves a whole
 * `<name>` or a whole `<name>.old`; readers take `<name>.old` when `<name>` is
 * missing, and the next write (or {@linkcode recoverCheckpoint}) first moves it back,
 * so no sequence of kills loses the last whole checkpoint.
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
import type { Adam, AdamState } from "../train/adam.ts";
import { syncDir, writeFileSynced } from "../util/atomic.ts";
import { exists } from "../util/fs.ts";
import { killPoint } from "../util/kill_point.ts";
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

/** `manifest.json`: every other file of the checkpoint with its size and SHA-256. */
export interface CheckpointManifest {
  files: Record<string, { bytes: number; sha256: string }>;
}

const MANIFEST = "manifest.json";

async function sha256(bytes: Uint8Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Serialise `model` to tfjs layers-format files in `dir` (created), flushed to disk. */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
    await writeFileSynced(join(dir, "weights.bin"), new Uint8Array(data));
    const json = {
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    };
    await writeFileSynced(join(dir, "model.json"), new TextEncoder().encode(JSON.stringify(json)));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

/** Write `manifest.json` for every other file in `dir`. */
async function writeManifest(dir: string): Promise<void> {
  const files: CheckpointManifest["files"] = {};
  const names = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && e.name !== MANIFEST) names.push(e.name);
  for (const name of names.sort()) {
    const bytes = await Deno.readFile(join(dir, name));
    files[name] = { bytes: bytes.length, sha256: await sha256(bytes) };
  }
  const text = JSON.stringify({ files }, null, 2) + "\n";
  await writeFileSynced(join(dir, MANIFEST), new TextEncoder().encode(text));
}

/**
 * Read `name` from checkpoint folder `dir`, checked against its manifest (size and
 * SHA-256). A checkpoint written before manifests existed has none; its files are read as
 * they are (their sizes are still checked against the model by the readers).
 */
async function readVerified(dir: string, name: string): Promise<Uint8Array> {
  const path = join(dir, name);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: missing from the checkpoint`);
    }
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  const manifestPath = join(dir, MANIFEST);
  if (!(await exists(manifestPath))) return bytes;
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(manifestPath));
  } catch (err) {
    throw new Error(`${manifestPath}: damaged (${(err as Error).message})`);
  }
  const entry = manifest?.files?.[name];
  if (!entry) throw new Error(`${manifestPath}: does not list ${name}`);
  if (bytes.length !== entry.bytes) {
    throw new Error(
      `${path}: ${bytes.length} bytes, the manifest says ${entry.bytes}: the file is damaged`,
    );
  }
  if ((await sha256(bytes)) !== entry.sha256) {
    throw new Error(`${path}: checksum differs from ${manifestPath}: the file is damaged`);
  }
  return bytes;
}

function parseJson<T>(bytes: Uint8Array, path: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

const specBytes = (w: tf.io.WeightsManifestEntry) =>
  (w.dtype === "float32" || w.dtype === "int32" || w.dtype === undefined ? 4 : 1) *
  w.shape.reduce((a, b) => a * b, 1);

/** Load a model saved by {@link saveModelFiles} (files checked against the manifest). */
export async function loadModelFiles(dir: string): Promise<tf.LayersModel> {
  const path = join(dir, "model.json");
  const json = parseJson<{
    modelTopology?: object;
    weightsManifest?: { weights?: tf.io.WeightsManifestEntry[] }[];
  }>(await readVerified(dir, "model.json"), path);
  const specs = json?.weightsManifest?.[0]?.weights;
  if (!json?.modelTopology || !Array.isArray(specs)) {
    throw new Error(`${path}: not a tfjs layers model (no modelTopology or weightsManifest)`);
  }
  const weights = await readVerified(dir, "weights.bin");
  const expected = specs.reduce((s, w) => s + specBytes(w), 0);
  if (weights.length !== expected) {
    throw new Error(
      `${join(dir, "weights.bin")}: ${weights.length} bytes, ${path} needs ${expected}`,
    );
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: weights.buffer.slice(
        weights.byteOffset,
        weights.byteOffset + weights.byteLength,
      ) as ArrayBuffer,
    }));
  } catch (err) {
    throw new Error(`${path}: cannot build the model (${(err as Error).message})`);
  }
}

/** Whether `dir` holds a whole checkpoint (its last file, the manifest, or for an old one state.json). */
async function isWhole(dir: string): Promise<boolean> {
  return (await exists(join(dir, MANIFEST))) || (await exists(join(dir, "state.json")));
}

/**
 * Put a checkpoint back in order after a kill: a `<name>.old` beside a missing `<name>`
 * is moved back, one beside a whole `<name>` is removed, and temporary folders of killed
 * writes are removed. Only the run's own (locked) process may call this.
 */
export async function recoverCheckpoint(dir: string): Promise<void> {
  const parent = dirname(dir), base = basename(dir), old = `${dir}.old`;
  try {
    for await (const e of Deno.readDir(parent)) {
      if (e.name.startsWith(`.${base}.`) && e.name.endsWith(".tmp")) {
        await Deno.remove(join(parent, e.name), { recursive: true });
      }
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!(await exists(old))) return;
  if (await isWhole(dir)) {
    await Deno.remove(old, { recursive: true });
  } else {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(old, dir);
    await syncDir(parent);
  }
}

/** The checkpoint's files in `tmp`, each flushed, the manifest last. */
async function writeCheckpointFiles(
  tmp: string,
  model: tf.LayersModel,
  adam: Adam,
  state: CheckpointState,
  kill: (step: string) => void,
): Promise<void> {
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
  await writeFileSynced(join(tmp, "optimizer.bin"), new Uint8Array(flat.buffer));
  const stateText = JSON.stringify(state, null, 2) + "\n";
  await writeFileSynced(join(tmp, "state.json"), new TextEncoder().encode(stateText));
  kill("files written");
  await writeManifest(tmp);
  await syncDir(tmp);
}

/** Write a checkpoint folder atomically (temp folder, flushed, then renamed; see the module doc). */
export async function writeCheckpoint(
  dir: string,
  model: tf.LayersModel,
  adam: Adam,
  state: CheckpointState,
): Promise<void> {
  const parent = dirname(dir), base = basename(dir);
  const tmp = join(parent, `.${base}.${Deno.pid}.tmp`);
  const old = `${dir}.old`;
  const kill = (step: string) => killPoint(`checkpoint ${base}: ${step}`);
  await recoverCheckpoint(dir);
  try {
    await writeCheckpointFiles(tmp, model, adam, state, kill);
  } catch (err) {
    // A full disk or a read-only folder: leave no temporary folder behind.
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
  kill("manifest written");
  if (await exists(dir)) {
    await Deno.rename(dir, old);
    kill("old moved aside");
  }
  await Deno.rename(tmp, dir);
  await syncDir(parent);
  kill("new in place");
  await Deno.remove(old, { recursive: true }).catch(() => {});
  kill("old removed");
}

/** The folder a checkpoint lives in: `dir`, or `dir.old` if a kill hit between renames. */
export async function checkpointDir(dir: string): Promise<string | null> {
  if (await isWhole(dir)) return dir;
  if (await isWhole(`${dir}.old`)) return `${dir}.old`;
  return null;
}

/** Why `state` is not a {@link CheckpointState} (null when it is). */
function stateProblem(state: Partial<CheckpointState> | null): string | null {
  if (!state || typeof state !== "object") return "not an object";
  for (const key of ["epoch", "step", "adamStep", "bestEpoch"] as const) {
    const v = state[key];
    if (!(Number.isInteger(v) && (v as number) >= 0)) {
      return `${key} must be a whole number, got ${JSON.stringify(v)}`;
    }
  }
  if (typeof state.bestValDice !== "number" && state.bestValDice !== null) {
    return `bestValDice must be a number, got ${JSON.stringify(state.bestValDice)}`;
  }
  if (!state.samplers || typeof state.samplers !== "object" || !("train" in state.samplers)) {
    return "samplers.train is missing";
  }
  return null;
}

/** Read a checkpoint: the model, its Adam state (shaped like the trainable weights) and state. */
export async function readCheckpoint(
  dir: string,
): Promise<{ model: tf.LayersModel; adam: AdamState; state: CheckpointState }> {
  const found = await checkpointDir(dir);
  if (!found) throw new Error(`${dir}: no checkpoint here (state.json missing)`);
  const statePath = join(found, "state.json");
  const state = parseJson<CheckpointState>(await readVerified(found, "state.json"), statePath);
  const problem = stateProblem(state);
  if (problem) throw new Error(`${statePath}: ${problem}`);
  // JSON has no -Infinity: a run without a validation score yet stored null.
  state.bestValDice ??= -Infinity;
  const bytes = await readVerified(found, "optimizer.bin");
  const model = await loadModelFiles(found);
  const shapes = model.trainableWeights.map((w) => w.shape as number[]);
  const expected = 2 * shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== expected * 4) {
    model.dispose();
    throw new Error(
      `${found}/optimizer.bin: ${bytes.byteLength} bytes, the model needs ${expected * 4}`,
    );
  }
  const flat = new Float32Array(bytes.buffer, bytes.byteOffset, expected);
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
