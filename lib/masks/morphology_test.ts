import assert from "node:assert/strict";
import { dilateBall, erodeBall } from "./morphology.ts";
import { postprocessLiver } from "../inference/postprocess.ts";
import { emptyMask, paintBall, paintBox } from "./shapes.ts";
import { countNonzero } from "./mask.ts";

Deno.test("dilation of one voxel is the digital ball", () => {
  const m = emptyMask([9, 9, 9]);
  m.data[4 + 9 * (4 + 9 * 4)] = 1;
  assert.equal(countNonzero(dilateBall(m, 1).data), 7);
  assert.equal(countNonzero(dilateBall(m, Math.SQRT2).data), 19);
  assert.equal(countNonzero(dilateBall(m, Math.sqrt(3)).data), 27);
  assert.equal(countNonzero(dilateBall(m, 2).data), 33);
  assert.equal(countNonzero(dilateBall(m, 0).data), 1);
});

Deno.test("dilation in mm respects anisotropic spacing and the array border", () => {
  const m = emptyMask([9, 9, 5]);
  m.data[4 + 9 * (4 + 9 * 2)] = 1;
  // 2 mm with 3 mm slices: a disk of radius 2 px in one slice (13 voxels).
  assert.equal(countNonzero(dilateBall(m, 2, [1, 1, 3]).data), 13);
  const corner = emptyMask([5, 5, 5]);
  corner.data[0] = 1;
  assert.equal(countNonzero(dilateBall(corner, 1).data), 4);
});

Deno.test("erosion of a cube by radius 1 and sqrt(3) leaves its interior", () => {
  const m = paintBox(emptyMask([9, 9, 9]), [2, 2, 2], [7, 7, 7]);
  assert.equal(countNonzero(erodeBall(m, 1).data), 27);
  assert.equal(countNonzero(erodeBall(m, Math.sqrt(3)).data), 27);
  assert.equal(countNonzero(erodeBall(m, 2).data), 1);
  assert.equal(countNonzero(erodeBall(m, 0).data), 125);
});

Deno.test("erosion treats voxels beyond the array as background", () => {
  const full = paintBox(emptyMask([3, 3, 3]), [0, 0, 0], [3, 3, 3]);
  const e = erodeBall(full, 1);
  assert.equal(countNonzero(e.data), 1);
  assert.equal(e.data[13], 1);
});

Deno.test("erosion and dilation by radius 0 return the mask", () => {
  const m = paintBall(emptyMask([12, 12, 12]), [6, 6, 6], 4);
  assert.deepEqual(erodeBall(m, 0).data, m.data);
  assert.deepEqual(dilateBall(m, 0).data, m.data);
});

Deno.test("postprocessLiver drops a blob joined by a thin bridge and a separate blob", () => {
  const m = emptyMask([40, 30, 30]);
  paintBall(m, [12, 15, 15], 9);
  paintBox(m, [20, 15, 15], [32, 16, 16]); // 1-voxel bridge
  paintBall(m, [33, 15, 15], 3);
  paintBox(m, [0, 0, 0], [2, 2, 2]); // speck
  const out = postprocessLiver(m, [0.7, 0.7, 2], {
    erosionRadius: 1,
    dilationRadius: 1,
    anisotropic: false,
  });
  const at = (x: number, y: number, z: number) => out.data[x + 40 * (y + 30 * z)];
  assert.equal(at(12, 15, 15), 1);
  assert.equal(at(33, 15, 15), 0, "far blob removed");
  assert.equal(at(26, 15, 15), 0, "bridge removed");
  assert.equal(at(0, 0, 0), 0, "speck removed");
  // Opening stays inside the ball and keeps its interior (the ball eroded by 1).
  const ball = paintBall(emptyMask([40, 30, 30]), [12, 15, 15], 9);
  const core = erodeBall(ball, 1);
  for (let i = 0; i < out.data.length; i++) {
    if (out.data[i]) assert.equal(ball.data[i], 1);
    if (core.data[i]) assert.equal(out.data[i], 1);
  }
});
