import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./select.ts";
import { assertClose, values } from "./testing.ts";
import { useStockBatchNorm } from "./batchnorm_train.ts";

// Runs where a WebGPU adapter exists (lavapipe from mesa-vulkan-drivers on CPU machines).
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Two training calls of a BatchNormalization layer (momentum 0.9, as the models) on `backend`:
 * y of the second, the gradients of sum(y * w) for x, gamma and beta, and the moving stats.
 */
async function batchNormRun(backend: string, shape: number[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const c = shape[3];
  const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
  layer.build(shape);
  layer.setWeights([
    tf.tensor1d(values(c, 5)).add(1.5),
    tf.tensor1d(values(c, 6)),
    tf.tensor1d(values(c, 7)),
    tf.tensor1d(values(c, 8)).add(2),
  ]);
  // An offset and a scale per channel, so that the statistics are not those of [-1, 1).
  const x = tf.tidy(() =>
    tf.tensor4d(values(size(shape), 1), shape as [number, number, number, number])
      .mul(tf.range(1, c + 1)).add(3)
  );
  const w = tf.tensor4d(values(size(shape), 2), shape as [number, number, number, number]);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const before = tf.memory().numTensors;
  let out: tf.Tensor[] = [];
  for (let call = 0; call < 2; call++) {
    tf.dispose(out);
    out = tf.tidy(() => {
      const xv = tf.variable(x, true);
      const { value, grads } = tf.variableGrads(() => {
        const y = layer.apply(xv, { training: true }) as tf.Tensor;
        return y.mul(w).sum() as tf.Scalar;
      }, [xv, gamma, beta]);
      const y = layer.apply(xv, { training: false }) as tf.Tensor; // with the moving stats
      const res = [value, grads[xv.name], grads[gamma.name], grads[beta.name], y];
      xv.dispose();
      return res;
    });
  }
  assert.equal(tf.memory().numTensors, before + out.length, `${backend}: tensors left`);
  const moving = layer.nonTrainableWeights.map((v) => v.read());
  const data = await Promise.all([...out, ...moving].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([...out, x, w]);
  layer.weights.forEach((v) => v.dispose()); // Layer.dispose needs a symbolic use first
  return data;
}

const SHAPES = [
  [2, 2, 3, 3], // one chunk of 12 rows
  [3, 16, 16, 20], // 768 rows in 3 chunks, 20 channels: a partial column tile
  [1, 40, 40, 5], // 1600 rows in 7 chunks, the last one short
];

Deno.test({
  name: "webgpu training batch norm: values, gradients and moving stats match cpu, no leaks",
  ignore: adapter == null,
  async fn() {
    await initBackend("webgpu");
    for (const shape of SHAPES) {
      const cpu = await batchNormRun("cpu", shape);
      const ours = await batchNormRun("webgpu", shape);
      assertClose(ours, cpu, `batch norm ${shape}`, 2e-4);
      useStockBatchNorm(true);
      try {
        assertClose(ours, await batchNormRun("webgpu", shape), `vs stock ${shape}`, 2e-4);
      } finally {
        useStockBatchNorm(false);
      }
    }
  },
});
