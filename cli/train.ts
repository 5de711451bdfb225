/**
 * `deno task train experiments/liver.json [--profile cpu] [--backend NAME]
 *   [--resume] [--run-id ID | --run-dir DIR] [--data DIR] [--epochs N] [--quiet]`
 *
 * Trains one experiment into `results/runs/<name>/<run-id>/`. The profile
 * defaults to `cpu` (this machine); `paper` is the paper's exact settings.
 * `--resume` continues the run `--run-id` (default: the newest run of the
 * experiment) from its last checkpoint; `--epochs` may extend it.
 * @module
 */
import { join } from "node:path";
import type { BackendName, ProfileName } from "../lib/config/experiment.ts";
import { loadExperiment, type Patch } from "../lib/config/load.ts";
import { NonFiniteLossError, trainExperiment } from "../lib/train/loop.ts";
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
        "continue --run-id (default: the newest run with a checkpoint) from its last checkpoint",
    },
    "run-id": { type: "string", value: "ID", help: "run folder name under results/runs/<name>/" },
    "run-dir": { type: "string", value: "DIR", help: "run folder (instead of --run-id)" },
    data: { type: "string", value: "DIR", help: "LiTS-layout data folder (overrides data.root)" },
    epochs: {
      type: "int",
      min: 1,
      help: "epochs (overrides train.epochs; may extend a resumed run)",
    },
    quiet: { type: "boolean", help: "no progress bar" },
  },
});

async function newestRun(dir: string): Promise<string> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isDirectory) ids.push(e.name);
  } catch {
    // no runs yet
  }
  if (ids.length === 0) throw new Error(`${dir}: no run to resume`);
  return ids.sort().at(-1)!;
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
    const runs = join("results", "runs", cfg.name);
    const runId = flags["run-id"] ??
      (flags.resume && !flags["run-dir"] ? await newestRun(runs) : undefined);
    try {
      const result = await trainExperiment(cfg, {
        runId,
        runDir: flags["run-dir"],
        resume: flags.resume,
        backend: flags.backend as BackendName | undefined,
        quiet: flags.quiet,
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
