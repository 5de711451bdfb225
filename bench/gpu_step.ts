/**
 * Benchmark for a machine with a GPU: training steps of the paper-profile
 * liver model (256 -> SBU 512, batch 3) and tumor model (512, 3 channels,
 * batch 3) on the `webgpu` backend (or `--backend`), next to the same networks
 * in PyTorch on CUDA (`bench/train_step.py --device cuda`) in the same run.
 *
 * `deno run -A bench/gpu_step.ts [--steps N] [--backend webgpu] [--input 256]
 *   [--python python3] [--torch-device cuda] [--no-torch] [--profile] [--stock]
 *   [--flags K=V,...] [--json FILE]` (`--flags`: tfjs flags, `bench/gpu_flags.ts`)
 * (`--stock` also times the steps with tfjs's own webgpu kernels in place of ours:
 * `lib/backend/webgpu_stock.ts`)
 * (`--profile` adds, per kernel during one step, the CPU time spent dispatching it and the
 * GPU time it ran, from WebGPU timestamp queries). Each model's line ends with the estimated
 * time of the paper's schedule, `epochs x trainIterations` steps (validation not counted).
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendName } from "../lib/config/experiment.ts";
import { loadExperiment } from "../lib/config/load.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { useStockWebGPUKernels } from "../lib/backend/webgpu_stock.ts";
import { timeTorch, timeTrainStep } from "./train_step.ts";
import { setTfFlags } from "./gpu_flags.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    steps: { type: "string", default: "5" },
    backend: { type: "string", default: "webgpu" },
    input: { type: "string" },
    python: { type: "string", default: "python3" },
    "torch-device": { type: "string", default: "cuda" },
    "no-torch": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    stock: { type: "boolean", default: false },
    experiments: { type: "string", default: "experiments" },
    json: { type: "string" },
    flags: { type: "string" },
  },
});
const steps = Number(values.steps);
const info = await initBackend(values.backend as BackendName);
console.log(`backend ${describeBackend(info)}`);
const flags = setTfFlags(values.flags);
if (Object.keys(flags).length) console.log(`tfjs flags ${JSON.stringify(flags)}`);

const result: Record<string, number | string> = { backend: info.name, device: info.device };
if (values.flags) result.flags = values.flags;
/** Steps of the paper's schedule per model, for the estimated training time. */
const scheduleSteps: Record<string, number> = {};
/** Hours of `scheduleSteps` steps of `ms` each. */
const hours = (name: string, ms: number) => (ms * scheduleSteps[name]) / 3.6e6;
const liverInput = values.input ? Number(values.input) : undefined;
for (const name of ["liver", "tumor"] as const) {
  const cfg = await loadExperiment(`${values.experiments}/${name}.json`, { profile: "paper" });
  // --input scales both models as the paper does: tumor input = 2 x liver input.
  const input = liverInput ? (name === "liver" ? liverInput : 2 * liverInput) : cfg.data.inputSize;
  scheduleSteps[name] = cfg.train.epochs * cfg.train.trainIterations;
  const t = await timeTrainStep(cfg.model, cfg.train.batchSize, steps, {
    input,
    backend: info.name,
    profile: values.profile,
    gpuProfile: values.profile,
  });
  const top = (what: string, kernels: Map<string, number>) => {
    const total = [...kernels.values()].reduce((a, b) => a + b, 0);
    console.log(`${name}: ${total.toFixed(0)} ms of one step ${what}; top:`);
    for (const [k, ms] of [...kernels].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
      console.log(`  ${k.padEnd(24)} ${ms.toFixed(1).padStart(9)} ms`);
    }
  };
  if (t.kernels) top("spent dispatching kernels", t.kernels);
  if (t.gpuKernels) top("of GPU kernel time", t.gpuKernels);
  result[`${name}_input`] = input;
  result[`${name}_batch`] = cfg.train.batchSize;
  result[`${name}_${info.name}_ms`] = t.ms;
  result[`${name}_schedule_h`] = hours(name, t.ms);
  console.log(
    `${name}: input ${input}, batch ${cfg.train.batchSize}: ${t.ms.toFixed(1)} ms/step, ` +
      `paper schedule (${scheduleSteps[name]} steps) ${hours(name, t.ms).toFixed(1)} h`,
  );
  if (values.stock && info.name === "webgpu") {
    useStockWebGPUKernels(true);
    const stock = await timeTrainStep(cfg.model, cfg.train.batchSize, steps, {
      input,
      backend: info.name,
    });
    useStockWebGPUKernels(false);
    result[`${name}_stock_ms`] = stock.ms;
    console.log(
      `${name}: with tfjs's stock kernels ${stock.ms.toFixed(1)} ms/step, paper schedule ${
        hours(name, stock.ms).toFixed(1)
      } h`,
    );
  }
}
if (!values["no-torch"]) {
  const torch = await timeTorch(steps, 16, [
    "--device",
    values["torch-device"],
    "--input",
    String(liverInput ?? 256),
    "--networks",
    "paper,tumor",
  ], values.python);
  result.liver_torch_ms = torch.paper;
  result.tumor_torch_ms = torch.tumor;
  for (const name of ["liver", "tumor"]) {
    const ratio = (result[`${name}_${info.name}_ms`] as number) /
      (result[`${name}_torch_ms`] as number);
    result[`${name}_ratio`] = ratio;
    const torchMs = result[`${name}_torch_ms`] as number;
    console.log(
      `${name}: PyTorch (${values["torch-device"]}) ${torchMs.toFixed(1)} ms/step, ratio ${
        ratio.toFixed(2)
      }, paper schedule ${hours(name, torchMs).toFixed(1)} h`,
    );
  }
}
if (values.json) await writeJsonAtomic(values.json, result);
console.log(JSON.stringify(result));
Deno.exit(0); // wasm worker threads would keep the process alive
