/**
 * One cell of a sweep, as a worker runs it (a local process or a Slurm array
 * task): a finished run is left alone, a run with a checkpoint resumes from it
 * (a killed or failed task picks up where it stopped), otherwise it trains from
 * the start, through the same `trainExperiment` as `deno task train`.
 *
 * @example
 * ```ts
 * const plan = await readPlan("results/sweeps/ablation-cpu/plan.json");
 * await runCell(plan, Number(Deno.env.get("SLURM_ARRAY_TASK_ID")));
 * ```
 * @module
 */
import { join } from "node:path";
import { trainExperiment } from "../train/loop.ts";
import { cellConfig, cellState, type SweepPlan } from "./plan.ts";

export interface RunCellOptions {
  log?: (line: string) => void;
}

/** Train (or resume, or skip) cell `index` of `plan`; resolves with what it did. */
export async function runCell(
  plan: SweepPlan,
  index: number,
  opts: RunCellOptions = {},
): Promise<"skipped" | "resumed" | "trained"> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const cell = plan.cells[index];
  if (!Number.isInteger(index) || !cell) {
    throw new Error(
      `${plan.dir}/plan.json: no cell ${index} (the sweep has cells 0..${plan.cells.length - 1})`,
    );
  }
  const label = `cell ${index} (${cell.name}, seed ${cell.seed})`;
  const state = await cellState(cell);
  if (state.finished) {
    log(`${label}: already finished in ${cell.runDir}`);
    return "skipped";
  }
  const cfg = await cellConfig(plan, cell);
  const resume = state.checkpointEpoch > 0;
  log(`${label}: ${resume ? `resuming after epoch ${state.checkpointEpoch}` : "training"}`);
  // The cells of a sweep share their cases' preprocessing (on Slurm, through the plan's folder).
  const result = await trainExperiment(cfg, {
    runDir: cell.runDir,
    resume,
    backend: plan.backend,
    cacheDir: join(plan.dir, "cache"),
  });
  log(
    `${label}: done, best validation Dice ${
      result.bestValDice.toFixed(4)
    } at epoch ${result.bestEpoch}`,
  );
  return resume ? "resumed" : "trained";
}
