/**
 * Every task's entry point, run as `deno task` runs it (a subprocess) on small data at the
 * smoke profile: each must exit by itself with its status once its work is done (a process
 * kept alive by worker threads or open handles never returns to a terminal, a script or a
 * cluster job). `bench` and `sweep` are only asked for their usage: they take minutes (the
 * sweep's own tests run it).
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const repo = new URL("../", import.meta.url).pathname;
const CONFIG = join(repo, "deno.json");
/** Far above any task here; only a process that never exits reaches it. */
const HANG_GUARD_MS = 300_000;

async function task(cwd: string, script: string, ...args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, join(repo, script), ...args],
    cwd,
    env: { WASM_THREADS: "2" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, HANG_GUARD_MS);
  const out = await child.output();
  clearTimeout(guard);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(!hung, `${script} ${args.join(" ")} did not exit:\n${text}`);
  return { code: out.code, text };
}

async function ok(cwd: string, script: string, ...args: string[]): Promise<string> {
  const r = await task(cwd, script, ...args);
  assert.equal(r.code, 0, `${script} ${args.join(" ")} exited ${r.code}:\n${r.text}`);
  return r.text;
}

Deno.test("every task exits with its status when its work is done", async () => {
  const root = await Deno.makeTempDir({ prefix: "tasks test " });
  try {
    await Deno.symlink(join(repo, "experiments"), join(root, "experiments"));
    // The whole pipeline first: it trains with cli/train.ts and predicts with the wasm backend
    // on 2 threads, whose worker threads kept the process alive after its last line.
    const rep = await ok(
      root,
      "cli/reproduce.ts",
      "--profile",
      "smoke",
      "--cases",
      "4",
      "--size",
      "48",
      "--skip-ablations",
      "--skip-notebooks",
      "--backend",
      "wasm",
    );
    assert.match(rep, /reproduce \(smoke\) finished/);
    const data = join(root, "data", "synthetic-48");
    const runs = (name: string) => {
      const dir = join(root, "results", "runs", name);
      return join(dir, [...Deno.readDirSync(dir)][0].name);
    };
    const liver = runs("liver"), tumor = runs("tumor");

    await ok(
      root,
      "cli/data.ts",
      "--out",
      "small",
      "--cases",
      "2",
      "--size",
      "32",
      "--slices",
      "6",
    );
    await ok(root, "cli/inspect.ts", join(data, "volume-0.nii"));
    const trained = await ok(
      root,
      "cli/train.ts",
      "experiments/liver.json",
      "--profile",
      "smoke",
      "--data",
      data,
      "--run-dir",
      "run",
      "--quiet",
    );
    assert.match(trained, /done: run/);
    await ok(
      root,
      "cli/predict.ts",
      "--run",
      liver,
      "--run",
      tumor,
      "--data",
      data,
      "--out",
      "pred",
      "--backend",
      "wasm",
    );
    await ok(
      root,
      "cli/evaluate.ts",
      "--predictions",
      "pred",
      "--references",
      data,
      "--allow-missing",
      "--json",
      "e.json",
    );
    await ok(root, "cli/validate.ts", "--run", liver, "--backend", "wasm");
    await ok(root, "cli/tables.ts", "--evaluation", "e.json", "--out", "tables");
    await ok(root, "cli/notebooks.ts", join(repo, "notebooks", "_smoke.ipynb"), "--no-html");
    await ok(root, "cli/export.ts", "--run", liver, "--out", "exported");
    assert.match(await ok(root, "bench/run.ts", "--help"), /usage: deno task bench/);
    assert.match(await ok(root, "cli/sweep.ts", "--help"), /usage: deno task sweep/);
    // And with a failure, the failure's status.
    assert.equal(
      (await task(root, "cli/evaluate.ts", "--predictions", "none", "--references", data)).code,
      1,
    );
    assert.equal((await task(root, "bench/run.ts", "nope")).code, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
