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
