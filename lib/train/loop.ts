/**
 * The training loop: one plain path from a resolved experiment to a run folder.
 *
 * An epoch is `trainIterations` iterations on randomly sampled training batches
 * of `batchSize` slices (gradients accumulated over micro-batches of
 * `microBatch` slices), then `validationIterations` batches of validation.
 * Validation draws the same batches every epoch (its sampler restarts from its
 * first state), so epochs are compared on the same slices and the `best`
 * checkpoint reflects the model rather than the luck of the draw.
 * After each epoch a line goes to `metrics.jsonl` and the `last` checkpoint is
 * replaced; `best` is replaced when the validation Dice of the target class
 * (pooled over the epoch's validation batches) improves.
 *
 * Run folder `results/runs/<experiment>/<run-id>/`: `config.json` (resolved),
 * `metrics.jsonl` and the same curves for TensorBoard (`events.out.tfevents.*`,
 * see `tfevents.ts`), `checkpoints/{last,best}/` (see `checkpoint.ts`).
 *
 * Exact resume: weights, BN statistics, Adam moments, the training sampler's PRNG state
 * and the dropout step are all in the checkpoint, so `resume` reaches the same
 * weights as an uninterrupted run on the same backend.
 *
 * @example
 * ```ts
 * const cfg = await loadExperiment("experiments/liver.json", { profile: "cpu" });
 * const result = await trainExperiment(cfg, { onEpoch: (m) => console.log(m.valDice) });
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  type BackendName,
  type ExperimentConfig,
  trainingInputSize,
} from "../config/experiment.ts";
import { buildFCDenseNet, outputSize } from "../models/fc_densenet.ts";
import { checkTrainMemory } from "../backend/memory.ts";
import { setDropoutStep } from "../models/step_dropout.ts";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomic.ts";
import { createProgress, type Progress } from "../util/progress.ts";
import { type Adam, createAdam } from "./adam.ts";
import {
  checkpointDir,
  loadModelFiles,
  readCheckpoint,
  recoverCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { checkResolvedConfig } from "../config/load.ts";
import { claimRunDir, type RunClaim } from "./run_dir.ts";
import { describeBackend, initBackend } from "../backend/select.ts";
import { type CaseEntry, indexDataset, splitCases } from "../data/dataset.ts";
import { type Batch, createSampler, type SamplerOptions } from "../data/sampler.ts";
import { combinedLoss, diceFromCounts, TARGET_CLASS } from "./losses.ts";
import { writeTfEvents } from "./tfevents.ts";

export type { Batch };

/** A seeded stream of random batches whose PRNG state can be saved. */
export interface BatchSource {
  next(batchSize: number): Batch;
  state(): unknown;
  restore(state: unknown): void;
  dispose?(): void;
}

/** The training and validation batch sources of a run. */
export interface BatchSources {
  train: BatchSource;
  validation: BatchSource;
}

/** One line of `metrics.jsonl`. */
export interface EpochMetrics {
  epoch: number;
  /** Micro-batches done so far. */
  step: number;
  trainLoss: number;
  /** Hard Dice of the target class, pooled over the epoch's training batches. */
  trainDice: number;
  valLoss: number;
  /** Hard Dice of the target class, pooled over the epoch's validation batches. */
  valDice: number;
  isBest: boolean;
  bestValDice: number;
  trainSeconds: number;
  valSeconds: number;
  /** Training slices per second (forward + backward). */
  slicesPerSecond: number;
  /** ISO time the epoch ended. */
  time: string;
  backend: string;
}

/** Reported after every training iteration. */
export interface StepInfo {
  epoch: number;
  iteration: number;
  step: number;
  loss: number;
  /** Running training Dice of this epoch. */
  dice: number;
  slicesPerSecond: number;
}

export interface TrainOptions {
  /** Default `results/runs/<name>/<runId>`. */
  runDir?: string;
  /** Default: the UTC time, e.g. `20261126-203000`. */
  runId?: string;
  /** Continue the run in `runDir` from its `last` checkpoint. */
  resume?: boolean;
  /** Overrides `cfg.train.backend`. */
  backend?: BackendName;
  onEpoch?: (m: EpochMetrics) => void;
  onStep?: (s: StepInfo) => void;
  /** No progress bar or log lines. */
  quiet?: boolean;
  /** Batch sources instead of the dataset sampler (tests, notebooks). */
  sources?: BatchSources;
}

export interface RunResult {
  runDir: string;
  metrics: EpochMetrics[];
  bestEpoch: number;
  bestValDice: number;
}

/** Thrown when a loss becomes NaN or infinite; the last good checkpoint stays. */
export class NonFiniteLossError extends Error {}

const runIdNow = () => new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

/** Compare configs as JSON, ignoring what may change on resume (epochs, backend). */
function resumableConfig(cfg: ExperimentConfig): string {
  return JSON.stringify({ ...cfg, train: { ...cfg.train, epochs: 0, backend: "auto" } });
}

/** The lines of `metrics.jsonl` (none when it is missing); a damaged line is an error naming it. */
async function readMetrics(path: string): Promise<EpochMetrics[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  return text.split("\n").flatMap((line, i) => {
    if (!line.trim()) return [];
    let m: EpochMetrics;
    try {
      m = JSON.parse(line);
    } catch (err) {
      throw new Error(`${path}: line ${i + 1} is not valid JSON (${(err as Error).message})`);
    }
    if (!m || typeof m !== "object" || !Number.isInteger(m.epoch)) {
      throw new Error(`${path}: line ${i + 1} is not an epoch's metrics (no integer "epoch")`);
    }
    return [m];
  });
}

/** A run's `config.json`, checked like an experiment file; errors name the file. */
async function readRunConfig(configPath: string): Promise<ExperimentConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(configPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${configPath}: missing (not a run folder?)`);
    }
    throw new Error(`${configPath}: cannot read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${configPath}: not valid JSON (${(err as Error).message})`);
  }
  return checkResolvedConfig(value, configPath);
}

/** Preprocessed data that may stay resident: all cases below it, else the sampler's pool. */
const RESIDENT_BYTES = 1.5e9;

/** Open the dataset samplers of `cfg` (training and validation cases of its split). */
async function openSources(cfg: ExperimentConfig): Promise<BatchSources> {
  const cases = await indexDataset(cfg.data.root, { requireSegmentation: true });
  const split = splitCases(cases, cfg.data.split);
  const { inputSize: i, sliceSize: s, windows } = cfg.data;
  const make = (
    list: CaseEntry[],
    seed: number,
    augment: Pick<SamplerOptions, "patchSize" | "intensityShift" | "liverPatches">,
  ) => {
    if (list.length === 0) throw new Error(`${cfg.data.root}: the split leaves no cases here`);
    // Upper bound: every slice selected; inputs float32, labels + weights.
    const bytes = list.reduce(
      (sum, c) => sum + c.shape[2] * (i * i * windows.length * 4 + s * s * 5),
      0,
    );
    const cacheCases = bytes <= RESIDENT_BYTES ? list.length : undefined;
    return createSampler({
      cases: list,
      data: cfg.data,
      task: cfg.task,
      seed,
      cacheCases,
      ...augment,
    });
  };
  return {
    // Validation sees whole slices, as inference does.
    train: make(split.train, cfg.train.seed, {
      patchSize: cfg.data.patchSize,
      intensityShift: cfg.data.intensityShift,
      liverPatches: cfg.data.liverPatches,
    }),
    validation: make(split.validation, cfg.train.seed + 1, {}),
  };
}

/** Run `f` on consecutive micro-batches of `batch` (slices along the batch axis). */
function microBatches(batch: Batch, size: number): Batch[] {
  const n = batch.images.shape[0];
  if (size >= n) return [batch];
  const out: Batch[] = [];
  for (let i = 0; i < n; i += size) {
    const k = Math.min(size, n - i);
    out.push({
      images: batch.images.slice([i, 0, 0, 0], [k, -1, -1, -1]),
      labels: batch.labels.slice([i, 0, 0, 0], [k, -1, -1, -1]),
      weights: batch.weights.slice([i, 0, 0], [k, -1, -1]),
    });
  }
  return out;
}

function disposeBatch(b: Batch): void {
  tf.dispose([b.images, b.labels, b.weights]);
}

/** Train `cfg` (or resume it); see the module doc. */
export async function trainExperiment(
  cfg: ExperimentConfig,
  opts: TrainOptions = {},
): Promise<RunResult> {
  const info = await initBackend(opts.backend ?? cfg.train.backend);
  const sources = opts.sources ?? await openSources(cfg);
  let claim: RunClaim;
  try {
    // Claimed (created, locked) only once the data opened, so a bad start leaves no folder.
    claim = await claimRunDir(
      opts.runDir ?? join("results", "runs", cfg.name, opts.runId ?? runIdNow()),
      { resume: opts.resume ?? false, numbered: !opts.runDir && !opts.runId },
    );
  } catch (err) {
    if (!opts.sources) {
      sources.train.dispose?.();
      sources.validation.dispose?.();
    }
    throw err;
  }
  try {
    return await trainInto(claim.runDir, cfg, opts, info, sources);
  } catch (err) {
    await claim.failed();
    throw err;
  } finally {
    await claim.release();
  }
}

async function trainInto(
  runDir: string,
  cfg: ExperimentConfig,
  opts: TrainOptions,
  info: Awaited<ReturnType<typeof initBackend>>,
  sources: BatchSources,
): Promise<RunResult> {
  const configPath = join(runDir, "config.json");
  const metricsPath = join(runDir, "metrics.jsonl");
  const lastDir = join(runDir, "checkpoints", "last");
  const bestDir = join(runDir, "checkpoints", "best");
  const backend = describeBackend(info);
  const log = (line: string) => {
    if (!opts.quiet) console.error(line);
  };

  let model: tf.LayersModel;
  let adam: Adam;
  let metrics: EpochMetrics[] = [];
  let startEpoch = 0;
  let step = 0;
  let bestValDice = -Infinity;
  let bestEpoch = 0;
  const validationStart = sources.validation.state();
  // Under the run's lock: put back a checkpoint a kill left half-replaced.
  await recoverCheckpoint(lastDir);
  await recoverCheckpoint(bestDir);

  if (opts.resume) {
    const saved = await readRunConfig(configPath);
    if (resumableConfig(saved) !== resumableConfig(cfg)) {
      throw new Error(
        `${configPath}: the run was made with another config (only train.epochs and the backend may change on resume)`,
      );
    }
  }
  // Killed before its first checkpoint, a run has nothing to lose: resuming starts it over.
  const resumeFrom = opts.resume ? await checkpointDir(lastDir) : null;
  if (opts.resume && !resumeFrom) log(`${runDir}: no checkpoint yet, starting from epoch 0`);
  if (resumeFrom) {
    const ck = await readCheckpoint(lastDir);
    model = ck.model;
    adam = createAdam(
      model.trainableWeights.map((w) => w.read() as tf.Variable),
      adamOptions(cfg, model),
    );
    adam.restore(ck.adam);
    tf.dispose([...ck.adam.m, ...ck.adam.v]);
    startEpoch = ck.state.epoch;
    step = ck.state.step;
    bestValDice = ck.state.bestValDice;
    bestEpoch = ck.state.bestEpoch;
    sources.train.restore(ck.state.samplers.train);
    // Epochs after the checkpoint (killed between the metrics line and the checkpoint) are redone.
    metrics = (await readMetrics(metricsPath)).filter((m) => m.epoch <= startEpoch);
    await writeTextAtomic(metricsPath, metrics.map((m) => JSON.stringify(m) + "\n").join(""));
    await writeJsonAtomic(configPath, cfg);
    log(`resuming ${runDir} after epoch ${startEpoch} (step ${step})`);
  } else {
    if (!opts.resume && await checkpointDir(lastDir)) {
      throw new Error(`${runDir}: already holds a run; pass resume or choose another run id`);
    }
    await writeJsonAtomic(configPath, cfg);
    await writeTextAtomic(metricsPath, "");
    model = buildFCDenseNet(cfg.model, trainingInputSize(cfg.data), { seed: cfg.train.seed });
    adam = createAdam(
      model.trainableWeights.map((w) => w.read() as tf.Variable),
      adamOptions(cfg, model),
    );
  }
  if (info.name === "wasm" || info.name === "cpu" || info.name === "onednn") {
    // The wasm heap fails with obscure errors past 4 GiB: say so before the first step.
    checkTrainMemory(model, cfg.train.microBatch, info.name, `${cfg.name} (${cfg.profile})`);
  }
  const expectOut = outputSize(cfg.model, cfg.data.inputSize);
  const patch = cfg.data.patchSize ? ` (trained on ${cfg.data.patchSize} px patches)` : "";
  log(
    `training ${cfg.name} (${cfg.profile}) on ${backend}: ${model.countParams()} parameters, ` +
      `input ${cfg.data.inputSize} -> ${expectOut}${patch}, ${cfg.train.epochs} epochs, run ${runDir}`,
  );

  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { batchSize, microBatch, trainIterations, validationIterations } = cfg.train;
  const ownSources = !opts.sources;

  try {
    for (let epoch = startEpoch + 1; epoch <= cfg.train.epochs; epoch++) {
      const progress: Progress | null = opts.quiet ? null : createProgress({
        total: trainIterations + validationIterations,
        label: `${cfg.name} epoch ${epoch}/${cfg.train.epochs}`,
      });
      // Training.
      const t0 = performance.now();
      let lossSum = 0;
      let inter = 0;
      let sum = 0;
      for (let it = 1; it <= trainIterations; it++) {
        const batch = sources.train.next(batchSize);
        const parts = microBatches(batch, microBatch);
        let acc: tf.Tensor[] = [];
        let batchLoss = 0;
        for (const part of parts) {
          setDropoutStep(model, { seed: cfg.train.seed, step });
          step++;
          const share = part.images.shape[0] / batchSize;
          const kept: { counts?: tf.Tensor } = {};
          const { value, grads } = tf.variableGrads(() => {
            const probs = model.apply(part.images, { training: true }) as tf.Tensor4D;
            kept.counts = tf.keep(diceCountsTensor(part.labels, probs));
            return combinedLoss(cfg.train.loss, part.labels, probs, part.weights);
          }, vars);
          const lossValue = (await value.data())[0];
          const [i, s] = await kept.counts!.data();
          tf.dispose([value, kept.counts!]);
          if (!Number.isFinite(lossValue)) {
            tf.dispose(Object.values(grads));
            tf.dispose(acc);
            throw new NonFiniteLossError(
              `${cfg.name}: loss is ${lossValue} at epoch ${epoch}, iteration ${it} (step ${step}); ` +
                `stopping. ${
                  epoch > 1
                    ? `The last good checkpoint is ${lastDir} (epoch ${epoch - 1}).`
                    : "No checkpoint was written."
                }`,
            );
          }
          batchLoss += lossValue * share;
          inter += i;
          sum += s;
          const parted = vars.map((v) => grads[v.name]);
          if (parts.length === 1) {
            acc = parted; // the whole batch: nothing to scale (saves a kernel per variable)
          } else {
            const prev = acc;
            acc = tf.tidy(() => {
              const w = tf.scalar(share);
              return parted.map((g, k) => prev.length ? prev[k].add(g.mul(w)) : g.mul(w));
            });
            tf.dispose(prev);
            tf.dispose(Object.values(grads));
          }
        }
        if (parts.length > 1) parts.forEach(disposeBatch);
        disposeBatch(batch);
        adam.apply(acc, learningRateAt(cfg.train, adam.state().step));
        tf.dispose(acc);
        lossSum += batchLoss;
        const sps = (it * batchSize) / ((performance.now() - t0) / 1000);
        const dice = diceFromCounts(inter, sum);
        opts.onStep?.({ epoch, iteration: it, step, loss: batchLoss, dice, slicesPerSecond: sps });
        progress?.update(it, { loss: lossSum / it, dice, "slices/s": sps });
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const trainLoss = lossSum / trainIterations;
      const trainDice = diceFromCounts(inter, sum);

      // Validation.
      const t1 = performance.now();
      let valLossSum = 0;
      let vInter = 0;
      let vSum = 0;
      sources.validation.restore(validationStart);
      for (let it = 1; it <= validationIterations; it++) {
        const batch = sources.validation.next(batchSize);
        const parts = microBatches(batch, microBatch);
        for (const part of parts) {
          const out = tf.tidy(() => {
            const probs = model.apply(part.images, { training: false }) as tf.Tensor4D;
            const l = combinedLoss(cfg.train.loss, part.labels, probs, part.weights);
            return tf.concat([l.reshape([1]), diceCountsTensor(part.labels, probs)]);
          });
          const [loss, i, s] = await out.data();
          out.dispose();
          valLossSum += loss * part.images.shape[0] / batchSize;
          vInter += i;
          vSum += s;
        }
        if (parts.length > 1) parts.forEach(disposeBatch);
        disposeBatch(batch);
        progress?.update(trainIterations + it, {
          loss: trainLoss,
          dice: trainDice,
          "val dice": diceFromCounts(vInter, vSum),
        });
      }
      const valSeconds = (performance.now() - t1) / 1000;
      const valLoss = validationIterations > 0 ? valLossSum / validationIterations : NaN;
      const valDice = validationIterations > 0 ? diceFromCounts(vInter, vSum) : NaN;
      const isBest = valDice > bestValDice;
      if (isBest) {
        bestValDice = valDice;
        bestEpoch = epoch;
      }
      const m: EpochMetrics = {
        epoch,
        step,
        trainLoss,
        trainDice,
        valLoss,
        valDice,
        isBest,
        bestValDice,
        trainSeconds,
        valSeconds,
        slicesPerSecond: (trainIterations * batchSize) / trainSeconds,
        time: new Date().toISOString(),
        backend,
      };
      progress?.done({
        loss: trainLoss,
        dice: trainDice,
        "val loss": valLoss,
        "val dice": valDice,
      });
      metrics.push(m);
      const state = {
        epoch,
        step,
        adamStep: adam.state().step,
        samplers: { train: sources.train.state() },
        bestValDice,
        bestEpoch,
      };
      if (isBest) await writeCheckpoint(bestDir, model, adam, state);
      await writeTextAtomic(metricsPath, metrics.map((x) => JSON.stringify(x) + "\n").join(""));
      await writeTfEvents(runDir, metrics);
      await writeCheckpoint(lastDir, model, adam, state);
      log(
        `epoch ${epoch}/${cfg.train.epochs} train loss ${trainLoss.toFixed(4)} dice ${
          trainDice.toFixed(4)
        } | val loss ${valLoss.toFixed(4)} dice ${valDice.toFixed(4)}${isBest ? " (best)" : ""} | ${
          m.slicesPerSecond.toFixed(2)
        } slices/s`,
      );
      opts.onEpoch?.(m);
    }
  } finally {
    adam.dispose();
    model.dispose();
    if (ownSources) {
      sources.train.dispose?.();
      sources.validation.dispose?.();
    }
  }
  return { runDir, metrics, bestEpoch, bestValDice };
}

/**
 * The learning rate of the update after `done` updates: constant, or cosine
 * from `learningRate` down to 0 at `epochs * trainIterations` updates.
 */
export function learningRateAt(train: ExperimentConfig["train"], done: number): number {
  if ((train.learningRateSchedule ?? "constant") === "constant") return train.learningRate;
  const total = train.epochs * train.trainIterations;
  return train.learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(done, total) / total));
}

/** Adam over the trainable weights; L2 decay on convolution kernels only (not biases, not BN). */
function adamOptions(cfg: ExperimentConfig, model: tf.LayersModel) {
  return {
    learningRate: cfg.train.learningRate,
    weightDecay: cfg.train.weightDecay,
    decay: model.trainableWeights.map((w) => /kernel/.test(w.originalName)),
  };
}

/** [inter, |P| + |G|] of the target class as a tensor (kept inside a gradient tape). */
function diceCountsTensor(labels: tf.Tensor4D, probs: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const pred = probs.argMax(-1).equal(TARGET_CLASS).cast("float32");
    const g = labels.argMax(-1).equal(TARGET_CLASS).cast("float32");
    return tf.stack([pred.mul(g).sum(), pred.sum().add(g.sum())]) as tf.Tensor1D;
  });
}

/**
 * A run's config and the model of its `best` or `last` checkpoint, every file checked
 * (see `checkpoint.ts`); reads nothing else of the run.
 *
 * @example
 * ```ts
 * const { config, model } = await loadRunModel("results/runs/liver/20261126-203000");
 * ```
 */
export async function loadRunModel(
  runDir: string,
  which: "best" | "last" = "best",
): Promise<{ config: ExperimentConfig; model: tf.LayersModel }> {
  const config = await readRunConfig(join(runDir, "config.json"));
  const dir = await checkpointDir(join(runDir, "checkpoints", which));
  if (!dir) throw new Error(`${runDir}: no "${which}" checkpoint`);
  return { config, model: await loadModelFiles(dir) };
}

/**
 * Load a finished (or running) run: its config, a model from the `best` or
 * `last` checkpoint, and its metrics.
 *
 * @example
 * ```ts
 * const { config, model, metrics } = await loadRun("results/runs/liver/20261126-203000");
 * ```
 */
export async function loadRun(
  runDir: string,
  which: "best" | "last" = "best",
): Promise<{ config: ExperimentConfig; model: tf.LayersModel; metrics: EpochMetrics[] }> {
  const metrics = await readMetrics(join(runDir, "metrics.jsonl"));
  return { ...(await loadRunModel(runDir, which)), metrics };
}

/**
 * The newest run in `runsDir` (folder names sort by time) that has a checkpoint to resume
 * from; runs that never reached one are passed over.
 *
 * @example
 * ```ts
 * const runDir = await newestResumableRun("results/runs/liver");
 * ```
 */
export async function newestResumableRun(runsDir: string): Promise<string> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(runsDir)) if (e.isDirectory) ids.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const id of ids.sort().reverse()) {
    const dir = join(runsDir, id);
    if (await checkpointDir(join(dir, "checkpoints", "last"))) return dir;
  }
  throw new Error(`${runsDir}: no run with a checkpoint to resume`);
}
