/**
 * Kill safety: a small `deno task train` run is killed (SIGKILL, by `LITS_KILL_AT`) at every
 * step of a checkpoint write, and twice in a row, and resumed with `--resume`; every time the
 * final weights, Adam moments and best checkpoint are byte-identical to an uninterrupted run
 * and nothing half-written is left.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSyntheticSet } from "../data/synthetic.ts";

const repo = new URL("../../", import.meta.url).pathname;
const TRAIN = join(repo, "cli", "train.ts");

async function train(data: string, runDir: string, resume: boolean, killAt?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      TRAIN,
      join(repo, "experiments", "liver.json"),
      "--profile",
      "smoke",
      "--epochs",
      "2",
      "--backend",
      "cpu",
      "--quiet",
      "--data",
      data,
      "--run-dir",
      runDir,
      // Not the repository's results/cache.
      "--cache",
      join(runDir, "..", "cache"),
      ...(resume ? ["--resume"] : []),
    ],
    env: killAt ? { LITS_KILL_AT: killAt } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, signal: out.signal, stderr: new TextDecoder().decode(out.stderr) };
}

const FILES = ["last/weights.bin", "last/optimizer.bin", "last/state.json", "best/weights.bin"];

async function checkpointBytes(runDir: string): Promise<Uint8Array[]> {
  return await Promise.all(FILES.map((f) => Deno.readFile(join(runDir, "checkpoints", f))));
}

function leftovers(runDir: string): string[] {
  const names = [...Deno.readDirSync(join(runDir, "checkpoints"))].map((e) => e.name);
  const top = [...Deno.readDirSync(runDir)].map((e) => e.name);
  return [
    ...names.filter((n) => n !== "last" && n !== "best"),
    ...top.filter((n) => n === ".lock"),
  ];
}

/** Each scenario: the kill points of successive attempts (`NAME:N`, the N-th pass). */
const SCENARIOS: string[][] = [
  ["checkpoint last: files written:2"],
  ["checkpoint last: manifest written:2"],
  ["checkpoint last: old moved aside:1"],
  ["checkpoint last: new in place:2"],
  ["checkpoint last: old removed:2"],
  ["checkpoint best: new in place:1"],
  // Twice in a row: the resumed run is killed while replacing the checkpoint it resumed from.
  ["checkpoint last: old moved aside:1", "checkpoint last: old moved aside:1"],
  ["checkpoint last: manifest written:2", "checkpoint last: files written:1"],
];

Deno.test("a run killed at any checkpoint write step (and twice in a row) resumes to byte-identical weights", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "kill_test_" });
  try {
    const data = join(tmp, "data");
    await writeSyntheticSet({ out: data, cases: 4, size: 32, slices: 12, seed: 3 });
    const straight = join(tmp, "straight");
    const ref = await train(data, straight, false);
    assert.equal(ref.code, 0, ref.stderr);
    const expected = await checkpointBytes(straight);

    const scenario = async (kills: string[], i: number) => {
      const runDir = join(tmp, `killed ${i}`);
      for (const [k, killAt] of kills.entries()) {
        const r = await train(data, runDir, k > 0, killAt);
        assert.equal(r.signal, "SIGKILL", `${killAt}: not killed (exit ${r.code}) ${r.stderr}`);
      }
      const resumed = await train(data, runDir, true);
      assert.equal(resumed.code, 0, `${kills.join(" then ")}: ${resumed.stderr}`);
      const got = await checkpointBytes(runDir);
      for (const [j, file] of FILES.entries()) {
        assert.deepEqual(got[j], expected[j], `${kills.join(" then ")}: ${file} differs`);
      }
      assert.deepEqual(leftovers(runDir), [], kills.join(" then "));
      const lines = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n");
      assert.deepEqual(lines.map((l) => JSON.parse(l).epoch), [1, 2]);
    };
    // Two at a time (two cores).
    for (let i = 0; i < SCENARIOS.length; i += 2) {
      await Promise.all(SCENARIOS.slice(i, i + 2).map((s, k) => scenario(s, i + k)));
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
