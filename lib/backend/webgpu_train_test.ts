import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";
import { lossCurve } from "./testing.ts";
import { useStockWebGPUKernels } from "./webgpu_stock.ts";
import { PAPER_LIVER_MODEL } from "../models/testing.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

/** The paper's network shrunk (dropout and SBU kept), 16 px input, batch 2. */
const MODEL = { ...PAPER_LIVER_MODEL, firstFilters: 6, growthRate: 4, layersPerBlock: 2 };
const INPUT = 16;
const STEPS = 6;

/** The loss curve of `STEPS` steps on `backend` (`testing.ts`). */
async function curveOn(backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  return await lossCurve({ model: MODEL, input: INPUT, steps: STEPS });
}

// The tolerance of the loss curves: 1e-5 relative over six steps (measured on lavapipe: ours
// and tfjs's own webgpu kernels differ by at most 1.2e-6 relative, ours and cpu by 3e-7).
const TOL = 1e-5;

Deno.test({
  name: "webgpu training with our kernels gives the loss curve of tfjs's kernels and of cpu",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    const ours = await curveOn("webgpu");
    useStockWebGPUKernels(true);
    let stock: number[];
    try {
      stock = await curveOn("webgpu");
    } finally {
      useStockWebGPUKernels(false);
    }
    const cpu = await curveOn("cpu");
    assert.ok(ours[STEPS - 1] < ours[0], `the loss decreases: ${ours}`);
    for (let i = 0; i < STEPS; i++) {
      assert.ok(Math.abs(ours[i] - stock[i]) <= TOL * stock[i], `step ${i}: ${ours} vs ${stock}`);
      assert.ok(Math.abs(ours[i] - cpu[i]) <= TOL * cpu[i], `step ${i}: ${ours} vs cpu ${cpu}`);
    }
  },
});
