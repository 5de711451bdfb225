/**
 * A training run's folder, claimed by one process at a time: created (a new numbered one
 * when the default time-based id is taken, so two runs started in the same second never
 * share a folder) and locked by `.lock` (the owner's process id) until the run ends. A lock
 * whose process is gone (killed) is taken over. A run that fails before its first
 * checkpoint leaves nothing behind.
 *
 * @example
 * ```ts
 * const claim = await claimRunDir("results/runs/liver/20261126-203000", { resume: false, numbered: true });
 * try {
 *   // ... train into claim.runDir ...
 * } catch (err) {
 *   await claim.failed();
 *   throw err;
 * } finally {
 *   await claim.release();
 * }
 * ```
 * @module
 */
import { join } from "node:path";
import { exists } from "../util/fs.ts";
import { checkpointDir } from "./checkpoint.ts";
import { runPaths } from "./folder.ts";

/** A claimed run folder. */
export interface RunClaim {
  /** The folder (for `numbered`, possibly `<requested>-N`). */
  runDir: string;
  /** Remove the lock. */
  release(): Promise<void>;
  /** A fresh run failed: remove what it wrote unless it reached a checkpoint. */
  failed(): Promise<void>;
}

export interface ClaimOptions {
  /** Continue the run in the folder (which must exist). */
  resume: boolean;
  /** The folder name is a default id: take `<id>-2`, `<id>-3`, ... when it exists. */
  numbered: boolean;
}

/** Whether process `pid` is alive (Linux /proc; elsewhere assumed alive, the safe side). */
async function alive(pid: number): Promise<boolean> {
  if (!(await exists("/proc/self"))) return true;
  return await exists(`/proc/${pid}`);
}

async function readPid(path: string): Promise<number | null> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Take `lock` (created exclusively), taking over a lock whose process is gone. */
async function takeLock(lock: string, runDir: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await Deno.open(lock, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
      } finally {
        file.close();
      }
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const pid = await readPid(lock);
    if (pid !== null && await alive(pid)) {
      throw new Error(
        `${runDir}: another run (process ${pid}) is using this folder; ` +
          `if none is, remove ${lock}`,
      );
    }
    // Stale: move it aside under a name of our own, so two processes cannot both take it.
    const aside = `${lock}.${Deno.pid}.stale`;
    try {
      await Deno.rename(lock, aside);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    if ((await readPid(aside)) !== pid) {
      // Another process took the stale lock and wrote its own in between: give it back.
      await Deno.rename(aside, lock).catch(() => {});
      continue;
    }
    await Deno.remove(aside);
  }
  throw new Error(`${runDir}: cannot take the run lock ${lock} (contended)`);
}

/** Create or open `requested` for a run and lock it; see the module doc. */
export async function claimRunDir(requested: string, opts: ClaimOptions): Promise<RunClaim> {
  let runDir = requested;
  let created = false;
  if (opts.resume) {
    if (!(await exists(runPaths(requested).config))) {
      throw new Error(`${requested}: no run to resume here (config.json missing)`);
    }
  } else if (opts.numbered) {
    await Deno.mkdir(join(requested, ".."), { recursive: true });
    for (let n = 1;; n++) {
      runDir = n === 1 ? requested : `${requested}-${n}`;
      try {
        await Deno.mkdir(runDir);
        created = true;
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
    }
  } else {
    created = !(await exists(runDir));
    await Deno.mkdir(runDir, { recursive: true });
  }
  const lock = join(runDir, ".lock");
  try {
    await takeLock(lock, runDir);
  } catch (err) {
    if (created) await Deno.remove(runDir, { recursive: true }).catch(() => {});
    throw err;
  }
  return {
    runDir,
    release: () => Deno.remove(lock).catch(() => {}),
    failed: async () => {
      const paths = runPaths(runDir);
      if (opts.resume || await checkpointDir(paths.checkpoints.last)) return;
      if (created) {
        await Deno.remove(runDir, { recursive: true });
        return;
      }
      for (const path of [paths.config, paths.metrics]) {
        await Deno.remove(path).catch(() => {});
      }
    },
  };
}
