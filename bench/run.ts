/**
 * `deno task bench [NAME...]`: every benchmark, each against its Python peer
 * in the same run, reported as ratios (timings from one run only compare
 * within that run). Writes `results/bench/bench.json`.
 *
 * - `load`: read + window + normalise + down-sample a 512x512x200 volume vs nibabel + numpy;
 * - `metrics`: the LiTS metrics of a 512x512x200 pair vs scipy (cKDTree, official style);
 * - `train`: one training step of the liver FC-DenseNet on wasm vs PyTorch.
 * @module
 */
import { benchLoadVolume } from "./load_volume.ts";
import { benchMetrics } from "./metrics.ts";
import { benchTrainStep } from "./train_step.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";

const BENCHES: Record<string, () => Promise<Record<string, number>>> = {
  load: () => benchLoadVolume(),
  metrics: () => benchMetrics(),
  train: () => benchTrainStep({ log: (s) => console.error(s) }),
};

const names = Deno.args.length ? Deno.args : Object.keys(BENCHES);
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length) {
  console.error(`bench: unknown benchmark(s) ${unknown.join(", ")} (${Object.keys(BENCHES)})`);
  Deno.exit(2);
}
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
Deno.exit(0); // wasm worker threads would keep the process alive
