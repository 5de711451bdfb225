import assert from "node:assert/strict";
import { GEOMETRY_TOLERANCE, geometryMismatch } from "./geometry.ts";
import type { Vec3 } from "./volume.ts";

const grid = (affine: number[], shape: Vec3 = [10, 8, 4]) => ({
  shape,
  spacing: [Math.abs(affine[0]), Math.abs(affine[5]), Math.abs(affine[10])] as Vec3,
  affine,
});
const A = [-0.8, 0, 0, 100, 0, -0.8, 0, 50, 0, 0, 2.5, -30, 0, 0, 0, 1];

Deno.test("geometryMismatch: same grid, float32 rounding, shape, shift, spacing", () => {
  assert.equal(geometryMismatch(grid(A), grid(A)), null);
  const rounded = A.map((v) => Math.fround(v + 1e-6));
  assert.equal(geometryMismatch(grid(A), grid(rounded)), null);
  assert.match(geometryMismatch(grid(A), grid(A, [10, 8, 5]))!, /shape 10x8x4 != 10x8x5/);
  const shifted = [...A];
  shifted[3] += 0.8; // one voxel
  assert.match(geometryMismatch(grid(A), grid(shifted))!, /affines differ: .* 0\.800 mm apart/);
  const within = [...A];
  within[3] += 0.5 * GEOMETRY_TOLERANCE * 0.8;
  assert.equal(geometryMismatch(grid(A), grid(within)), null);
  const resampled = [...A];
  resampled[10] = 3;
  assert.match(
    geometryMismatch(grid(A), grid(resampled))!,
    /spacing 0\.8x0\.8x2\.5 vs 0\.8x0\.8x3/,
  );
  // In-memory volumes without an affine are compared by shape only.
  assert.equal(geometryMismatch(grid(A), { ...grid(A), affine: [] }), null);
});
