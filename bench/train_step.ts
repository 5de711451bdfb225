/**
 * Benchmark: one training step (forward + weighted cross-entropy + backward + Adam with L2)
 * of the liver FC-DenseNet (`lib/models/fc_densenet.ts`, ELU, bilinear up-sampling, SBU) at a
 * 128x128 input on the onednn backend (when `libdnnl2` is installed) and on wasm
 * (`lib/backend/select.ts`), and the same networks in PyTorch (`bench/train_step.py`,
 * `/usr/bin/python3`, as many threads) in the same run:
 * - `cpu`: the `cpu` profile's width of `experiments/liver.json` (24 first filters, growth 8,
 *   3 layers per block, 3 pooling levels), batch 4;
 * - `paper`: 48 first filters, growth 16, 4 layers per block, 3 pooling levels, batch 3.
 *
 * `deno run -A bench/train_step.ts [--steps N] [--threads T] [--profile] [--stock K1,K2]` prints
 * ms/step for both and the ratio; `--profile` adds the time per kernel (exclusive time,
 * timing wrappers around every kernel); `--stock` also times each backend without our
 * replacements named, alternating steps in the same run: wasm's stock kernels (e.g.
 * `Sum,Mean`), onednn's own primitives for our paths (`conv3x3,batchNorm,filterGrad1x1`).
 * `benchTrainStep()` returns the numbers.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineCli, runCli } from "../lib/util/cli_args.ts";
import type { ModelConfig } from "../lib/config/experiment.ts";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { buildFCDenseNet, outputSize } from "../lib/models/fc_densenet.ts";
import { setDropoutStep } from "../lib/models/step_dropout.ts";
import { weightedCrossEntropy } from "../lib/train/losses.ts";
import { createAdam } from "../lib/train/adam.ts";
import { estimateTrainMemory } from "../lib/backend/memory.ts";
import { setStockWasmKernels } from "../lib/backend/wasm_kernels.ts";
import { setOneDNNStock } from "../lib/backend/onednn_kernels.ts";
import { PAPER_LIVER_MODEL } from "../lib/models/testing.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const INPUT = 128;

const BASE: ModelConfig = PAPER_LIVER_MODEL;

/** The two networks: name, config, batch. */
export const NETWORKS: { name: string; model: ModelConfig; batch: number }[] = [
  {
    name: "cpu",
    model: { ...BASE, firstFilters: 24, growthRate: 8, layersPerBlock: 3 },
    batch: 4,
  },
  { name: "paper", model: BASE, batch: 3 },
];

/**
 * Exclusive milliseconds per kernel of `backend` while `fn` runs (nested kernel time
 * subtracted). On an asynchronous backend (webgpu) this is the CPU time to dispatch.
 */
export async function profileKernels(
  fn: () => Promise<void>,
  backend = "wasm",
): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  const stack: number[] = []; // child time accumulated per open kernel
  const originals = tf.getKernelsForBackend(backend);
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      setupFunc: undefined, // already set up with the backend
      kernelFunc: (args) => {
        stack.push(0);
        const t0 = performance.now();
        try {
          return k.kernelFunc(args);
        } finally {
          const dt = performance.now() - t0;
          const child = stack.pop()!;
          totals.set(k.kernelName, (totals.get(k.kernelName) ?? 0) + dt - child);
          if (stack.length > 0) stack[stack.length - 1] += dt;
        }
      },
    });
  }
  try {
    await fn();
  } finally {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel({ ...k, setupFunc: undefined });
    }
  }
  return totals;
}

/**
 * GPU milliseconds per kernel while `fn` runs, from `tf.profile` (WebGPU timestamp queries);
 * kernels the backend cannot time count 0.
 */
export async function profileGpuKernels(fn: () => Promise<void>): Promise<Map<string, number>> {
  const info = await tf.profile(fn);
  const totals = new Map<string, number>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    totals.set(k.name, (totals.get(k.name) ?? 0) + ms);
  }
  return totals;
}

/** A deterministic batch: a bright disk as "liver", weights 1 / 5 like the weight maps. */
function makeBatch(batch: number, cfg: ModelConfig, input: number) {
  const out = outputSize(cfg, input);
  return tf.tidy(() => {
    const images = tf.randomUniform(
      [batch, input, input, cfg.inputChannels],
      0,
      1,
      "float32",
      1,
    );
    const yy = tf.range(0, out).reshape([out, 1]).sub(out / 2).square();
    const xx = tf.range(0, out).reshape([1, out]).sub(out / 2).square();
    const inside = yy.add(xx).less((out / 3) ** 2).cast("float32");
    const fg = inside.expandDims(0).tile([batch, 1, 1]);
    const labels = tf.stack([tf.sub(1, fg), fg], -1) as tf.Tensor4D;
    const weights = fg.mul(4).add(1) as tf.Tensor3D;
    return { images: images as tf.Tensor4D, labels, weights };
  });
}

/**
 * Median ms/step of `steps` training steps (after one warm-up step) for one network. When
 * `lib/backend/memory.ts` says the batch does not fit the wasm heap, the step runs as
 * micro-batches with accumulated gradients, as the training loop does.
 */
export async function timeTrainStep(
  cfg: ModelConfig,
  batch: number,
  steps: number,
  opts: {
    profile?: boolean;
    /** Also time each kernel on the GPU during one step (`profileGpuKernels`). */
    gpuProfile?: boolean;
    input?: number;
    backend?: string;
    /** Alternate steps without our kernels for these names (see `stockMs`). */
    stock?: string[];
  } = {},
): Promise<
  {
    ms: number;
    stockMs?: number;
    microBatch: number;
    kernels?: Map<string, number>;
    gpuKernels?: Map<string, number>;
  }
> {
  const input = opts.input ?? INPUT;
  const model = buildFCDenseNet(cfg, input, { seed: 1 });
  // On a CPU backend the batch is split when it does not fit (the wasm heap's 4 GiB, or the
  // machine's RAM for onednn), as the training loop asks for with train.microBatch.
  const backend = opts.backend ?? "wasm";
  const microBatch = backend === "wasm" || backend === "onednn"
    ? Math.max(1, Math.min(batch, estimateTrainMemory(model, batch, backend).maxBatch))
    : batch;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const adam = createAdam(vars, {
    weightDecay: 5e-6,
    decay: vars.map((v) => v.shape.length > 1),
  });
  const parts: ReturnType<typeof makeBatch>[] = [];
  for (let start = 0; start < batch; start += microBatch) {
    parts.push(makeBatch(Math.min(microBatch, batch - start), cfg, input));
  }
  let step = 0;
  const trainStep = async () => {
    let acc: tf.Tensor[] = [];
    for (const data of parts) {
      setDropoutStep(model, { seed: 1, step: step++ });
      const { value, grads } = tf.variableGrads(() => {
        const probs = model.apply(data.images, { training: true }) as tf.Tensor4D;
        return weightedCrossEntropy(data.labels, probs, data.weights);
      }, vars);
      await value.data();
      value.dispose();
      // As lib/train/loop.ts: a whole batch is not scaled; micro-batches are by their share.
      if (parts.length === 1) {
        acc = vars.map((v) => grads[v.name]);
        continue;
      }
      const share = data.images.shape[0] / batch;
      const prev = acc;
      acc = tf.tidy(() => {
        const w = tf.scalar(share);
        return vars.map((v, k) => {
          const g = grads[v.name].mul(w);
          return prev.length ? prev[k].add(g) : g;
        });
      });
      tf.dispose([...prev, ...Object.values(grads)]);
    }
    adam.apply(acc, 1e-4);
    tf.dispose(acc);
    await vars[0].data();
  };
  await trainStep(); // warm-up: XNNPACK operator creation, heap growth
  const times: number[] = [];
  const stockTimes: number[] = [];
  // With `stock`, steps alternate between our kernels and the stock ones, so that both see
  // the same machine load.
  const rounds = opts.stock?.length ? 2 * steps : steps;
  for (let i = 0; i < rounds; i++) {
    const stock = opts.stock?.length ? i % 2 === 1 : false;
    const setStock = backend === "onednn" ? setOneDNNStock : setStockWasmKernels;
    if (stock) setStock(opts.stock!, true);
    try {
      const t0 = performance.now();
      await trainStep();
      (stock ? stockTimes : times).push(performance.now() - t0);
    } finally {
      if (stock) setStock(opts.stock!, false);
    }
  }
  const kernels = opts.profile
    ? await profileKernels(trainStep, opts.backend ?? "wasm")
    : undefined;
  const gpuKernels = opts.gpuProfile ? await profileGpuKernels(trainStep) : undefined;
  const median = (t: number[]) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
  adam.dispose();
  model.dispose();
  parts.forEach((p) => tf.dispose(Object.values(p)));
  return {
    ms: median(times),
    stockMs: stockTimes.length ? median(stockTimes) : undefined,
    microBatch,
    kernels,
    gpuKernels,
  };
}

/** Runs `bench/train_step.py` (extra args e.g. `--device cuda`) and parses its `name ms` lines. */
export async function timeTorch(
  steps: number,
  threads: number,
  extra: string[] = [],
  python = "/usr/bin/python3",
): Promise<Record<string, number>> {
  const cmd = new Deno.Command(python, {
    args: [
      join(HERE, "train_step.py"),
      "--steps",
      String(steps),
      "--threads",
      String(threads),
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await cmd.output();
  if (code !== 0) {
    throw new Error(`bench/train_step.py failed: ${new TextDecoder().decode(stderr)}`);
  }
  const out: Record<string, number> = {};
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const m = line.match(/^(\w+) ([\d.]+)$/);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * ms/step of each network on onednn (when it loads) and on wasm, one backend after the other,
 * then in PyTorch, and the ratio of each backend to PyTorch.
 * @example
 * const r = await benchTrainStep(); // { cpu_onednn_ms, cpu_wasm_ms, cpu_torch_ms, cpu_onednn_ratio, ... }
 */
export async function benchTrainStep(
  opts: {
    steps?: number;
    threads?: number;
    profile?: boolean;
    /** Backends to time (default: onednn when it loads, and wasm). */
    backends?: ("onednn" | "wasm")[];
    /** Also time steps without our kernels for these names (`<net>_<backend>_stock_ms`). */
    stock?: string[];
    log?: (s: string) => void;
  } = {},
): Promise<Record<string, number>> {
  const steps = opts.steps ?? 3;
  const log = opts.log ?? (() => {});
  const threads = opts.threads ?? Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 8));
  const result: Record<string, number> = { threads };
  const backends = opts.backends ?? ["onednn", "wasm"];
  const ran: string[] = [];
  for (const backend of backends) {
    let info;
    try {
      info = await initBackend(backend, { threads });
    } catch (err) {
      log(`backend ${backend} skipped: ${err instanceof Error ? err.message : err}`);
      continue;
    }
    log(`backend ${describeBackend(info)}`);
    ran.push(backend);
    for (const net of NETWORKS) {
      const { ms, stockMs, microBatch, kernels } = await timeTrainStep(
        net.model,
        net.batch,
        steps,
        { profile: opts.profile, stock: opts.stock, backend },
      );
      result[`${net.name}_${backend}_ms`] = ms;
      result[`${net.name}_${backend}_micro_batch`] = microBatch;
      if (stockMs !== undefined) result[`${net.name}_${backend}_stock_ms`] = stockMs;
      if (kernels) {
        const total = [...kernels.values()].reduce((a, b) => a + b, 0);
        const top = [...kernels].sort((a, b) => b[1] - a[1]).slice(0, 12);
        log(`${net.name}: ${backend} kernels, one step (${total.toFixed(0)} ms in kernels):`);
        for (const [name, t] of top) {
          log(
            `  ${name.padEnd(22)} ${t.toFixed(1).padStart(8)} ms ${(100 * t / total).toFixed(1)}%`,
          );
        }
      }
    }
  }
  const torch = await timeTorch(steps, threads);
  for (const net of NETWORKS) {
    result[`${net.name}_torch_ms`] = torch[net.name];
    for (const backend of ran) {
      result[`${net.name}_${backend}_ratio`] = result[`${net.name}_${backend}_ms`] /
        torch[net.name];
    }
  }
  return result;
}

const CLI = defineCli({
  name: "bench/train_step.ts",
  summary: "One liver training step on onednn and wasm against PyTorch, in one run.",
  flags: {
    steps: { type: "int", min: 1, default: 3, help: "timed steps per network and backend" },
    threads: { type: "int", min: 1, help: "threads for every backend and PyTorch" },
    backend: {
      type: "string",
      choices: ["onednn", "wasm"],
      help: "time only this backend (default: both)",
    },
    profile: { type: "boolean", help: "also print the time per kernel of one step" },
    stock: {
      type: "string",
      help: "also time steps without our kernels K1,K2,... (wasm: stock kernels; onednn: " +
        "oneDNN's own primitives or tf ops for conv3x3, batchNorm, filterGrad1x1, classRows, " +
        "weightedCE)",
    },
  },
});

if (import.meta.main) {
  await runCli(CLI, async ({ flags }) => {
    const r = await benchTrainStep({
      steps: flags.steps,
      threads: flags.threads,
      profile: flags.profile,
      backends: flags.backend ? [flags.backend as "onednn" | "wasm"] : undefined,
      stock: flags.stock?.split(","),
      log: (s) => console.log(s),
    });
    for (const net of NETWORKS) {
      const rows = ["onednn", "wasm"].filter((b) => r[`${net.name}_${b}_ms`] !== undefined).map(
        (b) =>
          `${b} ${r[`${net.name}_${b}_ms`].toFixed(0)} ms/step (${
            r[`${net.name}_${b}_ratio`].toFixed(2)
          }x)`,
      );
      console.log(
        `${net.name} (batch ${net.batch}, ${INPUT}x${INPUT}, ${r.threads} threads): ${
          rows.join(", ")
        }, ` +
          `PyTorch ${r[`${net.name}_torch_ms`].toFixed(0)} ms/step`,
      );
      for (const b of ["onednn", "wasm"]) {
        const stock = r[`${net.name}_${b}_stock_ms`];
        if (stock === undefined) continue;
        console.log(
          `  ${b} without ${flags.stock}: ${stock.toFixed(0)} ms/step, ours ` +
            `${r[`${net.name}_${b}_ms`].toFixed(0)} (${
              (stock / r[`${net.name}_${b}_ms`]).toFixed(2)
            }x faster)`,
        );
      }
    }
  });
}
