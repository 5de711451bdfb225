import assert from "node:assert/strict";
import { contour18 } from "./contour.ts";
import { countNonzero } from "./mask.ts";
import { emptyMask, paintBox } from "./shapes.ts";

Deno.test("contour of cubes: all but the interior", () => {
  assert.equal(
    countNonzero(contour18(paintBox(emptyMask([7, 7, 7]), [2, 2, 2], [5, 5, 5])).data),
    26,
  );
  assert.equal(
    countNonzero(contour18(paintBox(emptyMask([8, 8, 8]), [2, 2, 2], [6, 6, 6])).data),
    56,
  );
});

Deno.test("contour: voxels at the array border are contour", () => {
  const full = paintBox(emptyMask([3, 3, 3]), [0, 0, 0], [3, 3, 3]);
  assert.equal(countNonzero(contour18(full).data), 26);
  const slab = paintBox(emptyMask([4, 4, 1]), [0, 0, 0], [4, 4, 1]);
  assert.equal(countNonzero(contour18(slab).data), 16);
});

Deno.test("contour uses 18 neighbours: a missing corner neighbour does not count", () => {
  const m = paintBox(emptyMask([7, 7, 7]), [1, 1, 1], [6, 6, 6]);
  m.data[1 + 7 * (1 + 7 * 1)] = 0; // remove corner voxel (1,1,1)
  const c = contour18(m);
  assert.equal(c.data[2 + 7 * (2 + 7 * 2)], 0, "(2,2,2) sees (1,1,1) only as a corner");
  assert.equal(c.data[2 + 7 * (1 + 7 * 2)], 1);
  m.data[1 + 7 * (1 + 7 * 2)] = 0; // (1,1,2) is an edge neighbour of (2,2,2)
  assert.equal(contour18(m).data[2 + 7 * (2 + 7 * 2)], 1);
});
