/**
 * Picks and initialises the tfjs compute backend. `auto` tries, in order: tfjs-node-gpu,
 * tfjs-node (only when installed: never required), WebGPU on a real GPU (not Mesa's
 * llvmpipe/lavapipe software adapter), onednn (the cpu backend with oneDNN kernels, when
 * Debian's `libdnnl2` is installed: `onednn_backend.ts`), wasm (threads, with the kernels of
 * `wasm_kernels.ts`), cpu. Prints nothing: callers log the returned {@link BackendInfo}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useQueueWriteUploads } from "./webgpu_upload.ts";
import { registerWebGPUConvGrad } from "./webgpu_conv_grad.ts";
import { registerWebGPUBatchNorm } from "./webgpu_batchnorm.ts";
import { registerWebGPUAdam } from "./webgpu_adam.ts";
import { keepUniforms } from "./webgpu_uniforms.ts";
import type { BackendName } from "../config/experiment.ts";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { registerBatchNormGrad } from "./batchnorm_grad.ts";
import { describeOneDNN, oneDNNThreads, registerOneDNNBackend } from "./onednn_backend.ts";

/** What `initBackend` set up. */
export interface BackendInfo {
  name: "tensorflow" | "webgpu" | "onednn" | "wasm" | "cpu";
  /** The device in words: GPU adapter, "CPU (wasm SIMD, 2 threads)", ... */
  device: string;
  /** XNNPACK threads (wasm) or OpenMP threads (onednn). */
  threads?: number;
  /** Why `auto` passed over faster backends, or other notes. */
  detail?: string;
}

export interface BackendOptions {
  /**
   * wasm or oneDNN threads; default `WASM_THREADS` from the environment, else the logical
   * core count (at most 8, the size of the wasm glue's worker pool).
   */
  threads?: number;
}

/**
 * One line for logs: name, device and any note.
 * @example
 * describeBackend({ name: "wasm", device: "CPU (wasm SIMD, 2 threads)", threads: 2 });
 * // "wasm (CPU (wasm SIMD, 2 threads))"
 */
export function describeBackend(info: BackendInfo): string {
  return `${info.name} (${info.device})${info.detail ? `: ${info.detail}` : ""}`;
}

let current: { key: string; info: Promise<BackendInfo> } | undefined;

/**
 * Initialises backend `name` (idempotent: the same call returns the same info).
 * @example
 * const info = await initBackend("auto");
 * console.error(`backend ${info.name} on ${info.device}`);
 */
export function initBackend(
  name: BackendName,
  opts: BackendOptions = {},
): Promise<BackendInfo> {
  const key = JSON.stringify([name, opts.threads ?? null]);
  if (current?.key === key) return current.info;
  const info = choose(name, opts);
  current = { key, info };
  info.catch(() => {
    if (current?.key === key) current = undefined;
  });
  return info;
}

async function choose(name: BackendName, opts: BackendOptions): Promise<BackendInfo> {
  registerBatchNormGrad();
  switch (name) {
    case "tensorflow": {
      const info = await tryTensorflow();
      if (info == null) {
        throw new Error(
          "backend 'tensorflow': neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node " +
            "is installed and loadable; add one to deno.json's imports or use 'auto'",
        );
      }
      return info;
    }
    case "webgpu":
      return await initWebGPU(await probeWebGPU(), true);
    case "onednn": {
      const info = await initOneDNN(opts);
      if (typeof info === "string") throw new Error(`backend 'onednn': ${info}`);
      return info;
    }
    case "wasm":
      return await initWasm(opts);
    case "cpu":
      return await initCpu();
    case "auto":
      return await chooseAuto(opts);
    default:
      throw new Error(`unknown backend '${name}' (auto, tensorflow, webgpu, wasm, cpu)`);
  }
}

async function chooseAuto(opts: BackendOptions): Promise<BackendInfo> {
  const notes: string[] = [];
  const tensorflow = await tryTensorflow();
  if (tensorflow != null) return tensorflow;
  notes.push("tfjs-node not installed");
  const probe = await probeWebGPU();
  if (probe.adapter != null && !probe.software) return await initWebGPU(probe, false);
  notes.push(probe.adapter == null ? "no WebGPU adapter" : `WebGPU is ${probe.description}`);
  const native = await initOneDNN(opts);
  if (typeof native !== "string") return { ...native, detail: notes.join("; ") };
  notes.push(native);
  try {
    const info = await initWasm(opts);
    return { ...info, detail: notes.join("; ") };
  } catch (err) {
    notes.push(`wasm failed: ${err instanceof Error ? err.message : err}`);
  }
  return { ...(await initCpu()), detail: notes.join("; ") };
}

/** Loads tfjs-node-gpu or tfjs-node when present; null when neither loads. */
async function tryTensorflow(): Promise<BackendInfo | null> {
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      // A non-literal specifier: neither `deno check` nor the loader may fetch it.
      await import(pkg);
    } catch {
      continue;
    }
    if (await tf.setBackend("tensorflow")) {
      return { name: "tensorflow", device: pkg.endsWith("-gpu") ? "GPU (TF C)" : "CPU (TF C)" };
    }
  }
  return null;
}

interface WebGPUProbe {
  adapter: GPUAdapter | null;
  description: string;
  /** Mesa's llvmpipe/lavapipe or another fallback adapter: slower than wasm. */
  software: boolean;
}

/** Software adapters: Mesa (vendor 0x10005 = 65541), llvmpipe/lavapipe, SwiftShader. */
export function isSoftwareAdapter(
  info: { vendor?: string; description?: string; device?: string },
  isFallback = false,
): boolean {
  const text = `${info.description ?? ""} ${info.device ?? ""}`;
  return isFallback || info.vendor === "65541" || /llvmpipe|lavapipe|swiftshader/i.test(text);
}

async function probeWebGPU(): Promise<WebGPUProbe> {
  const none = { adapter: null, description: "absent", software: false };
  if (typeof navigator === "undefined" || !("gpu" in navigator)) return none;
  // Vulkan's Wayland/X11 code paths complain on stderr without a runtime dir.
  if (!Deno.env.get("XDG_RUNTIME_DIR")) {
    Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "xdg-" }));
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return none;
  }
  if (adapter == null) return none;
  const info = adapter.info;
  const description = info.description || info.device || `vendor ${info.vendor}`;
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  return { adapter, description, software: isSoftwareAdapter(info, fallback) };
}

async function initWebGPU(probe: WebGPUProbe, explicit: boolean): Promise<BackendInfo> {
  if (probe.adapter == null) {
    throw new Error(
      "backend 'webgpu': no WebGPU adapter (on a CPU machine install mesa-vulkan-drivers)",
    );
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("backend 'webgpu' failed to initialise");
  useQueueWriteUploads(tf.backend());
  keepUniforms(tf.backend());
  registerWebGPUConvGrad();
  registerWebGPUBatchNorm();
  registerWebGPUAdam();
  return {
    name: "webgpu",
    device: probe.description,
    detail: explicit && probe.software ? "software adapter: slower than wasm" : undefined,
  };
}

function defaultThreads(): number {
  const fromEnv = Number(Deno.env.get("WASM_THREADS"));
  if (Number.isInteger(fromEnv) && fromEnv > 0) return Math.min(fromEnv, 8);
  return Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 8));
}

async function initWasm(opts: BackendOptions): Promise<BackendInfo> {
  registerWasmKernels();
  const threads = opts.threads ?? defaultThreads();
  const { getThreadsCount } = await import("@tensorflow/tfjs-backend-wasm");
  let actual: number;
  if (tf.findBackend("wasm") != null) {
    // Already initialised (threads are fixed at that point).
    await tf.setBackend("wasm");
    actual = getThreadsCount();
  } else {
    const { initWasmThreaded } = await import("./wasm_threads.ts");
    actual = await initWasmThreaded(threads);
  }
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  return {
    name: "wasm",
    device: `CPU (wasm${simd ? " SIMD" : ""}, ${actual} thread${actual === 1 ? "" : "s"})`,
    threads: actual,
    // Say so when the pool came up smaller than asked: training is then that much slower.
    detail: actual < threads
      ? `asked for ${threads} wasm threads, got ${actual} (cores: ${navigator.hardwareConcurrency})`
      : undefined,
  };
}

/** The onednn backend, or why it cannot be used (library missing or of another version). */
async function initOneDNN(opts: BackendOptions): Promise<BackendInfo | string> {
  const threads = opts.threads ?? defaultThreads();
  const why = registerOneDNNBackend({ threads });
  if (why !== null) return why;
  tf.env().set("PROD", true); // the cpu backend's console banner, as in initCpu
  if (!(await tf.setBackend("onednn"))) return "the onednn backend failed to initialise";
  return { name: "onednn", device: `CPU (${describeOneDNN()})`, threads: oneDNNThreads() };
}

async function initCpu(): Promise<BackendInfo> {
  // The cpu backend greets Node (and Deno, seen as Node) with a console banner on first use,
  // unless PROD is set; it only silences warnings.
  tf.env().set("PROD", true);
  if (!(await tf.setBackend("cpu"))) throw new Error("backend 'cpu' failed to initialise");
  return { name: "cpu", device: "CPU (plain JS)" };
}
