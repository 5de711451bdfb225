/**
 * `deno task bench gpu`: what a GPU training step costs the CPU, measurable without a GPU
 * (Mesa's lavapipe in CI and on development machines). For one training step of the paper
 * liver and tumor networks (`bench/train_step.ts`'s step, batch 3) on `webgpu`:
 * - `<net>_dispatches`: compute dispatches (`GPUComputePassEncoder.dispatchWorkgroups` calls);
 * - `<net>_cpu_ms`: CPU time of the step on the JS thread: its wall time less the waits for
 *   its two reads and less `GPUQueue.submit` (`<net>_submit_ms`), inside which lavapipe runs
 *   the kernels; of it `<net>_webgpu_ms` inside the other WebGPU calls (bind groups, uniform
 *   writes, encoding) and `<net>_js_ms` in JavaScript (tfjs, our kernels, the model);
 *   `<net>_us_per_dispatch` = cpu_ms / dispatches;
 * - `<net>_step_ms`: the step's wall time on this adapter (on lavapipe mostly the emulated GPU).
 *
 * Medians of 3 steps after a warm-up. The networks run at a reduced input (`--input`, default
 * liver 16, tumor twice that, as the paper's 256 / 512), which lavapipe runs in seconds. The
 * count hardly depends on it: tfjs picks among its programs by size, and at the paper's input
 * every 3x3 convolution is one `Conv2DMM` dispatch (at 16 px, 21 of them are im2col + matrix
 * product, 2) and every filter gradient sums its pixel chunks in a second dispatch (at 16 px,
 * 24 have one chunk and skip it): the paper's liver step should count 3 more than at 16 px.
 * `.carry/gpu/run.sh` (`bench/gpu_pack.ts`) counts it at the paper's input on a GPU.
 *
 * `deno run -A bench/gpu_proxy.ts [--input 16] [--steps 3] [--flags K=V,...]` (tfjs flags,
 * `bench/gpu_flags.ts`, e.g. `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64`: tfjs's default is 15).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { loadExperiment } from "../lib/config/load.ts";
import { timeTrainStep } from "./train_step.ts";
import { setTfFlags } from "./gpu_flags.ts";

/** What one stretch of the run between two reads cost. */
export interface Meter {
  dispatches: number;
  /** performance.now() when the stretch ended (its read returned). */
  end: number;
  /** In WebGPU calls other than `submit`. */
  webgpuMs: number;
  submitMs: number;
  readMs: number;
}

const meter = (): Meter => ({ dispatches: 0, end: 0, webgpuMs: 0, submitMs: 0, readMs: 0 });

/** The WebGPU interfaces whose synchronous methods a step calls. */
const WEBGPU_CLASSES = [
  "GPUDevice",
  "GPUQueue",
  "GPUCommandEncoder",
  "GPUComputePassEncoder",
  "GPUBuffer",
  "GPUComputePipeline",
] as const;

/**
 * Counts dispatches and times WebGPU calls and backend reads while `fn` runs, split into
 * stretches that each end with a read of tensor data.
 */
export async function meterWebGPU(fn: () => Promise<void>): Promise<Meter[]> {
  const stretches: Meter[] = [meter()];
  // Calls inside a read (its submit, the staging copy) are part of the wait, counted there.
  let reading = 0;
  const restore: (() => void)[] = [];
  const g = globalThis as unknown as Record<string, { prototype: Record<string, unknown> }>;
  for (const cls of WEBGPU_CLASSES) {
    const proto = g[cls]?.prototype;
    if (proto == null) continue;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      const f = desc?.value;
      // Asynchronous calls (mapAsync, onSubmittedWorkDone) are waits, not CPU work.
      if (typeof f !== "function" || key === "constructor" || /Async|Done/.test(key)) continue;
      const counted = key === "dispatchWorkgroups";
      const field = cls === "GPUQueue" && key === "submit" ? "submitMs" : "webgpuMs";
      proto[key] = function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        try {
          return (f as (...a: unknown[]) => unknown).apply(this, args);
        } finally {
          const m = stretches[stretches.length - 1];
          if (reading === 0) m[field] += performance.now() - t0;
          if (counted) m.dispatches++;
        }
      };
      restore.push(() => Object.defineProperty(proto, key, desc!));
    }
  }
  const backend = tf.backend() as unknown as { read(id: object): Promise<unknown> };
  const read = backend.read;
  backend.read = async function (this: unknown, id: object) {
    const t0 = performance.now();
    reading++;
    try {
      return await read.call(this, id);
    } finally {
      reading--;
      const m = stretches[stretches.length - 1];
      m.end = performance.now();
      m.readMs += m.end - t0;
      stretches.push(meter());
    }
  };
  try {
    await fn();
  } finally {
    backend.read = read;
    restore.forEach((r) => r());
  }
  return stretches;
}

/** One measured step: its wall time and the meters of its two stretches summed. */
export interface StepCost extends Meter {
  wallMs: number;
  /** CPU time on the JS thread: wall less the read waits and the submits. */
  cpuMs: number;
}

/**
 * The steps of `stretches` after the first (the warm-up and the set-up before it), given
 * that each step ends two stretches (it reads the loss, then a weight).
 */
export function stepCosts(stretches: Meter[]): StepCost[] {
  const steps: StepCost[] = [];
  for (let i = 3; i < stretches.length; i += 2) {
    const [a, b] = [stretches[i - 1], stretches[i]];
    const sum = (k: keyof Meter) => a[k] + b[k];
    const wallMs = b.end - stretches[i - 2].end;
    const m = {
      dispatches: sum("dispatches"),
      webgpuMs: sum("webgpuMs"),
      submitMs: sum("submitMs"),
      readMs: sum("readMs"),
      end: b.end,
    };
    steps.push({ ...m, wallMs, cpuMs: wallMs - m.readMs - m.submitMs });
  }
  return steps;
}

/** The proxy numbers for both paper networks (medians of `steps` steps), keys `<net>_<what>`. */
export async function benchGpuProxy(
  opts: { input?: number; steps?: number; flags?: string; log?: (s: string) => void } = {},
): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  const probe = await navigator.gpu?.requestAdapter().catch(() => null);
  if (probe == null) {
    log("gpu: no WebGPU adapter (install mesa-vulkan-drivers): skipped");
    return {};
  }
  const info = await initBackend("webgpu");
  log(`backend ${describeBackend(info)}`);
  const flags = setTfFlags(opts.flags);
  if (Object.keys(flags).length) log(`tfjs flags ${JSON.stringify(flags)}`);
  const liverInput = opts.input ?? 16;
  const result: Record<string, number> = {};
  for (const name of ["liver", "tumor"] as const) {
    const cfg = await loadExperiment(`experiments/${name}.json`, { profile: "paper" });
    const input = name === "liver" ? liverInput : 2 * liverInput;
    const stretches = await meterWebGPU(async () => {
      await timeTrainStep(cfg.model, cfg.train.batchSize, opts.steps ?? 3, {
        input,
        backend: "webgpu",
      });
    });
    const steps = stepCosts(stretches);
    const median = (f: (s: StepCost) => number) =>
      steps.map(f).sort((a, b) => a - b)[Math.floor(steps.length / 2)];
    const r = {
      input,
      dispatches: median((s) => s.dispatches),
      cpu_ms: median((s) => s.cpuMs),
      webgpu_ms: median((s) => s.webgpuMs),
      js_ms: median((s) => s.cpuMs - s.webgpuMs),
      submit_ms: median((s) => s.submitMs),
      us_per_dispatch: median((s) => (1000 * s.cpuMs) / s.dispatches),
      step_ms: median((s) => s.wallMs),
    };
    for (const [k, v] of Object.entries(r)) result[`${name}_${k}`] = v;
    log(
      `${name} (paper network, input ${input}, batch ${cfg.train.batchSize}): ` +
        `${r.dispatches} dispatches, ${r.cpu_ms.toFixed(0)} ms CPU (${r.js_ms.toFixed(0)} JS, ${
          r.webgpu_ms.toFixed(0)
        } WebGPU calls but submit), ${r.us_per_dispatch.toFixed(0)} us a dispatch; ` +
        `${r.step_ms.toFixed(0)} ms wall, ${r.submit_ms.toFixed(0)} in submits`,
    );
  }
  return result;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      input: { type: "string" },
      steps: { type: "string" },
      flags: { type: "string" },
    },
  });
  const r = await benchGpuProxy({
    input: values.input ? Number(values.input) : undefined,
    steps: values.steps ? Number(values.steps) : undefined,
    flags: values.flags,
    log: (s) => console.log(s),
  });
  console.log(JSON.stringify(r));
  Deno.exit(0);
}
