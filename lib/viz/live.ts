import type { EpochMetrics } from "../runs/folder.ts";
/**
 * Live figures in a notebook: one output that is replaced in place as work goes
 * on (Jupyter `display_id` + `update_display_data`), and a training monitor
 * built on it that redraws the loss/Dice curves after every epoch and a status
 * line during the epoch. Outside a Jupyter kernel (CLI, tests without a fake
 * display) the monitor prints plain lines instead.
 *
 * @example
 * ```ts
 * const monitor = trainingMonitor({ title: "liver", epochs: cfg.train.epochs,
 *   iterations: cfg.train.trainIterations });
 * await trainExperiment(cfg, { onEpoch: monitor.onEpoch, onStep: monitor.onStep, quiet: true });
 * await monitor.done();
 * ```
 * @module
 */
import type { ExperimentConfig } from "../config/experiment.ts";
import { type EnsureDataOptions, ensureDataRoot } from "../data/default_data.ts";
import { type ObtainedRun, obtainRun, type ObtainRunOptions } from "../pipeline/obtain_run.ts";
import type { StepInfo } from "../train/loop.ts";
import { createProgress } from "../util/progress.ts";
import type { ChartFigure } from "./chart.ts";
import { trainingCurves } from "./charts.ts";
import { type Displayable, escapeHtml, JUPYTER_DISPLAY } from "./display.ts";
import { type DisplayFn, jupyterDisplay, settleOutputs } from "./show.ts";

export { type DisplayFn, jupyterDisplay } from "./show.ts";

let nextId = 0;

/** One output updated in place. */
export interface LiveDisplay {
  readonly id: string;
  /** Show `fig` (first call) or replace what was shown (later calls). */
  show(fig: unknown): Promise<void>;
}

/** A live output with a fresh display id. */
export function liveDisplay(
  display: DisplayFn,
  id = `live-${Date.now()}-${nextId++}`,
): LiveDisplay {
  let shown = false;
  return {
    id,
    async show(fig: unknown) {
      const update = shown;
      shown = true;
      await display(fig, update ? { display_id: id, update: true } : { display_id: id });
    },
  };
}

/** A line of HTML (and plain text) as a displayable. */
export function statusLine(text: string): Displayable {
  return {
    [JUPYTER_DISPLAY]: () => ({
      "text/html": `<pre style="margin:0">${escapeHtml(text)}</pre>`,
      "text/plain": text,
    }),
  };
}

/** Long-format records of epoch metrics: one per epoch and split (train, validation). */
export function curveRecords(metrics: EpochMetrics[]): Record<string, number | string>[] {
  return metrics.flatMap((m) => [
    { epoch: m.epoch, split: "train", loss: m.trainLoss, dice: m.trainDice },
    { epoch: m.epoch, split: "validation", loss: m.valLoss, dice: m.valDice },
  ]);
}

/** Loss and Dice (target class) per epoch, training and validation. */
export function runCurves(metrics: EpochMetrics[], title?: string): ChartFigure {
  return trainingCurves(curveRecords(metrics), { y: ["loss", "dice"], series: "split", title });
}

/** Options of {@link trainingMonitor}. */
export interface TrainingMonitorOptions {
  title: string;
  epochs: number;
  /** Training iterations per epoch (for the status line). */
  iterations: number;
  /** Default: the Jupyter kernel's display; without one, plain lines on stdout. */
  display?: DisplayFn;
  /** Least milliseconds between status updates during an epoch (default 2000). */
  stepEveryMs?: number;
  /** Epochs already done (a resumed run), drawn from the start. */
  metrics?: EpochMetrics[];
}

/** Callbacks for `trainExperiment` that keep a chart and a status line up to date. */
export interface TrainingMonitor {
  onEpoch(m: EpochMetrics): void;
  onStep(s: StepInfo): void;
  /** Wait until every update was sent. */
  done(): Promise<void>;
  readonly metrics: EpochMetrics[];
}

const fixed = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** Status line text of a training step. */
export function stepText(s: StepInfo, epochs: number, iterations: number): string {
  return `epoch ${s.epoch}/${epochs} · iteration ${s.iteration}/${iterations} · loss ${
    fixed(s.loss)
  } · dice ${fixed(s.dice)} · ${s.slicesPerSecond.toFixed(2)} slices/s`;
}

/** Status line text after an epoch. */
export function epochText(m: EpochMetrics, epochs: number): string {
  return `epoch ${m.epoch}/${epochs} done · train loss ${fixed(m.trainLoss)} dice ${
    fixed(m.trainDice)
  } · validation loss ${fixed(m.valLoss)} dice ${fixed(m.valDice)}${m.isBest ? " (best)" : ""}`;
}

/**
 * Callbacks that redraw the training curves after every epoch and a status line
 * at most every `stepEveryMs` during one; updates are sent in order.
 */
export function trainingMonitor(opts: TrainingMonitorOptions): TrainingMonitor {
  const display = opts.display ?? jupyterDisplay();
  const metrics = [...(opts.metrics ?? [])];
  const every = opts.stepEveryMs ?? 2000;
  const status = display ? liveDisplay(display) : undefined;
  const chart = display ? liveDisplay(display) : undefined;
  let queue: Promise<void> = Promise.resolve();
  let lastStep = -Infinity;
  const send = (target: LiveDisplay | undefined, make: () => unknown, text: string) => {
    queue = queue.then(() => target ? target.show(make()) : void console.log(text));
  };
  if (metrics.length) send(chart, () => runCurves(metrics, opts.title), "");
  return {
    metrics,
    onStep(s) {
      const now = Date.now();
      if (now - lastStep < every && s.iteration < opts.iterations) return;
      lastStep = now;
      const text = `${opts.title}: ${stepText(s, opts.epochs, opts.iterations)}`;
      send(status, () => statusLine(text), text);
    },
    onEpoch(m) {
      metrics.push(m);
      const text = `${opts.title}: ${epochText(m, opts.epochs)}`;
      send(status, () => statusLine(text), text);
      if (chart) send(chart, () => runCurves(metrics, opts.title), text);
    },
    done: () => queue,
  };
}

/** Options of {@link obtainRunLive}: {@link obtainRun}'s, the monitor's display and a log. */
export interface ObtainRunLiveOptions extends Omit<ObtainRunOptions, "onEpoch" | "onStep"> {
  /** Where the monitor shows the status and curves (default the Jupyter kernel's). */
  display?: DisplayFn;
  /** Where the run's note goes (default console.log). */
  log?: (line: string) => void;
}

/**
 * {@link obtainRun} with a {@link trainingMonitor} attached: when the run is
 * trained, its status line and curves update live; the note (loaded or why it
 * trained) is logged.
 *
 * @example
 * ```ts
 * const run = await obtainRunLive(cfg, { runsDir: "../results/runs", runId: liverRun, train });
 * ```
 */
export async function obtainRunLive(
  cfg: ExperimentConfig,
  opts: ObtainRunLiveOptions,
): Promise<ObtainedRun> {
  const { display, log = console.log, ...rest } = opts;
  const monitor = trainingMonitor({
    title: `${cfg.name} (${cfg.profile})`,
    epochs: cfg.train.epochs,
    iterations: cfg.train.trainIterations,
    display,
  });
  const run = await obtainRun(cfg, { ...rest, onEpoch: monitor.onEpoch, onStep: monitor.onStep });
  await monitor.done();
  log(run.note);
  await settleOutputs(); // often the cell's last output (see show.ts)
  return run;
}

/**
 * {@link ensureDataRoot} for a notebook: the default data folder is generated on
 * first use with its progress as a live status line (plain lines outside a kernel);
 * any other folder must hold cases.
 *
 * @example
 * ```ts
 * await prepareData(dataRoot); // "../data/synthetic": generated once, about 2 minutes
 * ```
 */
export async function prepareData(
  dataRoot: string,
  opts: Omit<EnsureDataOptions, "progress"> & { display?: DisplayFn } = {},
): Promise<void> {
  // Returns nothing: a cell's last expression value would be shown (and can come after idle).
  const { display = jupyterDisplay(), ...ensure } = opts;
  if (!display) return void await ensureDataRoot(dataRoot, ensure);
  const status = liveDisplay(display);
  const dec = new TextDecoder();
  let queue: Promise<void> = Promise.resolve();
  const stream = {
    isTerminal: () => false,
    writeSync(bytes: Uint8Array) {
      const text = dec.decode(bytes).trim();
      queue = queue.then(() => status.show(statusLine(text)));
      return bytes.length;
    },
  };
  await ensureDataRoot(dataRoot, {
    ...ensure,
    progress: (total, label) => createProgress({ total, label, stream, lineEvery: 1000 }),
  });
  await queue;
  await settleOutputs();
}
