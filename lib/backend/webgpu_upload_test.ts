import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

Deno.test({
  name: "webgpu uploads through queue.writeBuffer keep float, int and bool values",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    assert.equal(tf.getBackend(), "webgpu");
    assert.equal(
      (tf.backend() as unknown as { queueWriteUploads?: boolean }).queueWriteUploads,
      true,
    );
    const floats = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    const ints = Int32Array.from({ length: 7 }, (_, i) => (i - 3) * 1_000_003);
    const a = tf.tensor(floats);
    const b = tf.tensor(ints, [7], "int32");
    const c = tf.tensor([true, false, true], [3], "bool");
    const sum = tf.add(a, 1); // forces the upload of `a` inside a kernel
    assert.deepEqual(await a.data(), floats);
    assert.deepEqual(await b.data(), ints);
    assert.deepEqual([...(await c.data())], [1, 0, 1]);
    assert.deepEqual(await sum.data(), floats.map((v) => v + 1));
    // A subarray view uploads only its own bytes.
    const view = new Float32Array([9, 1, 2, 3, 9]).subarray(1, 4);
    const d = tf.tensor(view).mul(2);
    assert.deepEqual([...(await d.data())], [2, 4, 6]);
    tf.dispose([a, b, c, sum, d]);
  },
});
