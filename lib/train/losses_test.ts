import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { diceFromCounts } from "../metrics/overlap.ts";
import {
  combinedLoss,
  hardDiceCounts,
  softDiceLoss,
  softDicePerSlice,
  weightedCrossEntropy,
} from "./losses.ts";

await tf.setBackend("cpu");

/** [B, 2, 2, 2] tensors from per-slice target-class values (class 0 = 1 - class 1). */
function twoClass(target: number[][]): tf.Tensor4D {
  const data = target.flatMap((s) => s.flatMap((p) => [1 - p, p]));
  return tf.tensor4d(data, [target.length, 2, 2, 2]);
}
const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

// One 2x2 slice: target probabilities, one-hot labels, weights.
const p1 = [0.8, 0.4, 0.1, 0.5];
const g1 = [1, 1, 0, 0];
const w1 = [2, 1, 1, 4];

Deno.test("weighted cross-entropy = mean over pixels of w * -log p(true class)", () => {
  // -log 0.8 = 0.22314355, -log 0.4 = 0.91629073, -log 0.9 = 0.10536052, -log 0.5 = 0.69314718
  // (2*0.22314355 + 0.91629073 + 0.10536052 + 4*0.69314718) / 4 = 4.24052707 / 4
  const expected = 4.24052707 / 4;
  const v = tf.tidy(() =>
    weightedCrossEntropy(twoClass([g1]), twoClass([p1]), tf.tensor3d(w1, [1, 2, 2])).arraySync()
  );
  close(v, expected);
});

Deno.test("soft Dice of the target class, per slice, with epsilon", () => {
  // Slice 0: sum pg = 0.8 + 0.4 = 1.2, sum p = 1.8, sum g = 2 -> 2.4 / (3.8 + 1) = 0.5.
  // Slice 1: no target, p = 0.1 everywhere -> 0 / (0.4 + 0 + 1) = 0.
  const labels = twoClass([g1, [0, 0, 0, 0]]);
  const probs = twoClass([p1, [0.1, 0.1, 0.1, 0.1]]);
  const perSlice = tf.tidy(() => softDicePerSlice(labels, probs, 1).arraySync());
  close(perSlice[0], 0.5);
  close(perSlice[1], 0);
  close(tf.tidy(() => softDiceLoss(labels, probs, 1).arraySync()), 1 - 0.25);
  tf.dispose([labels, probs]);
});

Deno.test("combined loss is the weighted sum; a zero-weight term is skipped", () => {
  const labels = twoClass([g1]);
  const probs = twoClass([p1]);
  const weights = tf.tensor3d(w1, [1, 2, 2]);
  const ce = 4.24052707 / 4;
  const dice = 0.5;
  const at = (crossEntropy: number, d: number) =>
    tf.tidy(() =>
      combinedLoss({ crossEntropy, dice: d, diceEpsilon: 1 }, labels, probs, weights).arraySync()
    );
  close(at(1, 1), ce + (1 - dice));
  close(at(2, 0.5), 2 * ce + 0.5 * (1 - dice));
  close(at(1, 0), ce);
  close(at(0, 1), 1 - dice);
  tf.dispose([labels, probs, weights]);
});

Deno.test("hard Dice counts use the argmax (ties go to background)", () => {
  // Prediction argmax: [1, 0, 0, 0] (0.5 is a tie -> class 0); reference [1, 1, 0, 0].
  const counts = hardDiceCounts(twoClass([g1]), twoClass([p1]));
  const [inter, sum] = counts.dataSync();
  counts.dispose();
  const c = { inter, sum };
  assert.deepEqual(c, { inter: 1, sum: 3 });
  close(diceFromCounts(c.inter, c.sum), 2 / 3);
  assert.equal(diceFromCounts(0, 0), 1);
  // Three classes: only argmax 1 is the target (2 is not).
  const three = (rows: number[][]) => tf.tensor4d(rows.flat(), [1, 1, rows.length, 3]);
  const counts3 = hardDiceCounts(
    three([[0, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]),
    three([[0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1]]),
  );
  assert.deepEqual([...counts3.dataSync()], [1, 4]);
  counts3.dispose();
});

Deno.test("gradient of the combined loss w.r.t. logits matches central finite differences", () => {
  const labels = twoClass([[1, 0, 1, 0], [0, 0, 1, 1]]);
  const weights = tf.tensor3d([1, 5, 25, 1, 15, 1, 1, 5], [2, 2, 2]);
  const logits = tf.tensor4d([
    0.3,
    -0.2,
    1.1,
    0.4,
    -0.7,
    0.2,
    0.5,
    0.9,
    0.1,
    -0.3,
    -1,
    0.6,
    0.2,
    0.2,
    0.8,
    -0.4,
  ], [
    2,
    2,
    2,
    2,
  ]);
  const cfg = { crossEntropy: 1, dice: 1, diceEpsilon: 1 };
  const f = (z: tf.Tensor) =>
    combinedLoss(cfg, labels, tf.softmax(z) as tf.Tensor4D, weights) as tf.Scalar;
  const analytic = tf.tidy(() => tf.grad(f)(logits).dataSync());
  const base = logits.dataSync();
  const h = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number) =>
      tf.tidy(() => {
        const z = Float32Array.from(base);
        z[i] += delta;
        return f(tf.tensor4d(z, logits.shape)).dataSync()[0];
      });
    const numeric = (at(h) - at(-h)) / (2 * h);
    close(analytic[i], numeric, 2e-3);
  }
  tf.dispose([labels, weights, logits]);
});
