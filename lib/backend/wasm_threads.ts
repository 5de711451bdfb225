/**
 * Multi-threaded wasm (XNNPACK thread pool) in Deno. tfjs-backend-wasm 4.22 sees Deno as
 * Node and switches threads off; and its Emscripten glue, in Node mode, starts each pthread
 * as a `node:worker_threads` Worker from `URL.createObjectURL(blob)`, a `blob:` URL a Node
 * Worker cannot load. Here the pthread script is written to a temp `.cjs` file, the blob URL
 * is mapped to that file while the backend initialises, and the worker turns the main
 * script is loaded from the package's glue file rather than the posted Blob.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";

/**
 * Prelude of the pthread script: Deno's worker scope has getter-only globals (`location`,
 * ...) that the glue's `Object.assign(global, ...)` would fail to set.
 */
const WRITABLE_GLOBALS = `
for (const name of ["self", "location", "Worker", "importScripts", "postMessage", "performance"]) {
  Object.defineProperty(globalThis, name, { value: globalThis[name], writable: true, configurable: true });
}
`;

/**
 * Postlude of the pthread script: the main script arrives as a Blob of the bundled factory,
 * whose source refers to bundler variables (\`require$$0\`) and cannot run alone; load the
 * package's own glue file instead (the same Emscripten build as the threaded binary).
 */
function useGlueFile(glue: string): string {
  return `
;(function () {
  const handle = self.onmessage;
  self.onmessage = (e) => {
    if (e.data && e.data.cmd === "load") e.data.urlOrBlob = ${JSON.stringify(glue)};
    handle(e);
  };
})();
`;
}

/** Source of the Emscripten pthread worker shipped with tfjs-backend-wasm. */
function workerSource(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@tensorflow/tfjs-backend-wasm");
  const out = join(dirname(main), "..", "wasm-out");
  const file = join(out, "tfjs-backend-wasm-threaded-simd.worker.js");
  const { wasmWorkerContents } = require(file) as { wasmWorkerContents: string };
  const glue = join(out, "tfjs-backend-wasm-threaded-simd.js");
  // As tfjs does for its blob: the template literal turned the source's "\n" escapes into
  // newlines inside string literals.
  return WRITABLE_GLOBALS + wasmWorkerContents.replace(/\n/g, "\\n") +
    useGlueFile(glue);
}

let workerFile: string | undefined;

/**
 * Initialises the `wasm` backend with `threads` XNNPACK threads (threads > 1 loads the
 * threaded SIMD binary). Must run before anything else initialises `wasm`. Returns the
 * thread count the backend reports.
 * @example
 * const n = await initWasmThreaded(2); // then tf.getBackend() === "wasm"
 */
export async function initWasmThreaded(threads: number): Promise<number> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (threads > 1) {
    if (workerFile == null) {
      const dir = Deno.makeTempDirSync({ prefix: "tfjs-wasm-" });
      workerFile = join(dir, "pthread.cjs");
      Deno.writeTextFileSync(workerFile, workerSource());
      globalThis.addEventListener("unload", () => {
        try {
          Deno.removeSync(dir, { recursive: true });
        } catch { /* already gone */ }
      });
    }
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  }
  setThreadsCount(threads);
  // The glue replaces globalThis.Worker by node's Worker and asks for a blob: URL for the
  // pthread script; both only matter while the pool of workers is created.
  const webWorker = globalThis.Worker;
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  const file = workerFile;
  if (file != null) URL.createObjectURL = () => file;
  // The wasm side caps the pool at (logical cores / 2), read once as the module loads: 1 on a
  // 2-core machine. Report 2 x threads cores while it loads.
  const fakeCores = Array.from({ length: 2 * threads }, () => cpus()[0]);
  os.cpus = () => fakeCores;
  // Outside Node mode the glue reads navigator.hardwareConcurrency instead.
  const concurrency = Object.getOwnPropertyDescriptor(navigator, "hardwareConcurrency");
  Object.defineProperty(navigator, "hardwareConcurrency", {
    value: 2 * threads,
    configurable: true,
  });
  try {
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new Error("the wasm backend failed to initialise");
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    if (concurrency == null) {
      delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
    } else Object.defineProperty(navigator, "hardwareConcurrency", concurrency);
    globalThis.Worker = webWorker;
  }
  return wasm.getThreadsCount();
}
