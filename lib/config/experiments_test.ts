import assert from "node:assert/strict";
import { configDifferences } from "./experiments.ts";

Deno.test("configDifferences lists differing settings, ignoring keys and prefixes", () => {
  const a = { name: "liver", model: { activation: "elu", growthRate: 16 }, train: { lr: 1e-4 } };
  const b = {
    name: "relu",
    model: { activation: "relu", growthRate: 8 },
    train: { lr: 1e-4, x: 1 },
  };
  assert.deepEqual(configDifferences(a, b, ["name", "model.activation"]), [
    "model.growthRate: 16 -> 8",
    "train.x: (none) -> 1",
  ]);
  assert.deepEqual(configDifferences(a, b, ["name", "model", "train"]), []);
});
