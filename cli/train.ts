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
import { parseArgs } from "node:util";
import { join } from "node:path";
import type { BackendName, ProfileName } from "../lib/config/experiment.ts";
import { loadExperiment, type Patch } from "../lib/config/load.ts";
import { NonFiniteLossError, trainExperiment } from "../lib/train/loop.ts";

const usage = "usage: deno task train EXPERIMENT.json [--profile smoke|cpu|paper] " +
  "[--backend auto|tensorflow|webgpu|wasm|cpu] [--resume] [--run-id ID | --run-dir DIR] [--data DIR] " +
  "[--epochs N] [--quiet]";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    profile: { type: "string", default: "cpu" },
    backend: { type: "string" },
    resume: { type: "boolean", default: false },
    "run-id": { type: "string" },
    "run-dir": { type: "string" },
    data: { type: "string" },
    epochs: { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help || positionals.length !== 1) {
  console.error(usage);
  Deno.exit(values.help ? 0 : 2);
}

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

try {
  const overrides: Patch = {};
  if (values.data) overrides.data = { root: values.data };
  if (values.epochs) overrides.train = { epochs: Number(values.epochs) };
  const cfg = await loadExperiment(positionals[0], {
    profile: values.profile as ProfileName,
    overrides,
  });
  const runs = join("results", "runs", cfg.name);
  const runId = values["run-id"] ??
    (values.resume && !values["run-dir"] ? await newestRun(runs) : undefined);
  const result = await trainExperiment(cfg, {
    runId,
    runDir: values["run-dir"],
    resume: values.resume,
    backend: values.backend as BackendName | undefined,
    quiet: values.quiet,
  });
  console.error(
    `done: ${result.runDir}  best validation Dice ${
      result.bestValDice.toFixed(4)
    } at epoch ${result.bestEpoch}`,
  );
  // The wasm backend's worker threads would keep the process alive.
  Deno.exit(0);
} catch (err) {
  console.error(
    err instanceof NonFiniteLossError ? err.message : `train: ${(err as Error).message}`,
  );
  Deno.exit(1);
}
