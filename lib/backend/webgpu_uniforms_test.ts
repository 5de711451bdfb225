import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";
import { assertClose, on, values } from "./testing.ts";
import { keepUniforms, useKeptUniforms } from "./webgpu_uniforms.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

/** A few kernels of a training step: convolution, ELU, a filter gradient, a scalar op. */
function work(): tf.Tensor[] {
  const x = tf.tensor4d(values(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
  const k = tf.tensor4d(values(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
  const f = (t: tf.Tensor) => tf.elu(tf.conv2d(x, t as tf.Tensor4D, 1, "same")).square().sum();
  return [tf.elu(tf.conv2d(x, k, 1, "same")).mul(0.5), tf.grad(f)(k)];
}

Deno.test({
  name: "webgpu kept uniform buffers: repeated dispatches reuse them, same results as cpu",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    const stats = keepUniforms(tf.backend());
    const cpu = await on("cpu", work);
    const first = await on("webgpu", work);
    await on("webgpu", work); // a content is kept from its second use
    const { reused, kept } = stats;
    const rounds = [];
    for (let i = 0; i < 3; i++) rounds.push(await on("webgpu", work));
    assert.ok(stats.reused > reused, `no uniform buffer reused (${JSON.stringify(stats)})`);
    assert.equal(stats.kept, kept, "the same work kept new uniform contents");
    useKeptUniforms(false);
    try {
      const before = { ...stats };
      const fresh = await on("webgpu", work);
      assert.deepEqual(stats, before, "kept uniforms used while off");
      assertClose(fresh, cpu, "fresh uniforms vs cpu", 1e-4);
    } finally {
      useKeptUniforms(true);
    }
    assertClose(first, cpu, "webgpu vs cpu", 1e-4);
    for (const r of rounds) assert.deepEqual(r, first, "a round with kept uniforms differs");
  },
});
