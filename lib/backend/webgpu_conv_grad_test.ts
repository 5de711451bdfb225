import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";
import { compareWithCpu, values } from "./testing.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

type Pad = "same" | "valid";
const cases: { x: number[]; k: number[]; s: number; pad: Pad }[] = [
  { x: [2, 5, 6, 3], k: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [2, 5, 6, 3], k: [3, 3, 3, 4], s: 1, pad: "valid" },
  { x: [2, 5, 6, 3], k: [2, 2, 3, 4], s: 1, pad: "same" }, // asymmetric padding
  { x: [1, 7, 6, 2], k: [5, 3, 2, 2], s: 1, pad: "valid" },
  { x: [3, 4, 5, 5], k: [1, 1, 5, 2], s: 1, pad: "valid" },
  { x: [2, 40, 40, 3], k: [3, 3, 3, 5], s: 1, pad: "same" }, // 3200 pixels: 13 chunks
  { x: [1, 9, 11, 70], k: [3, 3, 70, 20], s: 1, pad: "same" }, // 630 rows, 20 columns: 10 x 2 tiles
  { x: [2, 7, 6, 3], k: [3, 3, 3, 2], s: 2, pad: "same" }, // stride 2: the stock kernel
];

Deno.test({
  name: "webgpu filter gradient as tiled products over all taps matches cpu, without leaks",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    for (const c of cases) {
      const xv = values(c.x.reduce((a, b) => a * b), 1);
      const kv = values(c.k.reduce((a, b) => a * b), 2);
      await compareWithCpu("webgpu", `filter gradient ${JSON.stringify(c)}`, () => {
        const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
        const k = tf.tensor4d(kv, c.k as [number, number, number, number]);
        const f = (t: tf.Tensor) => tf.conv2d(x, t as tf.Tensor4D, c.s, c.pad).square().sum();
        return [tf.grad(f)(k)];
      }, 1e-3);
    }
    await tf.setBackend("webgpu");
    const x = tf.tensor4d(values(2 * 5 * 6 * 3, 3), [2, 5, 6, 3]);
    const dy = tf.tensor4d(values(2 * 5 * 6 * 4, 4), [2, 5, 6, 4]);
    const before = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      const dW = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: 1,
        pad: "same",
        dataFormat: "NHWC",
        filterShape: [3, 3, 3, 4],
      }) as tf.Tensor;
      await dW.data();
      dW.dispose();
    }
    assert.equal(tf.engine().backend.numDataIds(), before);
    tf.dispose([x, dy]);
  },
});
