import assert from "node:assert/strict";
import { createRng } from "../util/prng.ts";
import {
  checkLiverShare,
  checkShift,
  patchCorner,
  patchGeometry,
  shiftIntensity,
} from "./augment.ts";

Deno.test("patchGeometry: label-scale patch side, and patch sizes that do not fit are errors", () => {
  assert.deepEqual(patchGeometry(32, 16, 8), { slice: 32, input: 16, patch: 8, labelPatch: 16 });
  assert.deepEqual(patchGeometry(32, 16).patch, 16);
  assert.throws(() => patchGeometry(32, 16, 17), /patch size 17 must be an integer in 1..16/);
  assert.throws(() => patchGeometry(30, 20, 3), /patch size 3/);
  assert.throws(() => checkLiverShare(0.6), /liverPatches must be in 0..0.5, got 0.6/);
  assert.throws(() => checkShift(-1), /intensity shift must be >= 0 HU/);
});

Deno.test("patchCorner: a patch centred on the only tumor pixel when the draw says target", () => {
  const g = patchGeometry(16, 16, 4);
  const lab = new Uint8Array(16 * 16);
  lab[9 * 16 + 11] = 2; // one tumor pixel at (y 9, x 11)
  let centred = 0;
  const rng = createRng(3);
  for (let i = 0; i < 200; i++) {
    const [y0, x0] = patchCorner(rng, lab, g, "tumor", 0);
    assert.ok(y0 >= 0 && y0 <= 12 && x0 >= 0 && x0 <= 12);
    if (y0 === 7 && x0 === 9) centred++;
  }
  // Half the draws aim at the target: about 100 of 200 (a uniform corner 1 time in 256).
  assert.ok(centred > 70 && centred < 130, `${centred} of 200 centred`);
  assert.deepEqual(patchCorner(rng, lab, patchGeometry(16, 16), "tumor", 0), [0, 0]);
});

Deno.test("shiftIntensity: one offset per call scaled by each window's width; clipped values stay", () => {
  const windows: [number, number][] = [[0, 100], [-100, 300]];
  const x = new Float32Array([0, 0.5, 1, 0.5]);
  shiftIntensity(createRng(1), x, 20, windows);
  const hu = createRng(1).uniform(-20, 20);
  assert.equal(x[0], 0);
  assert.equal(x[2], 1);
  assert.ok(Math.abs(x[1] - (0.5 + hu / 400)) < 1e-6);
  assert.ok(Math.abs(x[3] - (0.5 + hu / 400)) < 1e-6);
});
