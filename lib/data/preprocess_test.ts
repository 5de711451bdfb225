import assert from "node:assert/strict";
import type { Vec3, Volume } from "./volume.ts";
import {
  equalizeHistogram,
  labelSlice,
  resizeBilinear,
  sliceInput,
  windowStats,
} from "./preprocess.ts";

const I = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

function vol<T extends Int16Array | Uint8Array>(data: T, shape: Vec3): Volume<T> {
  return { data, shape, spacing: [1, 1, 1], affine: I };
}

/** 4x4x2, voxel i = -200 + 50 i: slice 0 runs -200..550, slice 1 600..1350. */
const ramp = vol(Int16Array.from({ length: 32 }, (_, i) => -200 + 50 * i), [4, 4, 2]);

function close(actual: ArrayLike<number>, expected: number[], eps = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) < eps, `[${i}] ${actual[i]} != ${expected[i]}`);
  }
}

Deno.test("windowStats: min and max of the clamped volume", () => {
  assert.deepEqual(windowStats(ramp, [-100, 300]), { lo: -100, hi: 300 });
  assert.deepEqual(windowStats(ramp, [-500, 5000]), { lo: -200, hi: 1350 });
  assert.deepEqual(windowStats(ramp, [2000, 3000]), { lo: 2000, hi: 2000 });
  assert.throws(() => windowStats(ramp, [300, -100]), /low < high/);
});

Deno.test("sliceInput at full size: (clamp(v) - lo) / (hi - lo)", () => {
  const x = sliceInput(ramp, 0, [[-100, 300]], [{ lo: -100, hi: 300 }], 4);
  close(x, [0, 0, 0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1, 1, 1, 1, 1]);
});

Deno.test("windowStats and sliceInput with an HU offset: the volume moved before windowing", () => {
  assert.deepEqual(windowStats(ramp, [-500, 5000], 100), { lo: -100, hi: 1450 });
  const x = sliceInput(ramp, 0, [[-100, 300]], [windowStats(ramp, [-100, 300], 100)], 4, {
    offsetHU: 100,
  });
  close(x, [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1, 1, 1, 1, 1, 1, 1]);
});

Deno.test("sliceInput shrinks 4 -> 2 by area averaging, channels interleaved (HWC)", () => {
  const windows: [number, number][] = [[-100, 300], [2000, 3000]];
  const stats = windows.map((w) => windowStats(ramp, w));
  const x = sliceInput(ramp, 0, windows, stats, 2);
  // Channel 0 = block means of the values above; channel 1 has hi == lo, so 0.
  close(x, [0.15625, 0, 0.3125, 0, 0.90625, 0, 1, 0]);
});

Deno.test("sliceInput enlarges bilinearly; histogram equalisation option", () => {
  const x = sliceInput(ramp, 0, [[-100, 300]], [{ lo: -100, hi: 300 }], 8);
  assert.equal(x.length, 64);
  // Output pixel (0, 1) sits at source x = -0.25 -> clamped to 0, y = 0.25: 0 + 0.25 * (0.25 - 0).
  close([x[8]], [0.0625]);
  const eq = sliceInput(ramp, 1, [[-100, 300]], [{ lo: -100, hi: 300 }], 4, {
    histogramEqualize: true,
  });
  close(eq, new Array(16).fill(1)); // one bin holds every pixel
  assert.throws(() => sliceInput(ramp, 2, [[-100, 300]], [{ lo: 0, hi: 1 }], 4), /slice 2/);
});

Deno.test("equalizeHistogram: cumulative fraction of each value's bin", () => {
  close(equalizeHistogram(Float32Array.from([0, 0, 0.5, 1])), [0.5, 0.5, 0.75, 1]);
});

Deno.test("resizeBilinear: half-pixel centres, clamped edges, multi-channel", () => {
  close(resizeBilinear(Float32Array.from([0, 1]), 2, 1, 1, 4, 1), [0, 0.25, 0.75, 1]);
  close(resizeBilinear(Float32Array.from([0, 1, 2, 3]), 4, 1, 1, 3, 1), [1 / 6, 1.5, 17 / 6]);
  close(
    resizeBilinear(Float32Array.from([0, 10, 1, 20]), 2, 1, 2, 4, 1),
    [0, 10, 0.25, 12.5, 0.75, 17.5, 1, 20],
  );
  assert.throws(() => resizeBilinear(new Float32Array(3), 2, 1, 1, 4, 1), /3 values/);
});

Deno.test("labelSlice: majority per block with ties to the higher label; nearest otherwise", () => {
  // deno-fmt-ignore
  const seg = vol(Uint8Array.from([
    0, 1, 1, 1,
    1, 2, 2, 2,
    0, 0, 0, 0,
    0, 2, 1, 1,
  ]), [4, 4, 1]);
  assert.deepEqual(Array.from(labelSlice(seg, 0, 2)), [1, 2, 0, 1]);
  assert.deepEqual(Array.from(labelSlice(seg, 0, 4)), Array.from(seg.data));
  // 4 -> 3: source index floor((o + 0.5) * 4 / 3) = 0, 2, 3.
  assert.deepEqual(Array.from(labelSlice(seg, 0, 3)), [0, 1, 1, 0, 0, 0, 0, 1, 1]);
});

/** The majority rule spelled out: the most frequent label of each f x f block, ties to the higher. */
function majorityReference(src: Uint8Array, n: number, f: number): number[] {
  const size = n / f, out: number[] = [];
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      const counts = new Map<number, number>();
      for (let y = oy * f; y < (oy + 1) * f; y++) {
        for (let x = ox * f; x < (ox + 1) * f; x++) {
          counts.set(src[y * n + x], (counts.get(src[y * n + x]) ?? 0) + 1);
        }
      }
      const [best] = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0];
      out.push(best);
    }
  }
  return out;
}

Deno.test("labelSlice: 2x2 and 3x3 blocks of random labels follow the majority rule", () => {
  let s = 7;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) >>> 16;
  for (const [n, f] of [[64, 2], [48, 3]]) {
    // Few labels, so that ties of two and of four occur often.
    const data = Uint8Array.from({ length: 2 * n * n }, () => next() % 4);
    const seg = vol(data, [n, n, 2]);
    for (const z of [0, 1]) {
      assert.deepEqual(
        Array.from(labelSlice(seg, z, n / f)),
        majorityReference(data.subarray(z * n * n, (z + 1) * n * n), n, f),
      );
    }
  }
});

Deno.test("windowStats: a precomputed value range gives the same statistics", () => {
  const v = vol(Int16Array.from([-1024, 40, 3071, 0]), [2, 2, 1]);
  for (const w of [[-100, 300], [0, 100]] as [number, number][]) {
    assert.deepEqual(windowStats(v, w, 20, [-1024, 3071]), windowStats(v, w, 20));
  }
});
