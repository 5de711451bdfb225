import assert from "node:assert/strict";
import { join } from "node:path";
import { readAblationRun } from "./ablation.ts";

Deno.test("readAblationRun picks the best valDice of the latest run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const id of ["20260101-000000", "20260102-000000"]) {
      const run = join(dir, "ablation-relu", id);
      await Deno.mkdir(run, { recursive: true });
      await Deno.writeTextFile(
        join(run, "config.json"),
        JSON.stringify({
          name: "ablation-relu",
          model: { activation: "relu", upsampling: "bilinear" },
        }),
      );
      const v = id.startsWith("20260102") ? [0.5, 0.8, 0.7] : [0.9];
      await Deno.writeTextFile(
        join(run, "metrics.jsonl"),
        v.map((valDice, i) => JSON.stringify({ epoch: i + 1, valDice })).join("\n") + "\n",
      );
    }
    const r = await readAblationRun(join(dir, "ablation-relu"));
    assert.deepEqual(r, {
      activation: "relu",
      upsampling: "bilinear",
      name: "ablation-relu/20260102-000000",
      bestValidationDice: 0.8,
      bestEpoch: 2,
      validationDice: [0.5, 0.8, 0.7],
    });
    await assert.rejects(readAblationRun(join(dir, "nothing")), /cannot read run folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
