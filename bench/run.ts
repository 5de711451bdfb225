/**
 * `deno task bench [NAME...]`: every benchmark, each against its Python peer
 * in the same run, reported as ratios (timings from one run only compare
 * within that run). Writes `results/bench/bench.json`.
 *
 * - `load`: read + window + normalise + down-sample a 512x512x200 volume vs nibabel + numpy;
 * - `metrics`: the LiTS metrics of a 512x512x200 pair vs scipy (cKDTree, official style);
 * - `train`: one training step of the liver FC-DenseNet on onednn and wasm vs PyTorch;
 * - `paper`: a step of the paper's liver and tumor networks at full size on onednn, with the
 *   peak memory of each (`bench/train_paper.ts`);
 * - `gpu`: dispatches and CPU time of a paper liver and tumor step on webgpu (lavapipe
 *   without a GPU), `bench/gpu_proxy.ts`.
 * @module
 */
import { benchLoadVolume } from "./load_volume.ts";
import { benchMetrics } from "./metrics.ts";
import { benchTrainStep } from "./train_step.ts";
import { benchTrainPaper } from "./train_paper.ts";
import { benchGpuProxy } from "./gpu_proxy.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { defineCli, runCli } from "../lib/util/cli_args.ts";

const BENCHES: Record<string, () => Promise<Record<string, number>>> = {
  load: () => benchLoadVolume(),
  metrics: () => benchMetrics(),
  train: () => benchTrainStep({ log: (s) => console.error(s) }),
  paper: () => benchTrainPaper({ steps: 1, log: (s) => console.error(s) }),
  gpu: () => benchGpuProxy({ log: (s) => console.error(s) }),
};

const CLI = defineCli({
  name: "bench",
  summary: "Every benchmark (or the NAMEs given), each against its Python peer in the same run, " +
    "reported as ratios; writes results/bench/bench.json.",
  positionals: { name: "NAME...", help: "benchmarks to run", choices: Object.keys(BENCHES) },
  flags: {},
});

if (import.meta.main) {
  await runCli(CLI, async ({ positionals }) => {
    const names = positionals.length ? positionals : Object.keys(BENCHES);
    const results: Record<string, Record<string, number>> = {};
    for (const name of names) {
      console.error(`== ${name}`);
      results[name] = await BENCHES[name]();
      for (const [k, v] of Object.entries(results[name])) {
        console.log(`${name.padEnd(8)} ${k.padEnd(24)} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
      }
    }
    await writeJsonAtomic("results/bench/bench.json", { time: new Date().toISOString(), results });
    console.error("wrote results/bench/bench.json");
  });
}
