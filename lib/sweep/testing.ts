/**
 * Test helpers for sweeps: a small synthetic data set, running `deno task
 * sweep` as a process, and waiting for a condition (a run's first checkpoint,
 * to kill it mid-run).
 * @module
 */
import { join } from "node:path";
import { writeSyntheticSet } from "../data/synthetic.ts";
import { SWEEP_CLI } from "./local.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** A temp folder with a 4-case, 48 px synthetic set in `data/`. */
export async function smokeFixture(): Promise<{ root: string; data: string }> {
  const root = await Deno.makeTempDir({ prefix: "sweep-test-" });
  const data = join(root, "data");
  await writeSyntheticSet({ out: data, cases: 4, size: 48, seed: 1 });
  return { root, data };
}

/** `deno task sweep ...args` started, its output piped. */
export function spawnSweepCli(args: string[], env?: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, SWEEP_CLI, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** `deno task sweep ...args` to completion: its exit code and output. */
export async function sweepCli(
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await spawnSweepCli(args, env).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Poll `ready` every 100 ms until it holds; throws naming `what` after `limitMs`
 * (a safety net against a hang, not a timing assertion).
 */
export async function waitFor(
  what: string,
  ready: () => Promise<boolean>,
  limitMs = 180_000,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
