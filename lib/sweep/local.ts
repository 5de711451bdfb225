/**
 * The `local` engine: each cell a `deno task sweep --plan P --cell I` process
 * on this machine, at most `concurrency` at a time (side by side they get one
 * wasm thread each, as `deno task reproduce` runs its trainings), each
 * writing its output to the cell's log file.
 *
 * @example
 * ```ts
 * const outcome = await runSweep(plan, localEngine({ concurrency: 2 }));
 * ```
 * @module
 */
import { dirname } from "node:path";
import { runDenoJobs } from "../pipeline/train_jobs.ts";
import { cellLogPath, planPath, type SweepCell, type SweepPlan } from "./plan.ts";
import type { SweepEngine } from "./sweep.ts";

/** The worker entry every engine runs for one cell. */
export const SWEEP_CLI = new URL("../../cli/sweep.ts", import.meta.url).pathname;

export interface LocalEngineOptions {
  /** Cells at once (default 2). */
  concurrency?: number;
}

export function localEngine(opts: LocalEngineOptions = {}): SweepEngine {
  return {
    name: "local",
    async run(plan: SweepPlan, cells: SweepCell[], phases) {
      const concurrency = opts.concurrency ?? 2;
      const enc = new TextEncoder();
      const logs = new Map<number, Deno.FsFile>();
      for (const c of cells) {
        phases.set(c.index, "queued");
        const path = cellLogPath(plan, c.index);
        await Deno.mkdir(dirname(path), { recursive: true });
        logs.set(c.index, await Deno.open(path, { append: true, create: true }));
      }
      try {
        const failures = await runDenoJobs(
          cells.map((c) => ({ ...c, name: `cell-${c.index}` })),
          (c) => [SWEEP_CLI, "--plan", planPath(plan), "--cell", String(c.index)],
          {
            concurrency,
            // Fixed for the sweep, so a cell rerun alone computes as it did beside another.
            threads: concurrency > 1 ? 1 : undefined,
            log: () => {}, // the sweep view shows progress; the log file has every line
            onLine: (c, line) => logs.get(c.index)!.writeSync(enc.encode(line + "\n")),
            onStart: (c) => phases.set(c.index, "running"),
            onDone: (c) => Promise.resolve(void phases.set(c.index, "done")),
          },
        );
        for (const f of failures) phases.set(f.job.index, "failed");
        return new Map(failures.map((f) => [f.job.index, f.error]));
      } finally {
        for (const f of logs.values()) f.close();
      }
    },
  };
}
