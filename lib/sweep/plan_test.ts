import assert from "node:assert/strict";
import { join } from "node:path";
import { ABLATION_GRID, cellState, planSweep, readPlan, setOverride, writePlan } from "./plan.ts";

const grid = ABLATION_GRID;

Deno.test("setOverride builds nested patches; values are JSON when they parse", () => {
  let p = setOverride({}, "train.epochs=3");
  p = setOverride(p, "train.learningRateSchedule=cosine");
  p = setOverride(p, "data.windows=[[-100,300]]");
  assert.deepEqual(p, {
    train: { epochs: 3, learningRateSchedule: "cosine" },
    data: { windows: [[-100, 300]] },
  });
  assert.throws(() => setOverride({}, "train.epochs"), /KEY=VALUE/);
});

Deno.test("planSweep: experiments x seeds, run folders named by the resolved config", async () => {
  const runsDir = await Deno.makeTempDir();
  try {
    const plan = await planSweep({ experiments: grid, seeds: [1, 2], profile: "smoke", runsDir });
    assert.equal(plan.name, "ablation-smoke");
    assert.equal(plan.cells.length, 8);
    assert.deepEqual(plan.cells.slice(0, 3).map((c) => [c.index, c.name, c.seed]), [
      [0, "liver", 1],
      [1, "liver", 2],
      [2, "ablation-relu", 1],
    ]);
    assert.match(plan.cells[1].runDir, /liver[\\/]smoke-seed2-[0-9a-f]{10}$/);
    assert.deepEqual(plan.cells[1].overrides, { train: { seed: 2 } });
    // The same cell of another sweep finds the same run; another setting is another run.
    const again = await planSweep({
      experiments: [grid[0]],
      seeds: [2],
      profile: "smoke",
      runsDir,
    });
    assert.equal(again.cells[0].runDir, plan.cells[1].runDir);
    assert.match(again.name, /^sweep-[0-9a-f]{8}$/);
    const longer = await planSweep({
      experiments: [grid[0]],
      seeds: [2],
      profile: "smoke",
      runsDir,
      overrides: { train: { epochs: 2 } },
    });
    assert.notEqual(longer.cells[0].runDir, plan.cells[1].runDir);
    assert.equal(longer.cells[0].epochs, 2);

    plan.dir = join(runsDir, "sweep");
    const path = await writePlan(plan);
    assert.deepEqual(await readPlan(path), JSON.parse(JSON.stringify(plan)));
    assert.deepEqual(await cellState(plan.cells[0]), {
      epochsDone: 0,
      checkpointEpoch: 0,
      finished: false,
      bestValDice: NaN,
    });
  } finally {
    await Deno.remove(runsDir, { recursive: true });
  }
});

Deno.test("planSweep names the file of a bad override and rejects repeated seeds", async () => {
  await assert.rejects(
    planSweep({
      experiments: [grid[0]],
      seeds: [1],
      profile: "smoke",
      overrides: { train: { epoch: 2 } },
    }),
    /train\.epoch is not a known key/,
  );
  await assert.rejects(
    planSweep({ experiments: [grid[0]], seeds: [1, 1], profile: "smoke" }),
    /seeds repeat/,
  );
  await assert.rejects(
    planSweep({ experiments: [grid[0], grid[0]], seeds: [1], profile: "smoke" }),
    /listed twice/,
  );
  await assert.rejects(readPlan("/nonexistent/plan.json"), /plan\.json: cannot read sweep plan/);
});
