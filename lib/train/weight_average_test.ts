import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { averageDecay, createWeightAverage } from "./weight_average.ts";

await tf.setBackend("cpu");

/** A one-layer model whose kernel and bias we set by hand. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [2] });
  const out = tf.layers.dense({ units: 1, name: "d" }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function setWeights(model: tf.LayersModel, kernel: number[], bias: number): void {
  const values = [tf.tensor2d(kernel, [2, 1]), tf.tensor1d([bias])];
  model.setWeights(values);
  tf.dispose(values);
}

Deno.test("averageDecay warms up as TensorFlow's num_updates does, then holds the decay", () => {
  assert.equal(averageDecay(0.99, 0), 0.1);
  assert.equal(averageDecay(0.99, 10), 11 / 20);
  assert.equal(averageDecay(0.99, 10_000), 0.99);
});

Deno.test("the average follows the decay by hand, swaps in and out, and leaks nothing", async () => {
  const model = tinyModel();
  setWeights(model, [1, 2], 3);
  const before = tf.memory().numTensors;
  const avg = createWeightAverage(model, 0.5);
  // Update 0: d = min(0.5, 1/10) = 0.1 -> 0.1 * start + 0.9 * current.
  setWeights(model, [11, 12], 13);
  avg.update();
  // Update 1: d = min(0.5, 2/11) = 2/11.
  setWeights(model, [21, 22], 23);
  avg.update();
  const a0 = 0.1 * 1 + 0.9 * 11, a1 = (2 / 11) * a0 + (9 / 11) * 21;
  const kernel = await avg.state().values[0].data();
  assert.ok(Math.abs(kernel[0] - a1) < 1e-5, `${kernel[0]} vs ${a1}`);
  assert.equal(avg.state().updates, 2);

  const x = tf.tensor2d([[1, 0]]);
  const seen = await avg.swapped(async () => {
    const y = model.predict(x) as tf.Tensor;
    const v = (await y.data())[0];
    y.dispose();
    return v;
  });
  const b1 = (2 / 11) * (0.1 * 3 + 0.9 * 13) + (9 / 11) * 23;
  assert.ok(Math.abs(seen - (a1 + b1)) < 1e-4, `${seen} vs ${a1 + b1}`);
  // The trained weights are back after the swap.
  assert.deepEqual(Array.from(await model.getWeights()[0].data()), [21, 22]);
  x.dispose();

  const saved = avg.state().values.map((t) => t.clone());
  avg.restore({ updates: 7, values: saved });
  assert.equal(avg.state().updates, 7);
  avg.dispose();
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("restoring an average of another model's shape is refused", () => {
  const model = tinyModel();
  const avg = createWeightAverage(model, 0.9);
  const wrong = [tf.zeros([3, 1]), tf.zeros([1])];
  assert.throws(() => avg.restore({ updates: 1, values: wrong }), /do not match/);
  tf.dispose(wrong);
  avg.dispose();
  model.dispose();
  assert.throws(() => createWeightAverage(tinyModel(), 1), /must be in \(0, 1\)/);
});
