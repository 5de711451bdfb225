import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { registerOneDNNBackend } from "./onednn_backend.ts";
import { useStockWeightedCE, WEIGHTED_CE_GRAD } from "./weighted_ce.ts";
import { kernelCalls } from "./onednn_kernels.ts";
import { PROB_FLOOR, weightedCrossEntropy } from "../train/losses.ts";

const why = registerOneDNNBackend({ threads: 1 });
const ignore = why !== null;

/** Probabilities with values below the floor, above 1, exactly at both ends, and a NaN. */
function awkwardProbs(n: number, seed: number): Float32Array {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const special = [0, 1e-9, PROB_FLOOR, 1, 1.5, NaN];
  return Float32Array.from({ length: n }, (_, i) => i % 9 === 4 ? special[i % 6] : next());
}

/** The loss and its gradient in probs on `backend`, fused (when it has the kernels) or not. */
async function lossAndGrad(
  backend: string,
  fused: boolean,
  shape: [number, number, number, number],
  seed: number,
) {
  await tf.setBackend(backend);
  useStockWeightedCE(!fused);
  const classes = shape[shape.length - 1], pixels = shape.slice(0, -1) as [number, number, number];
  const n = shape.reduce((a, b) => a * b, 1);
  const labels = tf.oneHot(
    tf.tensor(
      Int32Array.from({ length: n / classes }, (_, i) => (i * 7 + seed) % classes),
      pixels,
      "int32",
    ),
    classes,
  ).toFloat() as tf.Tensor4D;
  const probs = tf.tensor4d(awkwardProbs(n, seed), shape);
  const weights = tf.tensor(
    Float32Array.from({ length: n / classes }, (_, i) => 1 + (i % 5) * 6),
    pixels,
    "float32",
  ) as tf.Tensor3D;
  const before = tf.memory().numTensors;
  const { value, grad } = tf.valueAndGrad((p: tf.Tensor) =>
    weightedCrossEntropy(labels, p as tf.Tensor4D, weights)
  )(probs);
  const out = { loss: (await value.data())[0], grad: await grad.data() as Float32Array };
  tf.dispose([value, grad]);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors left behind`);
  tf.dispose([labels, probs, weights]);
  useStockWeightedCE(false);
  return out;
}

Deno.test({
  name: "the fused weighted cross-entropy on onednn: the tf ops' gradient bit for bit, its value",
  ignore,
  fn: async () => {
    for (
      const [shape, seed] of [[[2, 5, 7, 2], 1], [[3, 4, 4, 3], 2], [[1, 64, 64, 2], 3]] as const
    ) {
      const what = `[${shape}]`;
      const ran = kernelCalls().get(WEIGHTED_CE_GRAD)!.native;
      const fused = await lossAndGrad(
        "onednn",
        true,
        [...shape] as [number, number, number, number],
        seed,
      );
      assert.equal(kernelCalls().get(WEIGHTED_CE_GRAD)!.native, ran + 1, `${what}: not fused`);
      for (
        const [backend, ref] of [
          [
            "onednn",
            await lossAndGrad(
              "onednn",
              false,
              [...shape] as [number, number, number, number],
              seed,
            ),
          ],
          [
            "cpu",
            await lossAndGrad("cpu", false, [...shape] as [number, number, number, number], seed),
          ],
        ] as const
      ) {
        for (let i = 0; i < ref.grad.length; i++) {
          if (!Object.is(fused.grad[i], ref.grad[i])) {
            assert.fail(`${what} vs ${backend}: d/dp [${i}] ${fused.grad[i]} vs ${ref.grad[i]}`);
          }
        }
        // A NaN probability makes both losses NaN; the shapes without one compare values.
        if (Number.isNaN(ref.loss)) assert.ok(Number.isNaN(fused.loss), what);
        else assert.ok(Math.abs(fused.loss - ref.loss) <= 1e-6 * Math.abs(ref.loss), what);
      }
    }
  },
});

Deno.test({
  name: "the fused weighted cross-entropy names mismatched shapes",
  ignore,
  fn: async () => {
    await tf.setBackend("onednn");
    const labels = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, probs = tf.zeros([1, 4, 4, 2]);
    const weights = tf.zeros([1, 4, 5]) as tf.Tensor3D;
    assert.throws(
      () => weightedCrossEntropy(labels, probs as tf.Tensor4D, weights),
      /labels \[1,4,4,2\], probs \[1,4,4,2\] and weights \[1,4,5\] do not match/,
    );
    tf.dispose([labels, probs, weights]);
  },
});
