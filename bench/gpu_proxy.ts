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
 * The networks run at a reduced input (`--input`, default liver 32, tumor twice that, as the
 * paper's 256 / 512): the dispatch count does not depend on it (2,101 at liver input 16 and
 * 2,104 at 64: only whether a filter gradient needs its second, chunk-summing pass, and
 * which of tfjs's programs a small convolution picks, change), and lavapipe runs a paper-size
 * step in minutes. One warm-up step, one measured.
 *
 * `deno run -A bench/gpu_proxy.ts [--input 32] [--submit-batch N]` (N:
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`, tfjs's default 15).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { describeBackend, initBackend } from "../lib/backend/select.ts";
import { loadExperiment } from "../lib/config/load.ts";
import { timeTrainStep } from "./train_step.ts";

/** What one stretch of the run between two reads cost. */
interface Meter {
  dispatches: number;
  /** In WebGPU calls other than `submit`. */
  webgpuMs: number;
  submitMs: number;
  readMs: number;
}

const meter = (): Meter => ({ dispatches: 0, webgpuMs: 0, submitMs: 0, readMs: 0 });

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
          m[field] += performance.now() - t0;
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
    try {
      return await read.call(this, id);
    } finally {
      stretches[stretches.length - 1].readMs += performance.now() - t0;
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

/** The proxy numbers for both paper networks, keys `<net>_<what>`. */
export async function benchGpuProxy(
  opts: { input?: number; submitBatch?: number; log?: (s: string) => void } = {},
): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  const probe = await navigator.gpu?.requestAdapter().catch(() => null);
  if (probe == null) {
    log("gpu: no WebGPU adapter (install mesa-vulkan-drivers): skipped");
    return {};
  }
  const info = await initBackend("webgpu");
  log(`backend ${describeBackend(info)}`);
  if (opts.submitBatch) tf.env().set("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE", opts.submitBatch);
  const liverInput = opts.input ?? 32;
  const result: Record<string, number> = {};
  for (const name of ["liver", "tumor"] as const) {
    const cfg = await loadExperiment(`experiments/${name}.json`, { profile: "paper" });
    const input = name === "liver" ? liverInput : 2 * liverInput;
    let ms = 0;
    const stretches = await meterWebGPU(async () => {
      ms = (await timeTrainStep(cfg.model, cfg.train.batchSize, 1, {
        input,
        backend: "webgpu",
      })).ms;
    });
    // A step reads twice (the loss, then a weight): stretches 0-1 are the warm-up step
    // (and the set-up before it), 2-3 the measured one.
    const step = stretches.slice(2, 4);
    const sum = (k: keyof Meter) => step.reduce((a, m) => a + m[k], 0);
    const cpu = ms - sum("readMs") - sum("submitMs");
    Object.assign(result, {
      [`${name}_input`]: input,
      [`${name}_dispatches`]: sum("dispatches"),
      [`${name}_cpu_ms`]: cpu,
      [`${name}_webgpu_ms`]: sum("webgpuMs"),
      [`${name}_js_ms`]: cpu - sum("webgpuMs"),
      [`${name}_submit_ms`]: sum("submitMs"),
      [`${name}_us_per_dispatch`]: (1000 * cpu) / sum("dispatches"),
      [`${name}_step_ms`]: ms,
    });
    log(
      `${name} (paper network, input ${input}, batch ${cfg.train.batchSize}): ` +
        `${sum("dispatches")} dispatches, ${cpu.toFixed(0)} ms CPU (${
          sum("webgpuMs").toFixed(0)
        } in WebGPU calls but submit), ${(1000 * cpu / sum("dispatches")).toFixed(0)} us a ` +
        `dispatch; ${ms.toFixed(0)} ms wall, ${sum("submitMs").toFixed(0)} in submits`,
    );
  }
  return result;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { input: { type: "string" }, "submit-batch": { type: "string" } },
  });
  const r = await benchGpuProxy({
    input: values.input ? Number(values.input) : undefined,
    submitBatch: values["submit-batch"] ? Number(values["submit-batch"]) : undefined,
    log: (s) => console.log(s),
  });
  console.log(JSON.stringify(r));
  Deno.exit(0);
}
