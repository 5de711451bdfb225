import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compareWithCpu, CONV_CASES, on, values } from "./testing.ts";
import { registerOneDNNBackend } from "./onednn_backend.ts";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clip } from "./clip_kernels.ts";
import { maxPool2x2, maxPool2x2Grad } from "./maxpool_2x2_kernels.ts";
import { broadcastDims, kernelCalls, nativeMin, reductionDims } from "./onednn_kernels.ts";
import { openOneDNN } from "./onednn_ffi.ts";
import { implementations } from "./onednn_primitives.ts";
import { createAdam } from "../train/adam.ts";
import type { PooledCPUBackend } from "./pooled_cpu_backend.ts";

// One thread: the suite runs test files side by side on 2 cores, and an OpenMP barrier waiting
// for a descheduled second thread costs milliseconds per kernel.
const why = registerOneDNNBackend({ threads: 1 });
const ignore = why !== null;
if (ignore) console.log(`onednn tests skipped: ${why}`);
// Every element-wise case runs natively, however small.
nativeMin.size = 0;

/** Compares with cpu and checks that each of `kernels` ran natively at least once. */
async function compare(what: string, fn: () => tf.Tensor[], tol = 1e-4, kernels: string[] = []) {
  const before = new Map([...kernelCalls()].map(([k, v]) => [k, v.native]));
  await compareWithCpu("onednn", what, fn, tol);
  for (const k of kernels) {
    assert.ok(kernelCalls().get(k)!.native > before.get(k)!, `${what}: ${k} did not run natively`);
  }
}
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const t4 = (shape: number[], seed: number) =>
  tf.tensor4d(
    values(shape.reduce((a, b) => a * b), seed),
    shape as [number, number, number, number],
  );

const convCases = [
  ...CONV_CASES,
  { x: [1, 9, 9, 17], k: [3, 3, 17, 16], s: 1, pad: "same" as const }, // growth-rate-like outputs
  { x: [2, 5, 14, 24], k: [3, 3, 24, 8], s: 1, pad: "same" as const }, // a dense layer's (C on AVX2)
  { x: [2, 6, 7, 24], k: [1, 1, 24, 2], s: 1, pad: "valid" as const }, // a classifier's
];

Deno.test({
  name: "conv2d with bias, forward and gradients, on onednn match cpu",
  ignore,
  fn: async () => {
    for (const c of convCases) {
      const bias = values(c.k[3], 3);
      await compare(
        `conv ${JSON.stringify(c)}`,
        () => {
          const x = t4(c.x, 1), k = t4(c.k, 2), b = tf.tensor1d(bias);
          const f = (xi: tf.Tensor, ki: tf.Tensor, bi: tf.Tensor) =>
            tf.fused.conv2d({
              x: xi as tf.Tensor4D,
              filter: ki as tf.Tensor4D,
              bias: bi,
              strides: c.s,
              pad: c.pad,
            }).square().sum();
          const y = tf.fused.conv2d({ x, filter: k, bias: b, strides: c.s, pad: c.pad });
          return [y, ...tf.grads(f)([x, k, b])];
        },
        1e-4,
        // A strided 1x1 filter gradient is the cpu kernel's (onednn_kernels.ts).
        c.k[0] === 1 && c.k[1] === 1 && c.s > 1
          ? ["FusedConv2D", "Conv2DBackpropInput"]
          : ["FusedConv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"],
      );
    }
  },
});

const MALLOC_DEBUG = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0";

Deno.test({
  name: "the convolution kernels write inside their buffers (glibc's checking malloc)",
  ignore: ignore || !existsSync(MALLOC_DEBUG),
  fn: async () => {
    // The conv test again in a child process whose malloc checks every block's bounds.
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--filter", "conv2d with bias", fileURLToPath(import.meta.url)],
      env: { LD_PRELOAD: MALLOC_DEBUG, MALLOC_CHECK_: "3" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
  },
});

Deno.test({
  name: "the conv test on AVX2 kernels too, with their blocked filter gradient (DNNL_MAX_CPU_ISA)",
  ignore,
  fn: async () => {
    // oneDNN picks the filter gradient's layouts by ISA (onednn_ops.ts): an AVX-512 machine
    // tests its NHWC one above, and the AVX2 one here.
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--filter", "conv2d with bias", fileURLToPath(import.meta.url)],
      env: { DNNL_MAX_CPU_ISA: "AVX2" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr).slice(-2000));
  },
});

Deno.test({
  name: "transposed conv (stride 2, same) forward and gradients on onednn match cpu",
  ignore,
  fn: async () => {
    for (const [h, w, ci, co] of [[4, 4, 6, 5], [3, 5, 2, 3], [1, 1, 4, 2]]) {
      await compare(
        `conv2dTranspose ${h}x${w} ${ci}->${co}`,
        () => {
          const x = t4([2, h, w, ci], 4), k = t4([3, 3, co, ci], 5);
          const out = [2, 2 * h, 2 * w, co] as [number, number, number, number];
          const f = (xi: tf.Tensor, ki: tf.Tensor) =>
            tf.conv2dTranspose(xi as tf.Tensor4D, ki as tf.Tensor4D, out, 2, "same").square().sum();
          return [tf.conv2dTranspose(x, k, out, 2, "same"), ...tf.grads(f)([x, k])];
        },
        1e-4,
        ["Conv2DBackpropInput", "Conv2D", "Conv2DBackpropFilter"],
      );
    }
  },
});

Deno.test({
  name: "ELU, ReLU and the other element-wise kernels with their gradients match cpu",
  ignore,
  fn: async () => {
    const v = values(3 * 7 * 5, 6);
    const pos = v.map((a) => Math.abs(a) + 0.1);
    await compare(
      "elu/relu/square/neg/exp/tanh/sigmoid/abs",
      () => {
        const x = tf.tensor3d(v, [3, 7, 5]);
        const fns = [tf.elu, tf.relu, tf.square, tf.neg, tf.exp, tf.tanh, tf.sigmoid, tf.abs];
        return fns.flatMap((fn) => [fn(x), tf.grad((t: tf.Tensor) => fn(t).mul(x).sum())(x)]);
      },
      1e-4,
      ["Elu", "EluGrad", "Relu", "Square", "Neg", "Exp", "Tanh", "Sigmoid", "Abs"],
    );
    await compare(
      "sqrt/log",
      () => {
        const x = tf.tensor1d(pos);
        return [tf.sqrt(x), tf.log(x), tf.grad((t: tf.Tensor) => tf.log(t).sum())(x)];
      },
      1e-4,
      ["Sqrt", "Log"],
    );
  },
});

Deno.test("broadcastDims merges alike dims and says when to swap", () => {
  assert.deepEqual(broadcastDims([2, 3, 4, 5], [5]), {
    out: [2, 3, 4, 5],
    a: [24, 5],
    b: [1, 5],
    swap: false,
  });
  assert.deepEqual(broadcastDims([1, 1, 1, 5], [2, 3, 4, 5]), {
    out: [2, 3, 4, 5],
    a: [24, 5],
    b: [1, 5],
    swap: true,
  });
  assert.deepEqual(broadcastDims([2, 3], [2, 3]), { out: [2, 3], a: [6], b: [6], swap: false });
  assert.deepEqual(broadcastDims([2, 1, 4], [1]), { out: [2, 1, 4], a: [8], b: [1], swap: false });
  assert.equal(broadcastDims([2, 1], [1, 3]), null);
  assert.deepEqual(reductionDims([2, 3, 4, 5], [0, 1, 2]), { outer: 1, reduced: 24, inner: 5 });
  assert.deepEqual(reductionDims([2, 3, 4], [1]), { outer: 2, reduced: 3, inner: 4 });
  assert.deepEqual(reductionDims([2, 1, 3, 4], [1, 2, 3]), { outer: 2, reduced: 12, inner: 1 });
  assert.equal(reductionDims([2, 3, 4], [0, 2]), null);
});

Deno.test({
  name: "binary kernels with broadcasting on either side match cpu",
  ignore,
  fn: async () => {
    const a = values(2 * 3 * 4 * 5, 7), c = values(5, 8).map((x) => x + 2);
    await compare(
      "add/sub/mul/div/max/min",
      () => {
        const x = tf.tensor4d(a, [2, 3, 4, 5]);
        const ch = tf.tensor1d(c), ch4 = ch.reshape([1, 1, 1, 5]);
        // one value per pixel, as the loss gradient's [B, S, S, 1] x [B, S, S, 2]
        const row = tf.tensor4d(values(2 * 3 * 4, 9).map((x) => x - 0.5), [2, 3, 4, 1]);
        const out: tf.Tensor[] = [];
        for (const op of [tf.add, tf.sub, tf.mul, tf.div, tf.maximum, tf.minimum]) {
          out.push(op(x, ch), op(ch4, x), op(x, x.add(3)), op(x, 2), op(x, row), op(row, x));
        }
        // the gradients of a broadcast multiply reduce over the broadcast axes
        out.push(...tf.grads((p: tf.Tensor, q: tf.Tensor) => p.mul(q).square().sum())([x, ch]));
        return out;
      },
      1e-4,
      ["Add", "Sub", "Multiply", "RealDiv", "Maximum", "Minimum"],
    );
  },
});

Deno.test({
  name: "sum and mean over axes on onednn match cpu",
  ignore,
  fn: async () => {
    const v = values(3 * 4 * 5 * 6, 9);
    await compare(
      "reductions",
      () => {
        const x = tf.tensor4d(v, [3, 4, 5, 6]);
        return [
          x.sum([0, 1, 2]),
          x.mean([0, 1, 2], true),
          x.sum(),
          x.mean(1),
          x.sum([1, 3]), // not adjacent: the cpu kernel
          x.sum([1, 2], true),
          x.mean(-1),
        ];
      },
      1e-4,
      ["Sum", "Mean"],
    );
  },
});

Deno.test({
  name: "batch normalisation (training statistics) and its gradients match cpu",
  ignore,
  fn: async () => {
    const v = values(2 * 5 * 4 * 6, 10);
    await compare(
      "batchNorm",
      () => {
        const x = tf.tensor4d(v, [2, 5, 4, 6]);
        const scale = tf.tensor1d(values(6, 11)), offset = tf.tensor1d(values(6, 12));
        const f = (xi: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
          const { mean, variance } = tf.moments(xi, [0, 1, 2]);
          return tf.batchNorm(xi, mean, variance, o, s, 1e-3).square().mul(xi).sum();
        };
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return [
          tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
          ...tf.grads(f)([x, scale, offset]),
        ];
      },
      1e-4,
      ["FusedBatchNorm"],
    );
  },
});

Deno.test({
  name: "max pooling and its gradient match cpu, ties included",
  ignore,
  fn: async () => {
    // 2x2 stride 2 (the networks', maxpool_2x2_kernels.ts), and a padded 3x3 on oneDNN.
    for (
      const [shape, k, pad] of [[[2, 6, 8, 3], 2, "valid"], [[2, 7, 9, 3], 3, "same"]] as const
    ) {
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const v = values(n, 13);
      // ties: whole windows of equal values, as after dropout zeros
      const ties = v.map((x, i) => (i % 7 < 4 ? 0 : x));
      for (const data of [v, ties]) {
        await compare(
          `maxPool ${k}x${k} ${pad}`,
          () => {
            const x = tf.tensor4d(data, [...shape]);
            const f = (t: tf.Tensor) => {
              const y = tf.maxPool(t as tf.Tensor4D, k, 2, pad);
              return y.mul(tf.range(1, y.size + 1).reshape(y.shape)).sum();
            };
            return [tf.maxPool(x, k, 2, pad), tf.grad(f)(x)];
          },
          0,
          ["MaxPool", "MaxPoolGrad"],
        );
      }
    }
  },
});

Deno.test("2x2 max pooling keeps tfjs's NaN and signed-zero results", async () => {
  const shape = [1, 2, 4, 2];
  const x = [NaN, NaN, 1, -0, NaN, 0, 2, 2, NaN, -1, NaN, 3, NaN, NaN, 3, -5];
  const dy = [NaN, -0, 1, 2];
  const [y, dx] = await on("cpu", () => {
    const t = tf.tensor4d(x, shape as [number, number, number, number]);
    const f = (u: tf.Tensor) =>
      tf.maxPool(u as tf.Tensor4D, 2, 2, "valid").mul(tf.tensor(dy, [1, 1, 2, 2])).sum();
    return [tf.maxPool(t, 2, 2, "valid"), tf.grad(f)(t)];
  });
  const ours = new Float32Array(4), ourDx = new Float32Array(16);
  maxPool2x2(new Float32Array(x), shape, ours);
  maxPool2x2Grad(new Float32Array(x), new Float32Array(dy), shape, ourDx);
  const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
  assert.ok(same(ours, y), `${ours} vs ${y}`);
  assert.ok(same(ourDx, dx), `${ourDx} vs ${dx}`);
});

Deno.test({
  name: "concat and its gradient (split) on any axis match cpu",
  ignore,
  fn: async () => {
    await compare(
      "concat",
      () => {
        const a = t4([2, 3, 4, 5], 14), b = t4([2, 3, 4, 2], 15), c = t4([2, 3, 4, 1], 16);
        const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
          tf.concat([p, q, r], 3).mul(tf.range(0, 8).reshape([1, 1, 1, 8])).square().sum();
        return [
          tf.concat([a, b, c], 3),
          tf.concat([a, a], 1),
          tf.concat([a, a], 0),
          ...tf.grads(f)([a, b, c]),
          ...tf.split(a, [1, 3, 1], 3),
          ...tf.split(a, 3, 1),
        ];
      },
      0,
      ["Concat", "SplitV"],
    );
  },
});

Deno.test({
  name: "a slice along one axis and its gradient match cpu",
  ignore,
  fn: async () => {
    await compare(
      "slice",
      () => {
        const a = t4([2, 5, 3, 4], 17);
        const f = (p: tf.Tensor) => p.slice([0, 0, 0, 1], [-1, -1, -1, 2]).square().sum();
        return [
          a.slice([0, 0, 0, 1], [-1, -1, -1, 1]),
          a.slice([0, 1, 0, 0], [-1, 3, -1, -1]),
          a.slice([0, 0, 2, 0], [2, 5, 1, 4]),
          a.slice([1, 0, 0, 0], [1, 5, 3, 4]),
          a.slice([0, 1, 1, 1], [-1, 2, 2, 2]),
          f(a),
          ...tf.grads(f)([a]),
        ];
      },
      0,
      ["Slice"],
    );
  },
});

Deno.test({
  name: "clipByValue and its gradient's kernels match cpu bit for bit, NaN included",
  ignore,
  fn: async () => {
    await compare(
      "clip",
      () => {
        const x = t4([2, 5, 3, 4], 18).sub(0.5).mul(3);
        const f = (p: tf.Tensor) => p.clipByValue(-0.4, 0.7).log1p().square().sum();
        return [
          x.clipByValue(-0.4, 0.7),
          tf.greaterEqual(x, 0.25),
          tf.greaterEqual(0.25, x),
          tf.lessEqual(x, x.mul(0.5)),
          tf.lessEqual(x, tf.scalar(0.1).reshape([1, 1, 1, 1])),
          tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, 1)),
          tf.where(tf.greaterEqual(x, 0), x, x.neg()),
          ...tf.grads(f)([x]),
        ];
      },
      0,
      ["ClipByValue", "GreaterEqual", "LessEqual", "LogicalAnd", "Select"],
    );
    const y = new Float32Array(3);
    clip(new Float32Array([NaN, 2, -2]), 0, 1, y);
    assert.deepEqual([...y], [NaN, 1, 0]);
  },
});

Deno.test({
  name:
    "the ReLU gradient on onednn is one native kernel and matches cpu's dy * step(x) bit for bit",
  ignore,
  fn: async () => {
    await compare(
      "relu grad",
      () => {
        // Zeros of either sign and values on both sides, small and over the native minimum.
        const x = tf.concat([t4([2, 5, 3, 4], 19).sub(0.5).reshape([-1]), tf.tensor1d([0, -0])]);
        const big = t4([4, 32, 32, 8], 20).sub(0.5);
        const f = (p: tf.Tensor) => p.relu().mul(p.sub(0.25)).sum();
        return [...tf.grads(f)([x]), ...tf.grads(f)([big])];
      },
      0,
      ["ReluGrad"],
    );
  },
});

Deno.test({
  name: "convolutions run on oneDNN's own implementations, not a reference loop",
  ignore,
  fn: async () => {
    await on("onednn", () => [tf.conv2d(t4([1, 8, 8, 4], 1), t4([3, 3, 4, 4], 2), 1, "same")]);
    const impls = [...implementations("conv:").values()];
    assert.ok(impls.length > 0);
    for (const impl of impls) assert.doesNotMatch(impl, /^ref/, impl);
  },
});

Deno.test("a missing oneDNN names the library and what to install", () => {
  const why = openOneDNN(["libdnnl-missing.so.9"]);
  assert.equal(typeof why, "string");
  assert.match(why as string, /libdnnl-missing\.so\.9/);
  assert.match(why as string, /apt-get install libdnnl2/);
});

Deno.test({
  name: "onednn kernels free what they allocate",
  ignore,
  fn: async () => {
    await tf.setBackend("onednn");
    const x = t4([2, 8, 8, 4], 1), k = t4([3, 3, 4, 4], 2);
    const step = () =>
      tf.tidy(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same").elu().sum()
        )([x, k])
      );
    tf.dispose(step());
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(step());
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, k]);
  },
});

Deno.test({
  name: "softmax and its gradient, and argMax, match cpu",
  ignore,
  fn: async () => {
    // 3 classes run the row loop (its values equal cpu's bit for bit: last_axis_kernels_test; the
    // gradient's products and sums are onednn's), 20 oneDNN's softmax.
    for (const [classes, tol] of [[3, 1e-6], [20, 1e-5]]) {
      await compare(
        `softmax of ${classes} classes`,
        () => {
          const x = t4([2, 5, 6, classes], 17), w = t4([2, 5, 6, classes], 18);
          const f = (t: tf.Tensor) => tf.softmax(t).mul(w).sum();
          return [tf.softmax(x), tf.grad(f)(x)];
        },
        tol,
        ["Softmax"],
      );
    }
    await compare(
      "argMax over the last axis",
      () => {
        // Ties (rounded values) and a NaN: the first of equals wins, NaN only at index 0.
        const x = t4([2, 5, 6, 3], 19).mul(2).round();
        const withNaN = tf.tensor2d([[NaN, 1], [1, NaN], [2, 2]]);
        return [x.argMax(-1), x.argMax(3), withNaN.argMax(1), x.argMax(1)];
      },
      0,
      ["ArgMax"],
    );
  },
});

Deno.test({
  name: "pooled arrays never overwrite what a caller read out or a view still shows",
  ignore,
  fn: async () => {
    await tf.setBackend("onednn");
    const x = t4([1, 8, 8, 4], 20);
    const a = x.elu();
    const read = a.dataSync();
    const kept = Float32Array.from(read);
    const half = a.slice([0, 0, 0, 0], [1, 4, 8, 4]); // a view of a's array
    const halfKept = Float32Array.from(half.dataSync());
    a.dispose();
    const b = x.elu().neg(); // same length as a: would reuse a's array if it were pooled
    assert.deepEqual(read, kept);
    assert.deepEqual(half.dataSync(), halfKept);
    tf.dispose([x, b, half]);
  },
});

Deno.test({
  name:
    "a BatchNormalization layer in training on onednn's fused kernel matches tfjs-layers on cpu",
  ignore,
  fn: async () => {
    const xv = values(2 * 6 * 5 * 7, 21), w = values(2 * 6 * 5 * 7, 22);
    const run = () => {
      const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
      layer.build([null, 6, 5, 7]);
      const x = tf.tensor4d(xv, [2, 6, 5, 7]);
      const weight = tf.tensor4d(w, [2, 6, 5, 7]);
      const f = (t: tf.Tensor) =>
        (layer.apply(t, { training: true }) as tf.Tensor).mul(weight).sum();
      const { grads } = tf.variableGrads(
        () => f(x) as tf.Scalar,
        layer.trainableWeights.map((v) => v.read() as tf.Variable),
      );
      const dx = tf.grad(f)(x);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      return [y, dx, ...Object.values(grads), ...layer.getWeights().slice(2)];
    };
    await compare("batch norm layer (training)", run, 1e-4, [
      "BatchNormTrain",
      "BatchNormTrainGrad",
    ]);
  },
});

Deno.test({
  name: "batch norm then ELU or ReLU on onednn (one pass) matches cpu; nothing stays deferred",
  ignore,
  fn: async () => {
    const xv = values(3 * 5 * 4 * 24, 31).map((v) => 4 * v + 2), w = values(3 * 5 * 4 * 24, 32);
    for (const act of ["elu", "relu"] as const) {
      const activate = (t: tf.Tensor) => act === "elu" ? t.elu() : t.relu();
      const run = () => {
        // A new layer each run: training updates its moving statistics.
        const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
        layer.build([null, 5, 4, 24]);
        layer.setWeights(layer.getWeights().map((t, i) => t.add(i + 0.5)));
        const x = tf.tensor4d(xv, [3, 5, 4, 24]), weight = tf.tensor4d(w, [3, 5, 4, 24]);
        const bn = (t: tf.Tensor, training: boolean) => layer.apply(t, { training }) as tf.Tensor;
        const f = (t: tf.Tensor) => activate(bn(t, true)).mul(weight).sum();
        const { grads } = tf.variableGrads(
          () => f(x) as tf.Scalar,
          layer.trainableWeights.map((v) => v.read() as tf.Variable),
        );
        return [
          activate(bn(x, false)),
          bn(x, false), // read whole
          bn(x, false).max(), // read by a cpu kernel
          tf.grad(f)(x),
          ...Object.values(grads),
        ];
      };
      const kernels = [act === "elu" ? "Elu" : "Relu", "FusedBatchNorm", "BatchNormTrain"];
      await compare(`batch norm + ${act}`, run, 1e-4, kernels);
      const backend = tf.findBackend("onednn") as PooledCPUBackend;
      assert.equal(backend.deferredCount(), 0, act);
    }
  },
});

Deno.test({
  name: "bilinear x2 up-sampling and its gradient on onednn match cpu bit for bit",
  ignore,
  fn: async () => {
    // Square only: tfjs's cpu gradient returns [b, w, h, c] for the reference.
    for (const shape of [[2, 3, 3, 5], [1, 1, 1, 3], [1, 5, 5, 1]]) {
      await compare(
        `resize x2 ${shape}`,
        () => {
          const x = t4(shape, 23);
          const [, h, w] = shape;
          const wts = t4([shape[0], 2 * h, 2 * w, shape[3]], 24);
          const f = (t: tf.Tensor) =>
            tf.image.resizeBilinear(t as tf.Tensor4D, [2 * h, 2 * w]).mul(wts).sum();
          return [tf.image.resizeBilinear(x, [2 * h, 2 * w]), tf.grad(f)(x)];
        },
        0,
        ["ResizeBilinear", "ResizeBilinearGrad"],
      );
    }
  },
});

Deno.test({
  name: "Adam + L2 as onednn's fused kernel equals the tf-op update on cpu bit for bit",
  ignore,
  fn: async () => {
    const shapes = [[3, 3, 4, 5], [7], [5000]];
    const steps = () => {
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(values(size(s), i + 1), s)));
      const adam = createAdam(vars, {
        weightDecay: 0.05,
        decay: [true, false, true],
      });
      for (let step = 0; step < 3; step++) {
        adam.apply(shapes.map((s, i) => tf.tensor(values(size(s), 10 * step + i + 7), s)), 1e-2);
      }
      const out = [...vars, ...adam.state().m, ...adam.state().v].map((t) => t.clone());
      adam.dispose();
      vars.forEach((v) => v.dispose());
      return out;
    };
    await compare("adam", steps, 0, ["AdamUpdate"]);
  },
});
