/**
 * Benchmark: one training step of the paper's own networks at the paper's sizes on a CPU
 * (onednn backend): the liver model (256 -> SBU -> 512 px) and the tumor model (3 windows,
 * 512 px), batch 3, each in a process of its own so that its peak resident memory (`VmHWM`) is
 * its own. These do not fit wasm's 4 GiB heap at all; where a batch of 3 does not fit this
 * machine's RAM either (`lib/backend/memory.ts`'s estimate), it runs as micro-batches with
 * accumulated gradients, as the training loop does, and the bench says so.
 *
 * `deno run -A bench/train_paper.ts [--steps N] [--threads T]` prints ms/step and peak GiB for
 * both; `--net liver|tumor` runs one network in this process (what the parent runs).
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ModelConfig } from "../lib/config/experiment.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { PAPER_LIVER_MODEL } from "../lib/models/testing.ts";
import { timeTrainStep } from "./train_step.ts";
import { defineCli, runCli } from "../lib/util/cli_args.ts";

/** The paper's two networks and their input sizes (method.md "Networks"). */
export const PAPER_NETWORKS: Record<string, { model: ModelConfig; input: number }> = {
  liver: { model: PAPER_LIVER_MODEL, input: 256 },
  tumor: { model: { ...PAPER_LIVER_MODEL, inputChannels: 3, sbu: false }, input: 512 },
};
const BATCH = 3;

/** This process's peak resident memory in bytes (Linux `VmHWM`), or NaN elsewhere. */
export function peakResidentBytes(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function runOne(net: string, steps: number, threads?: number) {
  const info = await initBackend("onednn", { threads });
  const { model, input } = PAPER_NETWORKS[net];
  const { ms, microBatch } = await timeTrainStep(model, BATCH, steps, {
    input,
    backend: "onednn",
  });
  return { ms, microBatch, peak: peakResidentBytes(), backend: describeBackend(info) };
}

/**
 * ms/step and peak resident GiB of each paper network on onednn, each in a child process.
 * @example
 * const r = await benchTrainPaper({ steps: 1 }); // { liver_onednn_ms, liver_peak_gib, tumor_... }
 */
export async function benchTrainPaper(
  opts: { steps?: number; threads?: number; log?: (s: string) => void } = {},
): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  const result: Record<string, number> = {};
  for (const net of Object.keys(PAPER_NETWORKS)) {
    const args = ["run", "-A", fileURLToPath(import.meta.url), "--net", net];
    args.push("--steps", String(opts.steps ?? 2));
    if (opts.threads) args.push("--threads", String(opts.threads));
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout);
    if (code !== 0) {
      throw new Error(`bench/train_paper.ts --net ${net}: ${new TextDecoder().decode(stderr)}`);
    }
    const r = JSON.parse(text.trim().split("\n").at(-1)!);
    log(
      `${net} (paper, batch ${BATCH} as micro-batches of ${r.microBatch}, ` +
        `${PAPER_NETWORKS[net].input} px) on ${r.backend}`,
    );
    result[`${net}_onednn_ms`] = r.ms;
    result[`${net}_micro_batch`] = r.microBatch;
    result[`${net}_peak_gib`] = r.peak / 2 ** 30;
  }
  return result;
}

const CLI = defineCli({
  name: "bench/train_paper.ts",
  summary: "A training step of the paper's liver and tumor networks at full size on onednn.",
  flags: {
    steps: { type: "int", min: 1, default: 2, help: "timed steps (after one warm-up step)" },
    threads: { type: "int", min: 1, help: "oneDNN threads" },
    net: { type: "string", choices: Object.keys(PAPER_NETWORKS), help: "run one network here" },
  },
});

if (import.meta.main) {
  await runCli(CLI, async ({ flags }) => {
    if (flags.net) {
      console.log(JSON.stringify(await runOne(flags.net, flags.steps, flags.threads)));
      return;
    }
    const r = await benchTrainPaper({
      steps: flags.steps,
      threads: flags.threads,
      log: (s) => console.log(s),
    });
    for (const net of Object.keys(PAPER_NETWORKS)) {
      console.log(
        `${net}: ${(r[`${net}_onednn_ms`] / 1000).toFixed(2)} s/step, ` +
          `peak ${r[`${net}_peak_gib`].toFixed(2)} GiB`,
      );
    }
  });
}
