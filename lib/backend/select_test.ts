import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { initBackend, isSoftwareAdapter } from "./select.ts";

Deno.test("initBackend('wasm') asks for 2 threads, reports what it got, trains correctly", async () => {
  const info = await initBackend("wasm", { threads: 2 });
  assert.equal(info.name, "wasm");
  assert.equal(info.threads, getThreadsCount());
  assert.match(info.device, new RegExp(`, ${info.threads} threads?\\)$`));
  // Some sandboxes refuse the pool's worker threads; the backend then runs on one and says so.
  if (info.threads !== 2) {
    assert.equal(info.threads, 1);
    assert.match(info.detail ?? "", /asked for 2 wasm threads, got 1/);
    console.log(`wasm threads: ${info.detail}`);
  }
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(await initBackend("wasm", { threads: 2 }), info);
  // d/dk sum(conv(x, k)) for a 1x1 conv = sum of x per input channel: [1+2+3+4, 10+20+30+40].
  const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
  const k = tf.tensor4d([1, 1], [1, 1, 2, 1]);
  const dk = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, "same").sum())(k);
  assert.deepEqual(Array.from(await dk.data()), [10, 100]);
  tf.dispose([x, k, dk]);
});

Deno.test("initBackend('cpu') switches to cpu", async () => {
  assert.deepEqual(await initBackend("cpu"), { name: "cpu", device: "CPU (plain JS)" });
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("initBackend('tensorflow') explains that tfjs-node is missing", async () => {
  await assert.rejects(initBackend("tensorflow"), /nor @tensorflow\/tfjs-node is installed/);
});

Deno.test("software WebGPU adapters are recognised", () => {
  assert.ok(
    isSoftwareAdapter({ vendor: "65541", description: "llvmpipe (LLVM 15.0.6, 256 bits)" }),
  );
  assert.ok(isSoftwareAdapter({ vendor: "0", description: "Lavapipe" }));
  assert.ok(isSoftwareAdapter({ vendor: "4318", description: "" }, true));
  assert.ok(!isSoftwareAdapter({ vendor: "4318", description: "NVIDIA GeForce RTX 3090" }));
});
