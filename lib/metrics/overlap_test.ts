import assert from "node:assert/strict";
import { maskDice } from "./overlap.ts";

Deno.test("maskDice", () => {
  assert.equal(maskDice([1, 1, 0, 0], [1, 0, 1, 0]), 0.5);
  assert.equal(maskDice([0, 0], [0, 0]), 1);
  assert.throws(() => maskDice([1], [1, 0]), /differ in size/);
});
