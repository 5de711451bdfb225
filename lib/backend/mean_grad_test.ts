import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { registerMeanGrad } from "./mean_grad.ts";
import { values } from "./testing.ts";

Deno.test("the broadcast Mean gradient equals tfjs-core's, bit for bit", async () => {
  await tf.setBackend("cpu");
  const x = tf.tensor4d(values(2 * 3 * 4 * 5, 1), [2, 3, 4, 5]);
  const w = tf.tensor4d(values(2 * 3 * 4 * 5, 2), [2, 3, 4, 5]);
  const cases = [[0, 1, 2], [1], [3], [0, 1, 2, 3]];
  const run = () =>
    cases.map((axes) => tf.grad((t: tf.Tensor) => t.mul(w).mean(axes, true).square().sum())(x));
  const stock = await Promise.all(run().map((t) => t.data()));
  registerMeanGrad();
  const ours = run();
  assert.deepEqual(ours.map((t) => t.shape), cases.map(() => [2, 3, 4, 5]));
  assert.deepEqual(await Promise.all(ours.map((t) => t.data())), stock);
  // Without keepDims too.
  const g = tf.grad((t: tf.Tensor) => t.mean(1).sum())(x);
  assert.ok(g.dataSync().every((v) => Math.abs(v - 1 / 3) < 1e-7));
});
