import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  ACTIVATION_FACTOR,
  activationElementsPerSample,
  checkTrainMemory,
  estimateTrainMemory,
  WASM_HEAP_BYTES,
} from "./memory.ts";

/** Input side x side x 1 -> 3x3 'same' conv with `filters` filters. */
function convModel(side: number, filters: number): tf.LayersModel {
  const input = tf.input({ shape: [side, side, 1] });
  const out = tf.layers.conv2d({ filters, kernelSize: 3, padding: "same" }).apply(input);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

Deno.test("activations and the estimate of a tiny model, by hand", async () => {
  await tf.setBackend("cpu");
  const model = convModel(4, 2);
  // Input 4*4*1 = 16 + conv output 4*4*2 = 32; parameters 3*3*1*2 + 2 = 20.
  assert.equal(activationElementsPerSample(model), 48);
  const e = estimateTrainMemory(model, 3, "wasm");
  assert.equal(e.perSample, ACTIVATION_FACTOR * 4 * 48);
  assert.equal(e.fixed, 16 * 20);
  assert.equal(e.bytes, 16 * 20 + 3 * ACTIVATION_FACTOR * 4 * 48);
  assert.equal(e.limit, WASM_HEAP_BYTES);
  assert.equal(checkTrainMemory(model, 3, "wasm").bytes, e.bytes);
  model.dispose();
});

Deno.test("a step too big for the wasm heap throws a clear error before training", async () => {
  await tf.setBackend("cpu");
  // 2048^2 * (1 + 8) elements = 37.7 M per sample: 755 MB at factor 5, so 5 samples fit 4 GiB.
  const mid = convModel(2048, 8);
  const e = estimateTrainMemory(mid, 8, "wasm");
  assert.equal(e.maxBatch, Math.floor((WASM_HEAP_BYTES - e.fixed) / e.perSample));
  assert.equal(e.maxBatch, 5);
  assert.throws(
    () => checkTrainMemory(mid, 8, "wasm", "liver.json"),
    /liver\.json: a step of 8 sample\(s\) needs about .* GiB, more than the 4 GiB wasm heap .*microBatch to 5 or less/,
  );
  mid.dispose();
  const huge = convModel(16384, 4);
  assert.throws(() => checkTrainMemory(huge, 1, "wasm"), /reduce data.inputSize/);
  huge.dispose();
});
