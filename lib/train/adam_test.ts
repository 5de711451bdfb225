import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createAdam } from "./adam.ts";

await tf.setBackend("cpu");

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

Deno.test("adam with L2 decay: two steps by hand, and restore reproduces the state", () => {
  const w = tf.variable(tf.scalar(1));
  const adam = createAdam([w], { weightDecay: 0.1, decay: [true] });
  const grad = tf.scalar(0.5);
  // Step 1: g' = 0.5 + 0.1*1 = 0.6; m = 0.06; v = 0.001*0.36 = 3.6e-4;
  // lr_t = 0.1*sqrt(1-0.999)/(1-0.9); w = 1 - lr_t * m / (sqrt(v) + 1e-8).
  adam.apply([grad], 0.1);
  let wHand = 1 - (0.1 * Math.sqrt(0.001) / 0.1) * 0.06 / (Math.sqrt(3.6e-4) + 1e-8);
  close(w.dataSync()[0], wHand, 1e-6);
  // Step 2: g' = 0.5 + 0.1*w1; m = 0.9*0.06 + 0.1*g'; v = 0.999*3.6e-4 + 0.001*g'^2.
  const g2 = 0.5 + 0.1 * wHand;
  const m2 = 0.9 * 0.06 + 0.1 * g2;
  const v2 = 0.999 * 3.6e-4 + 0.001 * g2 * g2;
  const saved = {
    step: adam.state().step,
    m: adam.state().m.map((t) => t.clone()),
    v: adam.state().v.map((t) => t.clone()),
  };
  const wSaved = w.dataSync()[0];
  adam.apply([grad], 0.1);
  wHand -= (0.1 * Math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2)) * m2 / (Math.sqrt(v2) + 1e-8);
  close(w.dataSync()[0], wHand, 1e-6);
  const after2 = w.dataSync()[0];
  // Restore the state after step 1 and redo step 2: bit-identical weight.
  w.assign(tf.scalar(wSaved));
  adam.restore(saved);
  adam.apply([grad], 0.1);
  assert.equal(w.dataSync()[0], after2);
  tf.dispose([w, grad, ...saved.m, ...saved.v]);
  adam.dispose();
});
