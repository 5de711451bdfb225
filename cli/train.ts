/**
 * `deno task train experiments/liver.json [--profile cpu] [--backend NAME]
 *   [--resume] [--run-id ID | --run-dir DIR] [--data DIR] [--cache DIR] [--epochs N] [--quiet]`
 *
 * Trains one experiment into `results/runs/<name>/<run-id>/`. The profile
 * defaults to `cpu` (this machine); `paper` is the paper's exact settings.
 * `--resume` continues the run `--run-id` (default: the latest run of the
 * experiment that has a checkpoint) from its last checkpoint; `--epochs` may extend it.
 * Preprocessed cases are kept in `--cache` (default `results/cache`) for the next run.
 * @module
 */
import { join } from "node:path";
import type { BackendName, ProfileName } from "../lib/config/experiment.ts";
import { loadExperiment, type Patch } from "../lib/config/load.ts";
import { latestRun } from "../lib/runs/latest.ts";
import { trainExperiment } from "../lib/train/loop.ts";
import { NonFiniteLossError } from "../lib/train/steps.ts";
import { BACKEND_FLAG, defineCli, PROFILE_FLAG, runCli, UsageError } from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "train",
  summary: "Train one experiment into results/runs/<name>/<run-id>/ (or --run-dir).",
  positionals: { name: "EXPERIMENT.json", help: "the experiment file", min: 1, max: 1 },
  flags: {
    profile: PROFILE_FLAG,
    backend: BACKEND_FLAG,
    resume: {
      type: "boolean",
      help:
        "continue --run-id (default: the latest run with a checkpoint) from its last checkpoint",
    },
    "run-id": { type: "string", value: "ID", help: "run folder name under results/runs/<name>/" },
    "run-dir": { type: "string", value: "DIR", help: "run folder (instead of --run-id)" },
    data: { type: "string", value: "DIR", help: "LiTS-layout data folder (overrides data.root)" },
    cache: {
      type: "string",
      value: "DIR",
      default: join("results", "cache"),
      help: "folder of preprocessed cases that later runs reuse",
    },
    epochs: {
      type: "int",
      min: 1,
      help: "epochs (overrides train.epochs; may extend a resumed run)",
    },
    quiet: { type: "boolean", help: "no progress bar" },
  },
});

/** The latest run of `experiment` with a `last` checkpoint, by `lib/runs/latest.ts`'s rule. */
async function latestResumable(experiment: string): Promise<string> {
  const runsDir = join("results", "runs");
  const run = await latestRun(runsDir, experiment, { needs: "resumable" });
  if (!run) throw new Error(`${join(runsDir, experiment)}: no run with a checkpoint to resume`);
  return run.dir;
}

if (import.meta.main) {
  await runCli(CLI, async ({ flags, positionals }) => {
    if (flags["run-id"] && flags["run-dir"]) {
      throw new UsageError("give --run-id or --run-dir, not both");
    }
    const overrides: Patch = {};
    if (flags.data) overrides.data = { root: flags.data };
    if (flags.epochs) overrides.train = { epochs: flags.epochs };
    const cfg = await loadExperiment(positionals[0], {
      profile: flags.profile as ProfileName,
      overrides,
    });
    // A plain --resume continues the latest run that has a checkpoint.
    const runDir = flags["run-dir"] ??
      (flags.resume && !flags["run-id"] ? await latestResumable(cfg.name) : undefined);
    try {
      const result = await trainExperiment(cfg, {
        runId: flags["run-id"],
        runDir,
        resume: flags.resume,
        backend: flags.backend as BackendName | undefined,
        quiet: flags.quiet,
        cacheDir: flags.cache,
      });
      console.error(
        `done: ${result.runDir}  best validation Dice ${
          result.bestValDice.toFixed(4)
        } at epoch ${result.bestEpoch}`,
      );
    } catch (err) {
      if (!(err instanceof NonFiniteLossError)) throw err;
      console.error(err.message);
      return 1;
    }
  });
}
