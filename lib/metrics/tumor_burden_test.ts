import assert from "node:assert/strict";
import { tumorBurden, tumorBurdenSummary } from "./tumor_burden.ts";

Deno.test("tumor burden per case and no-liver infinity", () => {
  assert.equal(tumorBurden(10, 100), 0.1);
  assert.equal(tumorBurden(0, 0), Infinity);
});

Deno.test("rmse, signed max and max |diff|", () => {
  const s = tumorBurdenSummary([
    { reference: 0.1, prediction: 0.3 }, // -0.2
    { reference: 0.2, prediction: 0.1 }, // +0.1
    { reference: 0, prediction: 0 },
  ]);
  assert.ok(Math.abs(s.rmse - Math.sqrt((0.04 + 0.01) / 3)) < 1e-12);
  assert.ok(Math.abs(s.max - 0.1) < 1e-12);
  assert.ok(Math.abs(s.maxAbs - 0.2) < 1e-12);
  const none = tumorBurdenSummary([{ reference: 0.1, prediction: Infinity }]);
  assert.equal(none.rmse, Infinity);
  assert.equal(none.max, -Infinity);
  assert.equal(none.maxAbs, Infinity);
});
