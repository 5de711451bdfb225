/**
 * Progress for long work: a redrawn bar on a terminal, plain lines otherwise
 * (logs, CI), so every CLI shows progress the same way.
 *
 * On a TTY the bar is redrawn at most every 100 ms; elsewhere a plain line is
 * written at most every `lineEvery` ms (default 10 s) and at the end.
 *
 * @example
 * ```ts
 * const bar = createProgress({ total: 100, label: "epoch 1" });
 * for (let i = 1; i <= 100; i++) bar.update(i, { loss: 0.31, dice: 0.8 });
 * bar.done();
 * ```
 * @module
 */

/** Values shown after the counter; numbers are printed with 4 significant digits. */
export type ProgressFields = Record<string, number | string>;

/** Where progress is written: `Deno.stderr` by default. */
export interface ProgressStream {
  writeSync(data: Uint8Array): number;
  isTerminal(): boolean;
}

export interface ProgressOptions {
  total: number;
  label: string;
  stream?: ProgressStream;
  /** Minimum milliseconds between plain lines when not a terminal. */
  lineEvery?: number;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
}

export interface Progress {
  /** `done` units of `total` are finished. */
  update(done: number, fields?: ProgressFields): void;
  /** Finish: the final state on its own line. */
  done(fields?: ProgressFields): void;
}

/** Seconds as `1h02m`, `3m07s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

function formatFields(fields: ProgressFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === "number" ? Number(v.toPrecision(4)) : v}`)
    .join("  ");
}

/** A progress reporter for `total` units of work. */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? Deno.stderr;
  const now = opts.now ?? (() => performance.now());
  const tty = stream.isTerminal();
  const lineEvery = opts.lineEvery ?? 10_000;
  const start = now();
  let lastDraw = -Infinity;
  let last = 0;
  let lastFields: ProgressFields = {};
  const enc = new TextEncoder();

  const render = (done: number, fields: ProgressFields, final: boolean): string => {
    const elapsed = (now() - start) / 1000;
    const frac = opts.total > 0 ? Math.min(1, done / opts.total) : 1;
    const eta = done > 0 ? (elapsed / done) * (opts.total - done) : NaN;
    const time = final
      ? formatDuration(elapsed)
      : `${formatDuration(elapsed)} eta ${formatDuration(eta)}`;
    const extra = formatFields(fields);
    const counter = `${done}/${opts.total}`;
    if (!tty) return `${opts.label} ${counter} ${time}${extra ? "  " + extra : ""}`;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    return `${opts.label} [${bar}] ${counter} ${time}${extra ? "  " + extra : ""}`;
  };

  const write = (text: string) => stream.writeSync(enc.encode(text));

  return {
    update(done, fields = {}) {
      last = done;
      lastFields = fields;
      const t = now();
      if (t - lastDraw < (tty ? 100 : lineEvery)) return;
      lastDraw = t;
      write(tty ? `\r\x1b[2K${render(done, fields, false)}` : `${render(done, fields, false)}\n`);
    },
    done(fields) {
      const f = fields ?? lastFields;
      write(tty ? `\r\x1b[2K${render(last, f, true)}\n` : `${render(last, f, true)}\n`);
    },
  };
}
