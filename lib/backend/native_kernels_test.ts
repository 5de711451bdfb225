import assert from "node:assert/strict";
import { maxPool2x2, maxPool2x2Grad } from "./maxpool_2x2_kernels.ts";
import { resizeX2, resizeX2Grad } from "./resize_x2_kernels.ts";
import { loadConcatKernels, loadNativeKernels, openNativeKernels } from "./native_kernels.ts";
import { setOmpThreads } from "./onednn_ffi.ts";
import { values } from "./testing.ts";

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
