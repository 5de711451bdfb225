/**
 * The training loop: one plain path from a resolved experiment to a run folder
 * (`lib/runs/folder.ts` says what is in it).
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
 * Exact resume: weights, BN statistics, Adam moments, the training sampler's PRNG state
 * and the dropout step are all in the checkpoint, so `resume` reaches the same
 * weights as an uninterrupted run on the same backend.
 *
 * The loop, read top to bottom in {@link trainInto}: start (fresh or resumed), then per
 * epoch train, validate, record (metrics, TensorBoard, checkpoints), log.
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
import { type BackendInfo, describeBackend, initBackend } from "../backend/select.ts";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomic.ts";
import { createProgress, type Progress } from "../util/progress.ts";
import { diceFromCounts } from "../metrics/overlap.ts";
import {
  checkpointDir,
  readCheckpoint,
  recoverCheckpoint,
  writeCheckpoint,
} from "../runs/checkpoint.ts";
import { claimRunDir } from "../runs/claim.ts";
import {
  type EpochMetrics,
  metricsText,
  newRunId,
  readMetrics,
  readRunConfig,
  type RunPaths,
  runPaths,
} from "../runs/folder.ts";
import { writeTfEvents } from "../runs/tfevents.ts";
import { type Adam, createAdam } from "./adam.ts";
import { type BatchSources, closeSources, openSources } from "./batches.ts";
import {
  adamOptions,
  type BatchResult,
  trainableVariables,
  trainBatch,
  validateBatch,
} from "./steps.ts";

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
  /** Default `<runsDir>/<name>/<runId>`. */
  runDir?: string;
  /** Folder of the experiments' run folders (default `results/runs`). */
  runsDir?: string;
  /** Default: the UTC time, e.g. `20261126-203000` (`-2`, `-3`, ... when taken). */
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
  /** Folder of preprocessed cases shared between runs (`lib/data/prepared_case.ts`); default none. */
  cacheDir?: string;
}

export interface RunResult {
  runDir: string;
  metrics: EpochMetrics[];
  bestEpoch: number;
  bestValDice: number;
}

/** What an epoch changes: the model and optimiser, the counters and the best so far. */
interface RunState {
  model: tf.LayersModel;
  adam: Adam;
  metrics: EpochMetrics[];
  /** Epochs done. */
  epoch: number;
  /** Micro-batches done (the dropout step). */
  step: number;
  bestValDice: number;
  bestEpoch: number;
}

/** Train `cfg` (or resume it); see the module doc. */
export async function trainExperiment(
  cfg: ExperimentConfig,
  opts: TrainOptions = {},
): Promise<RunResult> {
  const info = await initBackend(opts.backend ?? cfg.train.backend);
  const sources = opts.sources ?? await openSources(cfg, { cacheDir: opts.cacheDir });
  const ownSources = !opts.sources;
  let claim;
  try {
    // Claimed (created, locked) only once the data opened, so a bad start leaves no folder.
    const runsDir = opts.runsDir ?? join("results", "runs");
    claim = await claimRunDir(
      opts.runDir ?? join(runsDir, cfg.name, opts.runId ?? newRunId()),
      { resume: opts.resume ?? false, numbered: !opts.runDir && !opts.runId },
    );
  } catch (err) {
    if (ownSources) closeSources(sources);
    throw err;
  }
  try {
    return await trainInto(claim.runDir, cfg, opts, info, sources);
  } catch (err) {
    await claim.failed();
    throw err;
  } finally {
    if (ownSources) closeSources(sources);
    await claim.release();
  }
}

/** The loop itself: start, then per epoch train, validate, record, log. */
async function trainInto(
  runDir: string,
  cfg: ExperimentConfig,
  opts: TrainOptions,
  info: BackendInfo,
  sources: BatchSources,
): Promise<RunResult> {
  const paths = runPaths(runDir);
  const backend = describeBackend(info);
  const log = (line: string) => {
    if (!opts.quiet) console.error(line);
  };
  const validationStart = sources.validation.state();
  const run = await startRun(paths, runDir, cfg, opts.resume ?? false, sources, log);
  try {
    checkMemory(run.model, cfg, info.name);
    log(startLine(cfg, run.model, backend, runDir));
    for (let epoch = run.epoch + 1; epoch <= cfg.train.epochs; epoch++) {
      const { trainIterations, validationIterations } = cfg.train;
      const progress: Progress | null = opts.quiet ? null : createProgress({
        total: trainIterations + validationIterations,
        label: `${cfg.name} epoch ${epoch}/${cfg.train.epochs}`,
      });
      const trained = await trainEpoch(run, cfg, sources, epoch, paths, progress, opts.onStep);
      sources.validation.restore(validationStart);
      const validated = await validateEpoch(run.model, cfg, sources, progress, trained);
      const m = epochMetrics(run, cfg, epoch, trained, validated, backend);
      progress?.done({
        loss: m.trainLoss,
        dice: m.trainDice,
        "val loss": m.valLoss,
        "val dice": m.valDice,
      });
      await recordEpoch(run, m, paths, runDir, sources);
      log(epochLine(m, cfg.train.epochs));
      opts.onEpoch?.(m);
    }
  } finally {
    run.adam.dispose();
    run.model.dispose();
  }
  return { runDir, metrics: run.metrics, bestEpoch: run.bestEpoch, bestValDice: run.bestValDice };
}

/** Compare configs as JSON, ignoring what may change on resume (epochs, backend). */
function resumableConfig(cfg: ExperimentConfig): string {
  return JSON.stringify({ ...cfg, train: { ...cfg.train, epochs: 0, backend: "auto" } });
}

/**
 * A fresh run (config written, metrics emptied, a new model) or, with `resume`, the run's
 * `last` checkpoint restored (model, Adam, counters, the training sampler) and the metrics
 * of later epochs dropped (a kill between the metrics line and the checkpoint redoes them).
 */
async function startRun(
  paths: RunPaths,
  runDir: string,
  cfg: ExperimentConfig,
  resume: boolean,
  sources: BatchSources,
  log: (line: string) => void,
): Promise<RunState> {
  // Under the run's lock: put back a checkpoint a kill left half-replaced.
  await recoverCheckpoint(paths.checkpoints.last);
  await recoverCheckpoint(paths.checkpoints.best);
  if (resume) {
    const saved = await readRunConfig(paths.config);
    if (resumableConfig(saved) !== resumableConfig(cfg)) {
      throw new Error(
        `${paths.config}: the run was made with another config (only train.epochs and the backend may change on resume)`,
      );
    }
  }
  // Killed before its first checkpoint, a run has nothing to lose: resuming starts it over.
  const resumeFrom = resume ? await checkpointDir(paths.checkpoints.last) : null;
  if (resume && !resumeFrom) log(`${runDir}: no checkpoint yet, starting from epoch 0`);
  if (resumeFrom) {
    const ck = await readCheckpoint(paths.checkpoints.last);
    const adam = createAdam(trainableVariables(ck.model), adamOptions(cfg, ck.model));
    adam.restore(ck.adam);
    tf.dispose([...ck.adam.m, ...ck.adam.v]);
    sources.train.restore(ck.state.samplers.train);
    const epoch = ck.state.epoch;
    const metrics = (await readMetrics(paths.metrics)).filter((m) => m.epoch <= epoch);
    await writeTextAtomic(paths.metrics, metricsText(metrics));
    await writeJsonAtomic(paths.config, cfg);
    log(`resuming ${runDir} after epoch ${epoch} (step ${ck.state.step})`);
    return {
      model: ck.model,
      adam,
      metrics,
      epoch,
      step: ck.state.step,
      bestValDice: ck.state.bestValDice,
      bestEpoch: ck.state.bestEpoch,
    };
  }
  if (!resume && await checkpointDir(paths.checkpoints.last)) {
    throw new Error(`${runDir}: already holds a run; pass resume or choose another run id`);
  }
  await writeJsonAtomic(paths.config, cfg);
  await writeTextAtomic(paths.metrics, "");
  const model = buildFCDenseNet(cfg.model, trainingInputSize(cfg.data), { seed: cfg.train.seed });
  const adam = createAdam(trainableVariables(model), adamOptions(cfg, model));
  return { model, adam, metrics: [], epoch: 0, step: 0, bestValDice: -Infinity, bestEpoch: 0 };
}

/** The wasm heap fails with obscure errors past 4 GiB: say so before the first step. */
function checkMemory(model: tf.LayersModel, cfg: ExperimentConfig, name: string): void {
  if (name === "wasm" || name === "cpu" || name === "onednn") {
    checkTrainMemory(model, cfg.train.microBatch, name, `${cfg.name} (${cfg.profile})`);
  }
}

function startLine(cfg: ExperimentConfig, model: tf.LayersModel, backend: string, runDir: string) {
  const expectOut = outputSize(cfg.model, cfg.data.inputSize);
  const patch = cfg.data.patchSize ? ` (trained on ${cfg.data.patchSize} px patches)` : "";
  return `training ${cfg.name} (${cfg.profile}) on ${backend}: ${model.countParams()} parameters, ` +
    `input ${cfg.data.inputSize} -> ${expectOut}${patch}, ${cfg.train.epochs} epochs, run ${runDir}`;
}

/** An epoch's pooled training or validation numbers. */
interface EpochPart {
  loss: number;
  dice: number;
  seconds: number;
}

/** `trainIterations` training iterations; the loss is their mean, the Dice pooled. */
async function trainEpoch(
  run: RunState,
  cfg: ExperimentConfig,
  sources: BatchSources,
  epoch: number,
  paths: RunPaths,
  progress: Progress | null,
  onStep: TrainOptions["onStep"],
): Promise<EpochPart> {
  const { batchSize, trainIterations } = cfg.train;
  const t0 = performance.now();
  let lossSum = 0, inter = 0, sum = 0;
  for (let it = 1; it <= trainIterations; it++) {
    const where = (step: number) =>
      `at epoch ${epoch}, iteration ${it} (step ${step}); stopping. ${
        epoch > 1
          ? `The last good checkpoint is ${paths.checkpoints.last} (epoch ${epoch - 1}).`
          : "No checkpoint was written."
      }`;
    const r = await trainBatch(run.model, run.adam, cfg, sources.train.next(batchSize), run, where);
    inter += r.inter;
    sum += r.sum;
    lossSum += r.loss;
    const sps = (it * batchSize) / ((performance.now() - t0) / 1000);
    const dice = diceFromCounts(inter, sum);
    onStep?.({ epoch, iteration: it, step: run.step, loss: r.loss, dice, slicesPerSecond: sps });
    progress?.update(it, { loss: lossSum / it, dice, "slices/s": sps });
  }
  return {
    loss: lossSum / trainIterations,
    dice: diceFromCounts(inter, sum),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** `validationIterations` batches of validation; NaN when there are none. */
async function validateEpoch(
  model: tf.LayersModel,
  cfg: ExperimentConfig,
  sources: BatchSources,
  progress: Progress | null,
  trained: EpochPart,
): Promise<EpochPart> {
  const { batchSize, trainIterations, validationIterations } = cfg.train;
  const t1 = performance.now();
  const total: BatchResult = { loss: 0, inter: 0, sum: 0 };
  for (let it = 1; it <= validationIterations; it++) {
    await validateBatch(model, cfg, sources.validation.next(batchSize), total);
    progress?.update(trainIterations + it, {
      loss: trained.loss,
      dice: trained.dice,
      "val dice": diceFromCounts(total.inter, total.sum),
    });
  }
  const any = validationIterations > 0;
  return {
    loss: any ? total.loss / validationIterations : NaN,
    dice: any ? diceFromCounts(total.inter, total.sum) : NaN,
    seconds: (performance.now() - t1) / 1000,
  };
}

/** The epoch's line of `metrics.jsonl`; updates the best so far. */
function epochMetrics(
  run: RunState,
  cfg: ExperimentConfig,
  epoch: number,
  trained: EpochPart,
  validated: EpochPart,
  backend: string,
): EpochMetrics {
  const isBest = validated.dice > run.bestValDice;
  if (isBest) {
    run.bestValDice = validated.dice;
    run.bestEpoch = epoch;
  }
  run.epoch = epoch;
  return {
    epoch,
    step: run.step,
    trainLoss: trained.loss,
    trainDice: trained.dice,
    valLoss: validated.loss,
    valDice: validated.dice,
    isBest,
    bestValDice: run.bestValDice,
    trainSeconds: trained.seconds,
    valSeconds: validated.seconds,
    slicesPerSecond: (cfg.train.trainIterations * cfg.train.batchSize) / trained.seconds,
    time: new Date().toISOString(),
    backend,
  };
}

/** `metrics.jsonl` and the TensorBoard events rewritten, `best` (when it is) and `last` replaced. */
async function recordEpoch(
  run: RunState,
  m: EpochMetrics,
  paths: RunPaths,
  runDir: string,
  sources: BatchSources,
): Promise<void> {
  run.metrics.push(m);
  const state = {
    epoch: m.epoch,
    step: run.step,
    adamStep: run.adam.state().step,
    samplers: { train: sources.train.state() },
    bestValDice: run.bestValDice,
    bestEpoch: run.bestEpoch,
  };
  if (m.isBest) await writeCheckpoint(paths.checkpoints.best, run.model, run.adam, state);
  await writeTextAtomic(paths.metrics, metricsText(run.metrics));
  await writeTfEvents(runDir, run.metrics);
  await writeCheckpoint(paths.checkpoints.last, run.model, run.adam, state);
}

function epochLine(m: EpochMetrics, epochs: number): string {
  return `epoch ${m.epoch}/${epochs} train loss ${m.trainLoss.toFixed(4)} dice ${
    m.trainDice.toFixed(4)
  } | val loss ${m.valLoss.toFixed(4)} dice ${m.valDice.toFixed(4)}${m.isBest ? " (best)" : ""} | ${
    m.slicesPerSecond.toFixed(2)
  } slices/s`;
}
