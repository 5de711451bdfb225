import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../config/experiment.ts";
import { initBackend } from "./select.ts";
import { registerOneDNNBackend } from "./onednn_backend.ts";
import { nativeBytes, primitiveCount } from "./onednn_primitives.ts";
import type { PooledCPUBackend } from "./pooled_cpu_backend.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";
import { lossCurve } from "./testing.ts";

// One thread, as in onednn_kernels_test.ts (test files run side by side).
const why = registerOneDNNBackend({ threads: 1 });
const ignore = why !== null;

/** A small liver network with every layer kind of the real one (dropout, SBU, ELU). */
const TINY: ModelConfig = {
  ...PAPER_LIVER_MODEL,
  firstFilters: 8,
  growthRate: 4,
  layersPerBlock: 2,
  poolingLevels: 2,
};

/** The loss curve of `steps` steps of TINY at `input` px on `backend` (`testing.ts`). */
async function train(backend: "onednn" | "wasm", steps: number, input: number, each?: () => void) {
  await initBackend(backend, { threads: 1 });
  return await lossCurve({ model: TINY, input, steps, onStep: each });
}

Deno.test({
  name: "a short training run on onednn follows wasm's loss curve within 1e-4 (relative)",
  ignore,
  fn: async () => {
    const native = await train("onednn", 15, 16);
    const wasm = await train("wasm", 15, 16);
    assert.ok(native[14] < native[0] * 0.9, `the loss falls: ${native[0]} -> ${native[14]}`);
    for (let i = 0; i < native.length; i++) {
      const rel = Math.abs(native[i] - wasm[i]) / Math.abs(wasm[i]);
      assert.ok(rel < 1e-4, `step ${i}: onednn ${native[i]} vs wasm ${wasm[i]} (${rel})`);
    }
  },
});

Deno.test({
  name:
    "1000 onednn training steps hold the tensor count, native buffers and pool steady, none deferred",
  ignore,
  fn: async () => {
    const marks: {
      tensors: number;
      native: number;
      primitives: number;
      pooled: number;
      deferred: number;
    }[] = [];
    let step = 0;
    await train("onednn", 1000, 8, () => {
      if (++step % 100 !== 0) return;
      const backend = tf.backend() as unknown as PooledCPUBackend;
      marks.push({
        tensors: tf.memory().numTensors,
        native: nativeBytes(),
        primitives: primitiveCount(),
        pooled: backend.pooledBytes(),
        // Batch norm outputs folded into their activation: each released with its tensor.
        deferred: backend.deferredCount(),
      });
    });
    // After the first hundred steps every shape has its primitive and its pooled buffers.
    for (const m of marks.slice(1)) assert.deepEqual(m, marks[0]);
    assert.equal(marks[0].deferred, 0);
  },
});
