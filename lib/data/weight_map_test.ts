import assert from "node:assert/strict";
import type { WeightMapConfig } from "../config/experiment.ts";
import { dilateDisk, maskContour, weightMap } from "./weight_map.ts";

const cfg: WeightMapConfig = { background: 1, liver: 5, tumor: 15, contour: 25, contourRadius: 1 };

// deno-fmt-ignore
const labels = Uint8Array.from([
  0, 0, 0, 0, 0, 0, 0,
  0, 1, 1, 1, 1, 1, 0,
  0, 1, 1, 1, 1, 1, 0,
  0, 1, 1, 2, 1, 1, 0,
  0, 1, 1, 1, 1, 1, 0,
  0, 1, 1, 1, 1, 1, 0,
  0, 0, 0, 0, 0, 0, 0,
]);

Deno.test("liver target: the liver (>= 1) contour dilated by a radius-1 disk is 25", () => {
  // deno-fmt-ignore
  assert.deepEqual(Array.from(weightMap(labels, 7, 7, cfg, "liver")), [
    1, 25, 25, 25, 25, 25, 1,
    25, 25, 25, 25, 25, 25, 25,
    25, 25, 25, 25, 25, 25, 25,
    25, 25, 25, 15, 25, 25, 25,
    25, 25, 25, 25, 25, 25, 25,
    25, 25, 25, 25, 25, 25, 25,
    1, 25, 25, 25, 25, 25, 1,
  ]);
});

Deno.test("liver target with radius 0: the contour itself; labels weigh 1 / 5 / 15 elsewhere", () => {
  // deno-fmt-ignore
  assert.deepEqual(Array.from(weightMap(labels, 7, 7, { ...cfg, contourRadius: 0 }, "liver")), [
    1, 1, 1, 1, 1, 1, 1,
    1, 25, 25, 25, 25, 25, 1,
    1, 25, 5, 5, 5, 25, 1,
    1, 25, 5, 15, 5, 25, 1,
    1, 25, 5, 5, 5, 25, 1,
    1, 25, 25, 25, 25, 25, 1,
    1, 1, 1, 1, 1, 1, 1,
  ]);
});

Deno.test("tumor target: the band follows the tumor (== 2) contour", () => {
  // deno-fmt-ignore
  assert.deepEqual(Array.from(weightMap(labels, 7, 7, cfg, "tumor")), [
    1, 1, 1, 1, 1, 1, 1,
    1, 5, 5, 5, 5, 5, 1,
    1, 5, 5, 25, 5, 5, 1,
    1, 5, 25, 25, 25, 5, 1,
    1, 5, 5, 25, 5, 5, 1,
    1, 5, 5, 5, 5, 5, 1,
    1, 1, 1, 1, 1, 1, 1,
  ]);
  assert.throws(() => weightMap(labels, 6, 7, cfg, "tumor"), /49 labels is not 6x7/);
});

Deno.test("maskContour counts the image border as outside; dilateDisk uses a Euclidean disk", () => {
  assert.deepEqual(Array.from(maskContour(new Uint8Array(9).fill(1), 3, 3)), [
    1,
    1,
    1,
    1,
    0,
    1,
    1,
    1,
    1,
  ]);
  const dot = new Uint8Array(25);
  dot[12] = 1;
  // deno-fmt-ignore
  assert.deepEqual(Array.from(dilateDisk(dot, 5, 5, 2)), [
    0, 0, 1, 0, 0,
    0, 1, 1, 1, 0,
    1, 1, 1, 1, 1,
    0, 1, 1, 1, 0,
    0, 0, 1, 0, 0,
  ]);
});
