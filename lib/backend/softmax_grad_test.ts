import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { registerOneDNNBackend } from "./onednn_backend.ts";
import { SOFTMAX_GRAD } from "./softmax_grad.ts";
import { kernelCalls } from "./onednn_kernels.ts";
import { values } from "./testing.ts";

const why = registerOneDNNBackend({ threads: 1 });

Deno.test({
  name: "SoftmaxGrad on onednn equals tfjs's gradient chain on cpu bit for bit",
  ignore: why !== null,
  fn: async () => {
    for (const shape of [[4, 9, 7, 2], [3, 5, 3], [2, 17]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const dyv = values(n, 7);
      await tf.setBackend("cpu");
      // One y for both sides: the gradient is compared, not the softmax.
      const yt = tf.tidy(() => tf.softmax(tf.tensor(values(n, shape.length), shape)));
      const yv = await yt.data();
      yt.dispose();
      const gradient = async (backend: string) => {
        await tf.setBackend(backend);
        const y = tf.tensor(yv, shape), dy = tf.tensor(dyv, shape);
        const out = tf.tidy(() => {
          if (backend === "onednn") {
            return tf.engine().runKernel(SOFTMAX_GRAD, { dy, y }) as tf.Tensor;
          }
          const t = tf.mul(dy, y); // tfjs's own softmax gradient
          return tf.sub(t, tf.mul(tf.sum(t, [-1], true), y));
        });
        const v = await out.data() as Float32Array;
        tf.dispose([y, dy, out]);
        return v;
      };
      const expected = await gradient("cpu");
      const before = kernelCalls().get(SOFTMAX_GRAD)!.native;
      const ours = await gradient("onednn");
      assert.equal(kernelCalls().get(SOFTMAX_GRAD)!.native, before + 1);
      ours.forEach((v, i) => assert.ok(Object.is(v, expected[i]), `[${shape}] ${i}: ${v}`));
    }
  },
});

Deno.test({
  name: "the softmax gradient through the kernel matches cpu's in training",
  ignore: why !== null,
  fn: async () => {
    const x = values(2 * 6 * 6 * 2, 3), w = values(2 * 6 * 6 * 2, 4);
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      const [xt, wt] = [tf.tensor4d(x, [2, 6, 6, 2]), tf.tensor4d(w, [2, 6, 6, 2])];
      const g = tf.grad((t: tf.Tensor) => tf.softmax(t).mul(wt).sum())(xt);
      const v = await g.data() as Float32Array;
      tf.dispose([xt, wt, g]);
      return v;
    };
    const [ours, cpu] = [await grad("onednn"), await grad("cpu")];
    // The forward softmax differs in the last bits (C's exp), so the gradients agree closely.
    ours.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]) <= 1e-6, `${i}: ${v} vs ${cpu[i]}`));
  },
});
