import assert from "node:assert/strict";
import type { SweepPlan } from "./plan.ts";
import { type CellView, createSweepView, renderSweep } from "./view.ts";

const plan = {
  name: "ablation-cpu",
  dir: "/nonexistent/sweep",
  profile: "cpu",
  seeds: [1, 2],
  experiments: [],
  cells: [
    ["liver", 1],
    ["liver", 2],
    ["ablation-relu", 1],
    ["ablation-relu", 2],
  ].map(([name, seed], index) => ({
    index,
    name,
    seed,
    experiment: "",
    overrides: {},
    runDir: `/nonexistent/${name}/${seed}`,
    epochs: 12,
  })),
} as SweepPlan;

const view = (phase: CellView["phase"], epochsDone = 0, finished = false): CellView => ({
  phase,
  epochsDone,
  checkpointEpoch: epochsDone,
  finished,
  bestValDice: finished ? 0.9141 : NaN,
  epochs: 12,
});

Deno.test("renderSweep: counts, then one row per experiment and one column per seed", () => {
  const lines = renderSweep(
    plan,
    "slurm",
    [view("done", 12, true), view("running", 5), view("queued"), view("failed", 3)],
    75,
  );
  assert.equal(
    lines[0],
    "sweep ablation-cpu (slurm): 1/4 done, 1 running, 1 waiting, 1 failed  [1m15s]",
  );
  assert.match(lines[1], /^\s+seed 1\s+seed 2$/);
  assert.match(lines[2], /^ {2}liver\s+done 0\.914\s+running 5\/12$/);
  assert.match(lines[3], /^ {2}ablation-relu\s+queued\s+failed 3\/12$/);
});

Deno.test("createSweepView prints a block when a cell changes and a final block", async () => {
  const written: string[] = [];
  const stream = {
    writeSync: (b: Uint8Array) => (written.push(new TextDecoder().decode(b)), b.length),
    isTerminal: () => false,
  };
  const v = createSweepView(plan, "local", { stream, lineEvery: 0 });
  await v.refresh();
  await v.refresh(); // nothing changed: nothing printed
  v.phases.set(0, "running");
  await v.refresh();
  await v.done();
  assert.equal(written.length, 3);
  assert.match(written[0], /0\/4 done, 0 running, 4 waiting/);
  assert.match(written[1], /1 running/);
});
