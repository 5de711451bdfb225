import assert from "node:assert/strict";
import { labelComponents, largestComponent } from "./components.ts";
import { emptyMask, paintBox } from "./shapes.ts";

Deno.test("components: separate boxes are numbered in scan order with sizes", () => {
  const m = emptyMask([10, 10, 10]);
  paintBox(m, [0, 0, 5], [2, 2, 7]); // 8 voxels, first voxel at z=5
  paintBox(m, [5, 5, 0], [8, 9, 2]); // 24 voxels, first at z=0
  const c = labelComponents(m, 6);
  assert.equal(c.count, 2);
  assert.deepEqual(c.sizes, [0, 24, 8]);
  assert.equal(c.labels[5 + 10 * 5], 1);
  assert.equal(c.labels[0 + 100 * 5], 2);
  assert.equal(c.labels[9], 0);
});

Deno.test("components: diagonal neighbours join under 26 but not 6 connectivity", () => {
  const m = emptyMask([4, 4, 4]);
  m.data[1 + 4 * (1 + 4 * 1)] = 1;
  m.data[2 + 4 * (2 + 4 * 2)] = 1; // corner neighbour
  m.data[0 + 4 * (2 + 4 * 0)] = 1; // edge neighbour of (1,1,1)? (dx -1, dy +1, dz -1): corner too
  m.data[3 + 4 * (0 + 4 * 1)] = 1; // (3,0,1): not adjacent to (1,1,1) (dx 2)
  assert.equal(labelComponents(m, 6).count, 4);
  const c26 = labelComponents(m, 26);
  assert.equal(c26.count, 2);
  assert.deepEqual(c26.sizes.slice(1).sort(), [1, 3]);
});

Deno.test("components: a U shape joined only at the bottom is one component", () => {
  const m = emptyMask([7, 3, 5]);
  paintBox(m, [0, 0, 0], [7, 3, 1]);
  paintBox(m, [0, 0, 0], [1, 3, 5]);
  paintBox(m, [6, 0, 0], [7, 3, 5]);
  assert.equal(labelComponents(m, 6).count, 1);
  assert.equal(labelComponents(m, 6).sizes[1], 21 + 12 + 12);
});

Deno.test("largestComponent keeps only the biggest and handles the empty mask", () => {
  const m = emptyMask([12, 12, 12]);
  paintBox(m, [0, 0, 0], [3, 3, 3]);
  paintBox(m, [5, 5, 5], [10, 10, 10]);
  paintBox(m, [11, 0, 0], [12, 1, 1]);
  const l = largestComponent(m, 26);
  assert.equal(l.data.reduce((a, b) => a + b, 0), 125);
  assert.equal(l.data[0], 0);
  assert.equal(l.data[6 + 12 * (6 + 12 * 6)], 1);
  assert.equal(largestComponent(emptyMask([3, 3, 3]), 6).data.every((v) => v === 0), true);
});
