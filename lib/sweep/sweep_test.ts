import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { localEngine } from "./local.ts";
import { cellState, planSweep, writePlan } from "./plan.ts";
import { failureMessage, runSweep } from "./sweep.ts";
import { smokeFixture, spawnSweepCli, sweepCli, waitFor } from "./testing.ts";
import type { SweepView } from "./view.ts";

const repo = resolve(new URL("../..", import.meta.url).pathname);
const liver = join(repo, "experiments", "liver.json");

const quietView = (): SweepView => ({
  phases: new Map(),
  refresh: () => Promise.resolve(),
  done: () => Promise.resolve(),
  log: () => {},
});

Deno.test("local sweep: a killed cell resumes, finished cells are skipped, a failing cell is reported", async () => {
  const { root, data } = await smokeFixture();
  try {
    const plan = await planSweep({
      experiments: [liver],
      seeds: [1, 2, 3],
      profile: "smoke",
      overrides: { data: { root: data }, train: { epochs: 3 } },
      runsDir: join(root, "runs"),
      dir: join(root, "sweep"),
    });
    await writePlan(plan);
    const [killed, plain, blocked] = plan.cells;

    // Cell 0 is killed (SIGKILL) after its first epoch, as a crash or a cluster would.
    const worker = spawnSweepCli(["--plan", join(plan.dir, "plan.json"), "--cell", "0"]);
    await waitFor(
      "cell 0's first checkpoint",
      async () => (await cellState(killed)).checkpointEpoch >= 1,
    );
    worker.kill("SIGKILL");
    await worker.output();
    const before = await cellState(killed);
    assert.ok(!before.finished && before.checkpointEpoch >= 1, JSON.stringify(before));

    // Cell 2's run folder cannot be created: a file is in its place.
    await Deno.mkdir(dirname(blocked.runDir), { recursive: true });
    await Deno.writeTextFile(blocked.runDir, "in the way\n");

    const lines: string[] = [];
    const first = await runSweep(plan, localEngine({ concurrency: 2 }), {
      retries: 1,
      log: (l) => lines.push(l),
      view: quietView(),
    });
    assert.equal(first.skipped, 0);
    assert.deepEqual(first.failed.map((f) => [f.cell.index, f.attempts]), [[2, 2]]);
    const message = failureMessage(first);
    assert.match(message, /1 of 3 cells failed for good \(the 2 finished cells are intact/);
    assert.match(message, /cell 2 \(liver, seed 3\) after 2 attempts: exit 1: .*log .*cell-2\.out/);
    assert.ok(
      lines.some((l) => /rerunning 1 cell from its last checkpoint \(retry 1 of 1\): 2/.test(l)),
    );
    const log0 = await Deno.readTextFile(join(plan.dir, "logs", "cell-0.out"));
    assert.match(log0, new RegExp(`resuming after epoch ${before.checkpointEpoch}`));
    for (const c of [killed, plain]) {
      assert.ok((await cellState(c)).finished, `cell ${c.index} finished`);
      const epochs = (await Deno.readTextFile(join(c.runDir, "metrics.jsonl"))).trim().split("\n")
        .map((l) => JSON.parse(l).epoch);
      assert.deepEqual(epochs, [1, 2, 3]);
    }
    const finishedAt = (await Deno.stat(join(plain.runDir, "metrics.jsonl"))).mtime;

    // Cleared, the same sweep runs only the failed cell.
    await Deno.remove(blocked.runDir);
    const second = await runSweep(plan, localEngine(), { log: () => {}, view: quietView() });
    assert.equal(second.skipped, 2);
    assert.equal(second.failed.length, 0);
    assert.ok((await cellState(blocked)).finished);
    assert.deepEqual((await Deno.stat(join(plain.runDir, "metrics.jsonl"))).mtime, finishedAt);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task sweep: an unknown engine is a usage error; a missing sbatch is named", async () => {
  const bad = await sweepCli(["--engine", "pbs"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--engine must be one of local, slurm, got "pbs"/);
  const { root, data } = await smokeFixture();
  try {
    // A PATH with nothing but deno: no Slurm client.
    const none = await sweepCli(
      [
        liver,
        "--engine",
        "slurm",
        "--profile",
        "smoke",
        "--seeds",
        "1",
        "--data",
        data,
        "--runs",
        join(root, "runs"),
        "--out",
        join(root, "sweep"),
      ],
      { PATH: dirname(Deno.execPath()) },
    );
    assert.equal(none.code, 1);
    assert.match(none.stderr, /sbatch not found on PATH: the slurm engine needs a Slurm client/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
