/**
 * Running a sweep: write the plan, hand the unfinished cells to an engine
 * (`local` processes or a Slurm job array), and hand the cells that stopped
 * unfinished to it again, up to `retries` times; each rerun resumes from the
 * cell's last checkpoint. Finished cells are never touched again. A cell that
 * still fails after its retries is reported with why and where its log is.
 *
 * @example
 * ```ts
 * const plan = await planSweep({ experiments: ABLATION_GRID, seeds: [1, 2, 3], profile: "cpu" });
 * const outcome = await runSweep(plan, localEngine({ concurrency: 2 }), { retries: 1 });
 * if (outcome.failed.length) console.error(failureMessage(outcome));
 * ```
 * @module
 */
import { cellLogPath, cellState, type SweepCell, type SweepPlan, writePlan } from "./plan.ts";
import { type CellPhase, createSweepView, type SweepView } from "./view.ts";

/** Where cells run. */
export interface SweepEngine {
  readonly name: string;
  /** Fail early, before the plan is written, when the engine cannot run it here. */
  check?(plan: SweepPlan): Promise<void>;
  /**
   * Run `cells` once; resolves when none is queued or running, with why each cell
   * that stopped did so (cells that finished need no entry). Sets `phases` as cells move.
   */
  run(
    plan: SweepPlan,
    cells: SweepCell[],
    phases: Map<number, CellPhase>,
    log: (line: string) => void,
  ): Promise<Map<number, string>>;
}

export interface SweepOptions {
  /** Reruns of a cell that stopped unfinished (default 1). */
  retries?: number;
  /** Default: lines printed above the view. */
  log?: (line: string) => void;
  /** Default: a view on stderr. */
  view?: SweepView;
  /** Milliseconds between view refreshes (default 2000). */
  refreshEvery?: number;
}

/** A cell that did not finish, why, and its log. */
export interface CellFailure {
  cell: SweepCell;
  reason: string;
  attempts: number;
  log: string;
}

export interface SweepOutcome {
  plan: SweepPlan;
  /** Cells already finished before this sweep started (skipped). */
  skipped: number;
  failed: CellFailure[];
}

/** Run `plan` on `engine`; see the module doc. */
export async function runSweep(
  plan: SweepPlan,
  engine: SweepEngine,
  opts: SweepOptions = {},
): Promise<SweepOutcome> {
  const retries = opts.retries ?? 1;
  await engine.check?.(plan);
  await writePlan(plan);
  const view = opts.view ?? createSweepView(plan, engine.name);
  const log = opts.log ?? view.log;
  const unfinished = async (cells: SweepCell[]) => {
    const states = await Promise.all(cells.map((c) => cellState(c)));
    return cells.filter((_, i) => !states[i].finished);
  };
  let todo = await unfinished(plan.cells);
  const skipped = plan.cells.length - todo.length;
  for (const c of plan.cells) if (!todo.includes(c)) view.phases.set(c.index, "done");
  log(
    `sweep ${plan.name}: ${plan.cells.length} cells, ${skipped} already finished, ` +
      `${todo.length} to run on ${engine.name} (plan ${plan.dir}/plan.json)`,
  );
  const reasons = new Map<number, string>();
  const attempts = new Map<number, number>();
  const timer = setInterval(() => void view.refresh(), opts.refreshEvery ?? 2000);
  try {
    for (let attempt = 0; attempt <= retries && todo.length; attempt++) {
      if (attempt > 0) {
        log(
          `rerunning ${todo.length} cell${todo.length === 1 ? "" : "s"} from ${
            todo.length === 1 ? "its" : "their"
          } last checkpoint (retry ${attempt} of ${retries}): ${
            todo.map((c) => c.index).join(", ")
          }`,
        );
      }
      for (const c of todo) attempts.set(c.index, attempt + 1);
      const stopped = await engine.run(plan, todo, view.phases, log);
      todo = await unfinished(todo);
      for (const c of todo) {
        const why = stopped.get(c.index) ?? "stopped before its run finished";
        reasons.set(c.index, why);
        view.phases.set(c.index, "failed");
        log(`cell ${c.index} (${c.name}, seed ${c.seed}) stopped unfinished: ${why}`);
      }
    }
  } finally {
    clearInterval(timer);
  }
  await view.done();
  return {
    plan,
    skipped,
    failed: todo.map((cell) => ({
      cell,
      reason: reasons.get(cell.index) ?? "unknown",
      attempts: attempts.get(cell.index) ?? 0,
      log: cellLogPath(plan, cell.index),
    })),
  };
}

/** Plain words on the cells that failed for good, for the terminal. */
export function failureMessage(outcome: SweepOutcome): string {
  const { failed, plan } = outcome;
  return [
    `${failed.length} of ${plan.cells.length} cells failed for good ` +
    `(the ${plan.cells.length - failed.length} finished cells are intact; ` +
    `rerun the same command to retry from the last checkpoints):`,
    ...failed.map((f) =>
      `  cell ${f.cell.index} (${f.cell.name}, seed ${f.cell.seed}) after ${f.attempts} ` +
      `attempt${f.attempts === 1 ? "" : "s"}: ${f.reason}; log ${f.log}`
    ),
  ].join("\n");
}
