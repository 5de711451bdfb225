import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";
import { values } from "./testing.ts";
import { createAdam } from "../train/adam.ts";
import { useStockAdam } from "./adam_update.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

const SHAPES = [[3, 3, 4, 5], [7], [1], [70000]]; // the last one over 65535 / 64 workgroups
const DECAY = [true, false, true, true];

/** Relative agreement: the second moments are around 1e-3, below `assertClose`'s scale. */
function assertRelClose(a: Float32Array[], b: Float32Array[], what: string, tol: number): void {
  assert.equal(a.length, b.length);
  a.forEach((x, k) =>
    x.forEach((xi, i) => {
      const bi = b[k][i];
      assert.ok(
        Math.abs(xi - bi) <= tol * Math.abs(bi) + 1e-12,
        `${what}: ${k}[${i}] ${xi} vs ${bi}`,
      );
    })
  );
}

/** Three Adam steps on `backend`: the weights and moments after them. */
async function threeSteps(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const vars = SHAPES.map((s, i) =>
    tf.variable(tf.tensor(values(s.reduce((a, b) => a * b, 1), i + 1), s))
  );
  const adam = createAdam(vars, { weightDecay: 0.05, decay: DECAY });
  const before = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    const grads = SHAPES.map((s, i) =>
      tf.tensor(values(s.reduce((a, b) => a * b, 1), 10 * step + i + 7), s)
    );
    adam.apply(grads, 1e-2);
    tf.dispose(grads);
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors after step ${step}`);
  }
  const { m, v } = adam.state();
  const out = await Promise.all(
    [...vars, ...m, ...v].map((t) => t.data() as Promise<Float32Array>),
  );
  adam.dispose();
  tf.dispose(vars);
  return out;
}

Deno.test({
  name: "webgpu fused Adam + L2 update matches cpu and tf ops on webgpu, without leaks",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    const cpu = await threeSteps("cpu");
    const fused = await threeSteps("webgpu");
    assertRelClose(fused, cpu, "fused adam vs cpu", 1e-5);
    useStockAdam(true);
    try {
      assertRelClose(fused, await threeSteps("webgpu"), "fused adam vs webgpu tf ops", 1e-5);
    } finally {
      useStockAdam(false);
    }
  },
});
