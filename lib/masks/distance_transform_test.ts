import assert from "node:assert/strict";
import type { Vec3 } from "../data/volume.ts";
import { squaredDistanceToFeatures } from "./distance_transform.ts";
import { emptyMask } from "./shapes.ts";

/** Independent brute force: min over features of the squared mm distance. */
function bruteForce(data: Uint8Array, shape: Vec3, spacing: Vec3, invert: boolean): number[] {
  const [nx, ny, nz] = shape;
  const feats: Vec3[] = [];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        if ((data[x + nx * (y + ny * z)] !== 0) !== invert) feats.push([x, y, z]);
      }
    }
  }
  const out: number[] = [];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let best = Infinity;
        for (const [a, b, c] of feats) {
          const d = ((x - a) * spacing[0]) ** 2 + ((y - b) * spacing[1]) ** 2 +
            ((z - c) * spacing[2]) ** 2;
          if (d < best) best = d;
        }
        out.push(best);
      }
    }
  }
  return out;
}

Deno.test("edt: one feature voxel gives the squared mm distance", () => {
  const m = emptyMask([3, 3, 3]);
  m.data[0] = 1;
  const d2 = squaredDistanceToFeatures(m, [1, 2, 3]);
  assert.equal(d2[0], 0);
  assert.equal(d2[1 + 3 * (1 + 3 * 1)], 1 + 4 + 9);
  assert.equal(d2[2 + 3 * (2 + 3 * 2)], 4 + 16 + 36);
});

Deno.test("edt: no feature gives Infinity everywhere", () => {
  const d2 = squaredDistanceToFeatures(emptyMask([4, 3, 2]), [1, 1, 1]);
  assert.ok(d2.every((v) => v === Infinity));
});

Deno.test("edt: matches brute force on random masks with anisotropic spacing", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (
    const [shape, spacing, density] of [
      [[9, 7, 5], [0.7, 0.7, 2.5], 0.05],
      [[6, 11, 8], [1, 1.3, 0.5], 0.2],
      [[1, 12, 1], [1, 1, 1], 0.15],
    ] as [Vec3, Vec3, number][]
  ) {
    const m = emptyMask(shape);
    for (let i = 0; i < m.data.length; i++) m.data[i] = rand() < density ? 1 : 0;
    m.data[0] = 1;
    for (const invert of [false, true]) {
      const got = squaredDistanceToFeatures(m, spacing, invert);
      const want = bruteForce(m.data, shape, spacing, invert);
      for (let i = 0; i < want.length; i++) {
        if (want[i] === Infinity) assert.equal(got[i], Infinity);
        else assert.ok(Math.abs(got[i] - want[i]) < 1e-4 * (1 + want[i]), `voxel ${i}`);
      }
    }
  }
});
