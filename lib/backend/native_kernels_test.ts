import assert from "node:assert/strict";
import { maxPool2x2, maxPool2x2Grad } from "./maxpool_2x2_kernels.ts";
import { resizeX2, resizeX2Grad } from "./resize_x2_kernels.ts";
import * as tf from "@tensorflow/tfjs";
import {
  loadBatchNormKernels,
  loadClassKernels,
  loadConcatKernels,
  loadConv3x3Kernels,
  loadNativeKernels,
  openNativeKernels,
} from "./native_kernels.ts";
import { setOmpThreads } from "./onednn_ffi.ts";
import { assertClose, on, values } from "./testing.ts";

const native = loadNativeKernels();
const ignore = typeof native === "string";
if (ignore) console.log(`native kernel tests skipped: ${native}`);

/** Random values with ties (runs of 0), NaN, +-0 and -Infinity sprinkled in. */
function awkward(n: number, seed: number): Float32Array {
  const v = values(n, seed);
  const special = [NaN, -0, 0, -Infinity, Infinity];
  return v.map((x, i) => (i % 11 === 3 ? special[i % 5] : i % 7 < 3 ? 0 : x));
}

function sameBits(what: string, a: Float32Array, b: Float32Array) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: [${i}] ${a[i]} vs ${b[i]} (JS)`);
  }
}

// Channel counts below and above the gradient's 16-channel chunks, odd sides for the resize.
const SHAPES = [[1, 2, 2, 1], [3, 6, 4, 5], [2, 8, 10, 37], [1, 1, 1, 3], [1, 5, 7, 16]];

Deno.test({
  name: "C 2x2 max pooling and x2 up-sampling equal the JS loops bit for bit, 1 or 2 threads",
  ignore,
  fn: () => {
    const k = native as Exclude<typeof native, string>;
    for (const threads of [1, 2]) {
      setOmpThreads(threads);
      for (const [s, shape] of SHAPES.entries()) {
        const [b, h, w, c] = shape;
        const n = b * h * w * c, what = `${shape}, ${threads} threads`;
        const x = awkward(n, 10 + s), up = awkward(4 * n, 20 + s);
        const js = new Float32Array(4 * n), ours = new Float32Array(4 * n).fill(7);
        resizeX2(x, shape, js);
        k.resizeX2(x, shape, ours);
        sameBits(`resize ${what}`, ours, js);
        const jsDx = new Float32Array(n), ourDx = new Float32Array(n).fill(7); // not zeroed
        resizeX2Grad(up, shape, jsDx);
        k.resizeX2Grad(up, shape, ourDx);
        sameBits(`resize grad ${what}`, ourDx, jsDx);
        if (h % 2 || w % 2) continue;
        const q = n / 4, dy = awkward(q, 30 + s);
        const jsY = new Float32Array(q), ourY = new Float32Array(q);
        maxPool2x2(x, shape, jsY);
        k.maxPool2x2(x, shape, ourY);
        sameBits(`max pool ${what}`, ourY, jsY);
        const jsG = new Float32Array(n), ourG = new Float32Array(n).fill(7);
        maxPool2x2Grad(x, dy, shape, jsG);
        k.maxPool2x2Grad(x, dy, shape, ourG);
        sameBits(`max pool grad ${what}`, ourG, jsG);
      }
    }
    setOmpThreads(1);
  },
});

const copies = loadConcatKernels();

Deno.test({
  name: "C concatenation and split along the last axis are exact, empty pieces included",
  ignore: typeof copies === "string",
  fn: () => {
    const k = copies as Exclude<typeof copies, string>;
    for (const threads of [1, 2]) {
      setOmpThreads(threads);
      const cases: [number, number[]][] = [[1, [3]], [7, [5, 0, 1, 8]], [300, [24, 8]], [2, [
        1,
        1,
      ]]];
      for (const [outer, widths] of cases) {
        const total = widths.reduce((a, b) => a + b, 0);
        const x = awkward(outer * total, outer + total);
        const pieces = widths.map((w, i) =>
          new Float32Array(outer * w).map((_, j) =>
            x[Math.floor(j / w) * total + sum(widths, i) + (j % w)]
          )
        );
        const out = new Float32Array(outer * total).fill(7);
        k.concat(pieces, outer, widths, out);
        sameBits(`concat ${outer} x ${widths}, ${threads} threads`, out, x);
        const outs = widths.map((w) => new Float32Array(outer * w).fill(7));
        k.split(x, outer, widths, outs);
        outs.forEach((o, i) => sameBits(`split ${outer} x ${widths} [${i}]`, o, pieces[i]));
      }
    }
    setOmpThreads(1);
  },
});

const conv3x3 = loadConv3x3Kernels();

// [n, h, w, c, oc]: one pixel; rows narrower and wider than a pixel block (12, 6 or 4) with a
// remainder; 1, 2 (6 x 2), 3 (4 x 3) and 5 (3 + 2) groups of 8 outputs; input channels in
// blocks of 12, 8, 4 and single ones; more rows than a filter-gradient block (8).
const CONV3X3_CASES = [
  [1, 1, 1, 8, 8],
  [1, 2, 3, 8, 16],
  [2, 5, 15, 16, 8],
  [1, 7, 30, 24, 24],
  [3, 4, 17, 40, 40],
  [1, 6, 9, 3, 16],
  [1, 3, 14, 1, 8],
  [2, 9, 16, 56, 8],
  [1, 3, 5, 21, 8],
];

Deno.test({
  name: "C 3x3 convolutions and their filter gradient match tfjs's cpu, alike on 1 and 2 threads",
  ignore: typeof conv3x3 === "string",
  fn: async () => {
    const k = conv3x3 as Exclude<typeof conv3x3, string>;
    for (const [s, [n, h, w, c, oc]] of CONV3X3_CASES.entries()) {
      const shape = [n, h, w, c], what = `conv3x3 ${[n, h, w, c, oc]}`;
      const x = values(n * h * w * c, 40 + s), filter = values(9 * c * oc, 50 + s);
      const bias = values(oc, 60 + s), dy = values(n * h * w * oc, 70 + s);
      const expected = await on("cpu", () => {
        const xt = tf.tensor4d(x, [n, h, w, c]), ft = tf.tensor4d(filter, [3, 3, c, oc]);
        const dyt = tf.tensor4d(dy, [n, h, w, oc]);
        const y = tf.conv2d(xt, ft, 1, "same").add(tf.tensor1d(bias));
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same").mul(dyt).sum();
        return [y, tf.grad((b: tf.Tensor) => f(xt, b))(ft)];
      });
      const results = [1, 2].map((threads) => {
        setOmpThreads(threads);
        const y = new Float32Array(n * h * w * oc).fill(7);
        k.forward(x, shape, filter, bias, oc, y);
        const df = new Float32Array(9 * c * oc).fill(7);
        k.filterGrad(x, dy, shape, oc, df);
        return [y, df];
      });
      setOmpThreads(1);
      assertClose(results[0], expected, what, 1e-4);
      results[0].forEach((r, i) => sameBits(`${what} [${i}], 2 threads`, results[1][i], r));
      // Without a bias, the forward is the convolution alone.
      const y = new Float32Array(n * h * w * oc);
      k.forward(x, shape, filter, null, oc, y);
      assertClose([y.map((v, i) => v + bias[i % oc])], [expected[0]], `${what} no bias`, 1e-4);
    }
  },
});

const bn = loadBatchNormKernels();

/** Batch norm in training and its gradient in double, the formulas of batchnorm_train.ts. */
function batchNormReference(x: Float32Array, dy: Float32Array, c: number, eps: number) {
  const rows = x.length / c, gamma = (k: number) => 0.5 + k / c, beta = (k: number) => k - 2;
  const mean = new Float64Array(c), variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  const sd = Array.from(variance, (v) => Math.sqrt(v + eps));
  const xhat = x.map((v, i) => (v - mean[i % c]) / sd[i % c]);
  const db = new Float64Array(c), dg = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    db[i % c] += dy[i];
    dg[i % c] += dy[i] * xhat[i];
  }
  const y = xhat.map((v, i) => v * gamma(i % c) + beta(i % c));
  const dx = dy.map((d, i) => {
    const k = i % c;
    return gamma(k) / sd[k] * (d - db[k] / rows - xhat[i] * dg[k] / rows);
  });
  const g = Float32Array.from({ length: c }, (_, k) => gamma(k));
  const b = Float32Array.from({ length: c }, (_, k) => beta(k));
  return { g, b, y, mean, variance, dx, dg, db };
}

Deno.test({
  name:
    "C batch norm (+ ELU or ReLU) and its gradient match double precision, alike on 1 and 2 threads",
  ignore: typeof bn === "string",
  fn: () => {
    const k = bn as Exclude<typeof bn, string>;
    // Rows below and above a partial-sum block (1024); a mean far from 0 (no cancellation).
    for (const [rows, c, offset] of [[1, 3, 0], [37, 8, 0], [3000, 40, 0], [2500, 5, 1000]]) {
      const x = values(rows * c, rows + c).map((v) => v * 3 + offset), dy = values(rows * c, 7);
      const ref = batchNormReference(x, dy, c, 1e-3);
      const what = `batch norm ${rows} x ${c} (+${offset})`;
      const results = [1, 2].map((threads) => {
        setOmpThreads(threads);
        const mean = new Float32Array(c), variance = new Float32Array(c);
        assert.ok(k.stats(x, c, mean, variance), what);
        const scale = variance.map((v, j) => ref.g[j] / Math.sqrt(v + 1e-3));
        const [y, elu, relu] = (["none", "elu", "relu"] as const).map((act) => {
          const out = new Float32Array(rows * c);
          k.affine(x, c, mean, scale, ref.b, act, out);
          return out;
        });
        const dx = new Float32Array(rows * c), dg = new Float32Array(c), db = new Float32Array(c);
        assert.ok(k.backward(dy, x, c, 1e-3, ref.g, mean, variance, dx, dg, db), what);
        return [y, elu, relu, mean, variance, dx, dg, db];
      });
      setOmpThreads(1);
      const elu = ref.y.map((v) => v > 0 ? v : Math.expm1(v));
      const relu = ref.y.map((v) => v < 0 ? 0 : v);
      const expected = [ref.y, elu, relu, ref.mean, ref.variance, ref.dx, ref.dg, ref.db].map((a) =>
        Float32Array.from(a)
      );
      assertClose(results[0], expected, what, 1e-4);
      results[0].forEach((r, i) => sameBits(`${what} [${i}], 2 threads`, results[1][i], r));
    }
    // Nothing to normalise: refused, and the caller keeps oneDNN.
    const none = new Float32Array(0), one = new Float32Array(1);
    assert.equal(k.stats(none, 1, one, one), false);
    // ELU and ReLU keep NaN, -0 and infinities as tfjs does; ELU's exp over its whole range.
    const special = Float32Array.from([NaN, -0, 0, -Infinity, Infinity, -100, -87.5, -30, -1e-8]);
    const ones = new Float32Array(special.length).fill(1), zeros = new Float32Array(special.length);
    for (
      const [act, f] of [["elu", (v: number) => v > 0 ? v : Math.expm1(v)], [
        "relu",
        (v: number) => v < 0 ? 0 : v,
      ]] as const
    ) {
      const out = new Float32Array(special.length);
      k.affine(special, special.length, zeros, ones, zeros, act, out);
      const want = Float32Array.from(special, f);
      for (let i = 0; i < out.length; i++) {
        const close = Object.is(out[i], want[i]) || Math.abs(out[i] - want[i]) < 1e-7;
        assert.ok(close, `${act}(${special[i]}) = ${out[i]}, want ${want[i]}`);
      }
    }
  },
});

const rows = loadClassKernels();

Deno.test({
  name: "C softmax and argmax over short rows match tfjs's cpu kernels, alike on 1 and 2 threads",
  ignore: typeof rows === "string",
  fn: async () => {
    const k = rows as Exclude<typeof rows, string>;
    await tf.setBackend("cpu");
    for (const classes of [1, 2, 3, 5, 16]) {
      const n = 301, what = `${classes} classes`;
      // Ties, NaN, infinities, and rows spread far apart (an exp below -87 is 0).
      const x = awkward(n * classes, classes).map((v, i) => i % 13 === 5 ? v * 200 : v);
      const t = tf.tensor2d(x, [n, classes]);
      const [cpuY, cpuK] = [tf.softmax(t).dataSync(), t.argMax(-1).dataSync()];
      const results = [1, 2].map((threads) => {
        setOmpThreads(threads);
        const y = new Float32Array(x.length), idx = new Int32Array(n);
        k.softmax(x, classes, y);
        k.argMax(x, classes, idx);
        return { y, idx };
      });
      setOmpThreads(1);
      const { y, idx } = results[0];
      for (let i = 0; i < y.length; i++) {
        const close = Object.is(y[i], cpuY[i]) || Math.abs(y[i] - cpuY[i]) <= 2e-7;
        assert.ok(close, `${what}: softmax [${i}] ${y[i]} vs cpu ${cpuY[i]}`);
      }
      assert.deepEqual(Array.from(idx), Array.from(cpuK), `${what}: argmax`);
      sameBits(`${what}: softmax on 2 threads`, results[1].y, y);
      assert.deepEqual(results[1].idx, idx, `${what}: argmax on 2 threads`);
      t.dispose();
    }
  },
});

/** The sum of the first `n` widths. */
function sum(widths: readonly number[], n: number): number {
  return widths.slice(0, n).reduce((a, b) => a + b, 0);
}

Deno.test("without a working C compiler the kernels are refused, saying why", async () => {
  const dir = await Deno.makeTempDir();
  const why = openNativeKernels({ cc: "no-such-cc", cacheDir: dir });
  assert.equal(typeof why, "string");
  assert.match(why as string, /no C compiler no-such-cc .*apt-get install gcc/);
  // A compiler that fails is quoted, with the source it failed on.
  const cc = `${dir}/failing-cc`;
  await Deno.writeTextFile(cc, "#!/bin/sh\necho 'error: broken' >&2\nexit 1\n", { mode: 0o755 });
  const failed = openNativeKernels({ cc, cacheDir: dir });
  assert.match(failed as string, /failing-cc failed on .*x2_kernels\.c: error: broken/);
  await Deno.remove(dir, { recursive: true });
});
