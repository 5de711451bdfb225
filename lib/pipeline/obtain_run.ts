/**
 * "Use this run, else the latest of the profile, else train one now": how the notebooks get
 * the run of an experiment (the latest by `lib/runs/latest.ts`'s rule).
 *
 * @example
 * ```ts
 * const cfg = await profileExperiment("liver", "cpu", "../data/synthetic");
 * const run = await obtainRun(cfg, { runsDir: "results/runs" });
 * console.log(run.note); // "loaded results/runs/liver/20261126-203000 (12 epochs, best 0.93 at 11)"
 * ```
 * @module
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { ExperimentConfig } from "../config/experiment.ts";
import { type EpochMetrics, loadRun, withPostprocessOf } from "../runs/folder.ts";
import { latestRun } from "../runs/latest.ts";
import { trainExperiment, type TrainOptions } from "../train/loop.ts";

/** Options of {@link obtainRun}. */
export interface ObtainRunOptions extends Pick<TrainOptions, "onEpoch" | "onStep" | "backend"> {
  /** Folder of experiments' run folders (`results/runs`). */
  runsDir: string;
  /** A run id (or a run folder path) to load; empty or omitted: the latest of the profile. */
  runId?: string;
  /** Train a new run even when one exists. */
  train?: boolean;
  /** Checkpoint to load (default best). */
  checkpoint?: "best" | "last";
}

/** A run ready to use: its model, config and metrics, and how it was obtained. */
export interface ObtainedRun {
  runDir: string;
  config: ExperimentConfig;
  model: tf.LayersModel;
  metrics: EpochMetrics[];
  trained: boolean;
  /** One sentence saying what was loaded or why training ran. */
  note: string;
}

function describe(metrics: EpochMetrics[]): string {
  const best = metrics.reduce<EpochMetrics | undefined>(
    (b, m) => (!b || m.valDice > b.valDice ? m : b),
    undefined,
  );
  return `${metrics.length} epoch${metrics.length === 1 ? "" : "s"}${
    best ? `, best validation Dice ${best.valDice.toFixed(3)} at epoch ${best.epoch}` : ""
  }`;
}

/**
 * Load run `runId` of `cfg.name`; without one, the latest loadable run of
 * `cfg.profile`; when there is none, or `train` is set, train `cfg` into a new
 * run (the note says which happened). A loaded run takes `cfg.postprocess`.
 */
export async function obtainRun(
  cfg: ExperimentConfig,
  opts: ObtainRunOptions,
): Promise<ObtainedRun> {
  const which = opts.checkpoint ?? "best";
  let reason = "train = true";
  if (!opts.train) {
    let dir: string | undefined;
    if (opts.runId) {
      dir = opts.runId.includes("/") ? opts.runId : join(opts.runsDir, cfg.name, opts.runId);
    } else {
      dir = (await latestRun(opts.runsDir, cfg.name, { profile: cfg.profile }))?.dir;
      reason = `no finished ${cfg.name} run of profile ${cfg.profile} in ${opts.runsDir}`;
    }
    if (dir) {
      const run = await loadRun(dir, which);
      const post = JSON.stringify(run.config.postprocess) === JSON.stringify(cfg.postprocess)
        ? ""
        : `; post-processing ${JSON.stringify(cfg.postprocess)} from the experiment, not the run's`;
      return {
        runDir: dir,
        ...withPostprocessOf(run, cfg),
        trained: false,
        note: `loaded ${dir} (profile ${run.config.profile}, ${describe(run.metrics)}${post})`,
      };
    }
  }
  // A fresh id in `runsDir`; a second run within the same second gets a suffix.
  const result = await trainExperiment(cfg, {
    runsDir: opts.runsDir,
    backend: opts.backend,
    onEpoch: opts.onEpoch,
    onStep: opts.onStep,
    quiet: true,
  });
  const run = await loadRun(result.runDir, which);
  return {
    runDir: result.runDir,
    ...run,
    trained: true,
    note: `trained ${result.runDir} at profile ${cfg.profile} (${reason}; ${
      describe(run.metrics)
    })`,
  };
}
