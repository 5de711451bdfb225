/**
 * The slurm engine against a real one-node Slurm cluster on loopback, started
 * and stopped here by `.ci/slurm_up.sh` / `.ci/slurm_down.sh` (Debian's
 * slurm-wlm and munge, as root). Without them the test is skipped and says so.
 */
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { cellState, planSweep } from "./plan.ts";
import { smokeFixture, spawnSweepCli, sweepCli, waitFor } from "./testing.ts";

const repo = resolve(new URL("../..", import.meta.url).pathname);
const liver = join(repo, "experiments", "liver.json");
const relu = join(repo, "experiments", "ablation-relu.json");

function onPath(cmd: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(join(dir, cmd)).isFile;
    } catch {
      return false;
    }
  });
}

const missing = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel"].filter((c) =>
  !onPath(c)
);
const why = missing.length
  ? `not installed: ${missing.join(", ")} (apt-get install slurm-wlm munge)`
  : Deno.uid() !== 0
  ? "the one-node cluster needs root"
  : "";
if (why) console.log(`slurm_test: skipped, ${why}`);

async function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** The metrics that training determines (times and dates left out). */
async function trainedNumbers(runDir: string): Promise<unknown[]> {
  const text = await Deno.readTextFile(join(runDir, "metrics.jsonl"));
  return text.trim().split("\n").map((l) => {
    const { epoch, step, trainLoss, trainDice, valLoss, valDice } = JSON.parse(l);
    return { epoch, step, trainLoss, trainDice, valLoss, valDice };
  });
}

Deno.test({
  name: "slurm sweep on a real one-node cluster",
  ignore: why !== "",
  async fn(t) {
    const { root, data } = await smokeFixture();
    const cluster = join(root, "slurm");
    let env: Record<string, string> = {};
    try {
      const conf = await sh("bash", [join(repo, ".ci", "slurm_up.sh"), cluster]);
      env = { SLURM_CONF: conf };
      const common = ["--profile", "smoke", "--data", data, "--poll", "0.3"];
      const runs = join(root, "runs");
      const sweep = join(root, "sweep");

      await t.step(
        "a job array with one task killed mid-run completes, that cell resumed",
        async () => {
          const child = spawnSweepCli([
            liver,
            relu,
            "--engine",
            "slurm",
            "--seeds",
            "2",
            "--set",
            "train.epochs=5",
            "--threshold",
            "0.05",
            "--runs",
            runs,
            "--out",
            sweep,
            ...common,
          ], env);
          const output = child.output();
          const plan = await planSweep({
            experiments: [liver, relu],
            seeds: [1, 2],
            profile: "smoke",
            overrides: { train: { epochs: 5 }, data: { root: data } },
            runsDir: runs,
          });
          const victim = plan.cells[0];
          await waitFor(
            "cell 0's first checkpoint",
            async () => (await cellState(victim)).checkpointEpoch >= 1,
          );
          const job = JSON.parse(await Deno.readTextFile(join(sweep, "slurm.json"))).jobId;
          await sh("scancel", [`${job}_0`], env);
          const out = await output;
          const stdout = new TextDecoder().decode(out.stdout);
          const stderr = new TextDecoder().decode(out.stderr);
          assert.equal(out.code, 0, stderr);
          assert.match(stderr, new RegExp(`submitted job array ${job} \\(cells 0-3\\)`));
          assert.match(
            stderr,
            new RegExp(
              `cell 0 \\(liver, seed 1\\) stopped unfinished: array task ${job}_0 ended CANCELLED`,
            ),
          );
          assert.match(stderr, /rerunning 1 cell from its last checkpoint \(retry 1 of 1\): 0/);
          assert.match(stderr, /4\/4 done/);
          const log = await Deno.readTextFile(join(sweep, "logs", "cell-0.out"));
          assert.match(log, /cell 0 \(liver, seed 1\): resuming after epoch [1-4]/);
          for (const c of plan.cells) {
            assert.ok((await cellState(c)).finished, `cell ${c.index} finished`);
            assert.deepEqual(
              (await trainedNumbers(c.runDir)).map((m) => (m as { epoch: number }).epoch),
              [1, 2, 3, 4, 5],
            );
          }
          const table = JSON.parse(await Deno.readTextFile(join(sweep, "ablation.json")));
          assert.deepEqual(table.rows.map((r: unknown[]) => [r[0], r[3]]), [["liver", "2"], [
            "ablation-relu",
            "2",
          ]]);
          assert.ok(table.rows.every((r: unknown[]) => typeof r[4] === "number"), "means filled");
          const claims = JSON.parse(await Deno.readTextFile(join(sweep, "claims.json")));
          assert.equal(claims.rows[1][2], "2"); // ELU - ReLU best Dice: two seeds paired
          assert.match(
            stdout,
            /ELU converges faster than ReLU \(best validation Dice, ELU - ReLU\): /,
          );
        },
      );

      await t.step(
        "the same cells run locally give identical numbers (the killed one too)",
        async () => {
          const local = join(root, "runs-local");
          const res = await sweepCli([
            liver,
            "--engine",
            "local",
            "--seeds",
            "2",
            "--set",
            "train.epochs=5",
            "--runs",
            local,
            "--out",
            join(root, "sweep-local"),
            ...common,
          ], env);
          assert.equal(res.code, 0, res.stderr);
          for (const seed of [1, 2]) {
            const id = (await Array.fromAsync(Deno.readDir(join(runs, "liver")))).map((e) => e.name)
              .find((n) => n.startsWith(`smoke-seed${seed}-`))!;
            assert.deepEqual(
              await trainedNumbers(join(runs, "liver", id)),
              await trainedNumbers(join(local, "liver", id)),
              `seed ${seed}`,
            );
          }
        },
      );

      await t.step(
        "a rejected submission is named and leaves the finished cells alone",
        async () => {
          const finished = join(
            (await planSweep({
              experiments: [liver],
              seeds: [1],
              profile: "smoke",
              overrides: { train: { epochs: 5 }, data: { root: data } },
              runsDir: runs,
            })).cells[0].runDir,
            "metrics.jsonl",
          );
          const before = (await Deno.stat(finished)).mtime;
          const res = await sweepCli([
            liver,
            relu,
            "--engine",
            "slurm",
            "--seeds",
            "3",
            "--set",
            "train.epochs=5",
            "--partition",
            "nosuch",
            "--runs",
            runs,
            "--out",
            sweep,
            ...common,
          ], env);
          assert.equal(res.code, 1);
          assert.match(
            res.stderr,
            /Slurm rejected the job array \S+array\.sh \(cells 2,5\): .*partition/i,
          );
          assert.deepEqual((await Deno.stat(finished)).mtime, before);
        },
      );

      await t.step(
        "a sweep restarted while its job runs follows that job, and keeps its grid",
        async () => {
          const out = join(root, "sweep-restart");
          const args = [
            liver,
            "--engine",
            "slurm",
            "--seeds",
            "1",
            "--set",
            "train.epochs=10",
            "--runs",
            join(root, "runs-restart"),
            "--out",
            out,
            ...common,
          ];
          const first = spawnSweepCli(args, env);
          await waitFor(
            "the job record",
            async () => (await Deno.stat(join(out, "slurm.json")).catch(() => null)) !== null,
          );
          first.kill("SIGKILL"); // the sweep dies; its job does not
          await first.output();
          const job = JSON.parse(await Deno.readTextFile(join(out, "slurm.json"))).jobId;
          const other = await sweepCli(args.map((a) => (a === "1" ? "2" : a)), env);
          assert.equal(other.code, 1);
          assert.match(
            other.stderr,
            new RegExp(`job ${job} of sweep \\S+ still runs with another grid`),
          );
          const again = await sweepCli(args, env);
          assert.equal(again.code, 0, again.stderr);
          assert.match(again.stderr, new RegExp(`following job ${job}, submitted`));
          assert.doesNotMatch(again.stderr, /submitted job array/);
          assert.match(again.stderr, /1\/1 done/);
        },
      );

      await t.step(
        "an array task that fails for good: a clear message, the other cell intact",
        async () => {
          const failRuns = join(root, "runs-fail");
          const plan = await planSweep({
            experiments: [liver],
            seeds: [1, 2],
            profile: "smoke",
            overrides: { train: { epochs: 1 }, data: { root: data } },
            runsDir: failRuns,
          });
          // Cell 1's run folder cannot be made: a file is in its place.
          await Deno.mkdir(dirname(plan.cells[1].runDir), { recursive: true });
          await Deno.writeTextFile(plan.cells[1].runDir, "in the way\n");
          const res = await sweepCli([
            liver,
            "--engine",
            "slurm",
            "--seeds",
            "2",
            "--set",
            "train.epochs=1",
            "--threshold",
            "0.05",
            "--runs",
            failRuns,
            "--out",
            join(root, "sweep-fail"),
            ...common,
          ], env);
          assert.equal(res.code, 1);
          assert.match(
            res.stderr,
            /1 of 2 cells failed for good \(the 1 finished cells are intact/,
          );
          assert.match(
            res.stderr,
            /cell 1 \(liver, seed 2\) after 2 attempts: array task \d+_1 ended FAILED \(exit 1:0\); log \S+cell-1\.out/,
          );
          assert.ok((await cellState(plan.cells[0])).finished);
          const log = await Deno.readTextFile(join(root, "sweep-fail", "logs", "cell-1.out"));
          assert.match(log, /File exists .*mkdir/);
        },
      );
    } finally {
      await sh("bash", [join(repo, ".ci", "slurm_down.sh"), cluster]).catch((e) =>
        console.error(e)
      );
      await Deno.remove(root, { recursive: true });
    }
  },
});
