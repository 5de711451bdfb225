/**
 * `deno task export --run RUN_DIR [--checkpoint best|last] [--out DIR]`
 *
 * A trained run's model in the tfjs layers format with stock layers only
 * (`model.json` + `weights.bin`), for `tf.loadLayersModel` anywhere, without this
 * workbench's code (see lib/models/export.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { exportLayersModel } from "../lib/models/export.ts";
import { loadRunModel } from "../lib/runs/folder.ts";
import { type CliArgs, defineCli, runCli, UsageError } from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "export",
  summary: "Export a run's model for stock TensorFlow.js (tf.loadLayersModel): model.json + " +
    "weights.bin, the custom dropout layer replaced by tf.layers.dropout (identity at inference).",
  flags: {
    run: { type: "string", value: "RUN_DIR", help: "a trained run folder (required)" },
    checkpoint: {
      type: "string",
      choices: ["best", "last"],
      default: "best",
      help: "which weights",
    },
    out: { type: "string", value: "DIR", help: "output folder (default RUN_DIR/export/tfjs)" },
  },
});

async function main({ flags }: CliArgs<typeof CLI>): Promise<void> {
  if (!flags.run) throw new UsageError("--run is required");
  await tf.setBackend("cpu");
  const { config, model } = await loadRunModel(flags.run, flags.checkpoint as "best" | "last");
  const out = flags.out ?? join(flags.run, "export", "tfjs");
  try {
    const [modelJson] = await exportLayersModel(model, out);
    const [h, w, c] = model.inputs[0].shape.slice(1);
    console.log(
      `wrote ${modelJson} and weights.bin: ${config.name} (${config.profile}), input ` +
        `[batch, ${h}, ${w}, ${c}], load with tf.loadLayersModel(".../model.json")`,
    );
  } finally {
    model.dispose();
  }
}

if (import.meta.main) await runCli(CLI, main);
