/**
 * The progress view of a whole sweep: one line of counts, then one row per
 * experiment and one column per seed, each cell's phase and epochs (its best
 * validation Dice once finished). On a terminal the block is redrawn in place;
 * elsewhere (logs, CI, Slurm) it is printed when something changed, at most
 * every `lineEvery` ms, and at the end.
 *
 * @example
 * ```ts
 * const view = createSweepView(plan, "local");
 * view.phases.set(0, "running");
 * await view.refresh();
 * await view.done();
 * ```
 * @module
 */
import { formatDuration, type ProgressStream } from "../util/progress.ts";
import { type CellState, cellState, type SweepPlan } from "./plan.ts";

/** Where a cell stands with its engine. */
export type CellPhase = "waiting" | "queued" | "running" | "done" | "failed";

/** What one cell shows. */
export interface CellView extends CellState {
  phase: CellPhase;
  epochs: number;
}

const WIDTH = 20;

function cellText(v: CellView): string {
  if (v.finished) return `done ${v.bestValDice.toFixed(3)}`;
  const epochs = v.epochsDone > 0 ? ` ${v.epochsDone}/${v.epochs}` : "";
  return `${v.phase}${epochs}`;
}

/** The view's lines (pure: the tests and both engines use it). */
export function renderSweep(
  plan: SweepPlan,
  engine: string,
  views: CellView[],
  elapsedSeconds: number,
): string[] {
  const count = (p: (v: CellView) => boolean) => views.filter(p).length;
  const done = count((v) => v.finished);
  const head = `sweep ${plan.name} (${engine}): ${done}/${views.length} done, ` +
    `${count((v) => !v.finished && v.phase === "running")} running, ` +
    `${count((v) => !v.finished && (v.phase === "queued" || v.phase === "waiting"))} waiting, ` +
    `${count((v) => !v.finished && v.phase === "failed")} failed  [${
      formatDuration(elapsedSeconds)
    }]`;
  const names = [...new Set(plan.cells.map((c) => c.name))];
  const nameWidth = Math.max(10, ...names.map((n) => n.length)) + 2;
  const rows = names.map((name) => {
    const cells = plan.seeds.map((seed) => {
      const i = plan.cells.findIndex((c) => c.name === name && c.seed === seed);
      return (i < 0 ? "-" : cellText(views[i])).padEnd(WIDTH);
    });
    return `  ${name.padEnd(nameWidth)}${cells.join("").trimEnd()}`;
  });
  const seeds = plan.seeds.map((s) => `seed ${s}`.padEnd(WIDTH)).join("").trimEnd();
  return [head, `  ${"".padEnd(nameWidth)}${seeds}`, ...rows];
}

/** A live view over a plan; engines set `phases`, the sweep calls `refresh`. */
export interface SweepView {
  phases: Map<number, CellPhase>;
  /** Re-read the cells' run folders and draw (or print, when due). */
  refresh(): Promise<void>;
  /** Draw the final state. */
  done(): Promise<void>;
  /** Print a line above the view (a redrawn block would otherwise overwrite it). */
  log(line: string): void;
}

export interface SweepViewOptions {
  stream?: ProgressStream;
  /** Minimum ms between printed blocks when not a terminal (default 10 s). */
  lineEvery?: number;
}

export function createSweepView(
  plan: SweepPlan,
  engine: string,
  opts: SweepViewOptions = {},
): SweepView {
  const stream = opts.stream ?? Deno.stderr;
  const tty = stream.isTerminal();
  const lineEvery = opts.lineEvery ?? 10_000;
  const start = performance.now();
  const phases = new Map<number, CellPhase>();
  const enc = new TextEncoder();
  let drawn = 0;
  let lastText = "";
  let lastPrint = -Infinity;

  const lines = async () => {
    const views = await Promise.all(plan.cells.map(async (c) => ({
      ...(await cellState(c)),
      phase: phases.get(c.index) ?? "waiting",
      epochs: c.epochs,
    })));
    return renderSweep(plan, engine, views, (performance.now() - start) / 1000);
  };
  const draw = (block: string[], final: boolean) => {
    // Compare without the clock: a changed cell is news, a ticking timer is not.
    const text = block.slice(1).join("\n") + block[0].replace(/\s*\[.*\]$/, "");
    const now = performance.now();
    if (tty) {
      const up = drawn ? `\x1b[${drawn}F` : "";
      stream.writeSync(enc.encode(`${up}${block.map((l) => `\x1b[2K${l}\n`).join("")}`));
      drawn = block.length;
    } else if (final || (text !== lastText && now - lastPrint >= lineEvery)) {
      stream.writeSync(enc.encode(block.join("\n") + "\n"));
      lastPrint = now;
      lastText = text;
    }
  };
  return {
    phases,
    async refresh() {
      draw(await lines(), false);
    },
    async done() {
      draw(await lines(), true);
    },
    log(line) {
      const clear = tty && drawn ? `\x1b[${drawn}F\x1b[0J` : "";
      stream.writeSync(enc.encode(`${clear}${line}\n`));
      drawn = 0;
    },
  };
}
