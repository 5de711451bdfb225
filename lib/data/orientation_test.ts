import assert from "node:assert/strict";
import {
  axisCodes,
  canonicalAffine,
  fileAffineFromCanonical,
  flipInPlace,
  fromCanonical,
  orientationFromAffine,
  toCanonical,
} from "./orientation.ts";
import type { Vec3 } from "./volume.ts";

Deno.test("axisCodes like nibabel's aff2axcodes, including a slightly oblique affine", () => {
  assert.equal(axisCodes([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), "RAS");
  assert.equal(axisCodes([-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), "LPS");
  assert.equal(axisCodes([0, 0, 2, 0, -1, 0, 0, 0, 0, -3, 0, 0, 0, 0, 0, 1]), "PIR");
  const c = Math.cos(0.2), s = Math.sin(0.2);
  assert.equal(axisCodes([c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), "RAS");
  assert.throws(() => axisCodes([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), /degenerate/);
});

Deno.test("flipInPlace equals toCanonical for every flip combination (odd and even sides)", () => {
  const dims: Vec3 = [5, 4, 3];
  const src = new Int32Array(60).map((_, i) => i);
  for (let m = 0; m < 8; m++) {
    const flip: [boolean, boolean, boolean] = [!!(m & 1), !!(m & 2), !!(m & 4)];
    const o = { perm: [0, 1, 2] as Vec3, flip };
    const expected = new Int32Array(60);
    toCanonical(src, dims, o, expected);
    const inPlace = src.slice();
    flipInPlace(inPlace, dims, flip);
    assert.deepEqual(inPlace, expected, `flip ${flip}`);
    const back = new Int32Array(60);
    fromCanonical(expected, dims, o, back);
    assert.deepEqual(back, src);
  }
});

Deno.test("toCanonical/fromCanonical and the affines invert each other for a permutation", () => {
  const fileAffine = [0, 0, -2, 1, 3, 0, 0, 2, 0, -1, 0, 3, 0, 0, 0, 1]; // axes A, I, L
  const o = orientationFromAffine(fileAffine, "float32");
  assert.equal(o.code, "AIL");
  const dims: Vec3 = [3, 4, 5];
  const src = new Float32Array(60).map((_, i) => i);
  const can = new Float32Array(60);
  toCanonical(src, dims, o, can);
  const back = new Float32Array(60);
  fromCanonical(can, dims, o, back);
  assert.deepEqual(back, src);
  const shape: Vec3 = [dims[o.perm[0]], dims[o.perm[1]], dims[o.perm[2]]];
  assert.deepEqual(shape, [5, 3, 4]);
  const a = canonicalAffine(fileAffine, dims, o);
  assert.deepEqual(fileAffineFromCanonical(a, shape, o), fileAffine);
});
