/**
 * Showing a notebook cell's results so that every Jupyter executor keeps them.
 *
 * The Deno kernel (2.9) sends a cell's outputs from the JavaScript thread and its
 * `idle` status from the kernel's server thread, so an output sent just before
 * the cell returns (the value of a cell's last expression above all, which is
 * sent after the code finished) can reach the client after `idle`. Stock
 * executors (nbclient, `nbconvert --execute`) stop listening to a cell at `idle`
 * and drop it. So cells end with `await show(x)`: the output goes out through
 * `Deno.jupyter.display`, then the cell waits {@link OUTPUT_SETTLE_MS} before it
 * returns. See notebooks/README.md for a reproduction.
 *
 * @example
 * ```ts
 * await show(configTable(cfg));             // a displayable
 * await show(await saved(fig, "curves.svg")); // saved, then shown
 * await show("3 runs differ only in the ablated settings"); // plain text
 * ```
 * @module
 */
import { type Displayable, JUPYTER_DISPLAY, type MimeBundle } from "./display.ts";

/**
 * How long a cell waits after its last output. 20 ms sufficed in 60 of 60 probes;
 * 100 ms leaves room for a loaded machine at 0.1 s a cell.
 */
export const OUTPUT_SETTLE_MS = 100;

/** `Deno.jupyter.display`'s shape: show `obj`, or replace the output with `display_id`. */
export type DisplayFn = (
  obj: unknown,
  options?: { display_id?: string; update?: boolean; raw?: boolean },
) => Promise<void>;

/** The kernel's display function, or undefined outside a Jupyter kernel. */
export function jupyterDisplay(): DisplayFn | undefined {
  try {
    // Reading Deno.jupyter throws outside `deno jupyter`.
    const jupyter = (Deno as unknown as { jupyter: { display: DisplayFn } }).jupyter;
    return jupyter.display.bind(jupyter);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Inside a kernel, wait until outputs sent so far have gone out; elsewhere return at once. */
export async function settleOutputs(): Promise<void> {
  if (jupyterDisplay()) await sleep(OUTPUT_SETTLE_MS);
}

/** The MIME bundle shown for a value: a displayable's own, text for anything else. */
export function bundleOf(value: unknown): MimeBundle {
  const d = value as Partial<Displayable> | null;
  if (d !== null && typeof d === "object" && typeof d[JUPYTER_DISPLAY] === "function") {
    return d[JUPYTER_DISPLAY]();
  }
  return { "text/plain": typeof value === "string" ? value : Deno.inspect(value) };
}

/**
 * Show each value (a displayable's bundle, else text), then let the outputs
 * settle; outside a kernel, print their text.
 */
export async function show(...values: unknown[]): Promise<void> {
  const display = jupyterDisplay();
  for (const value of values) {
    const bundle = bundleOf(value);
    if (display) await display(bundle, { raw: true });
    else console.log(bundle["text/plain"] ?? Object.keys(bundle).join(", "));
  }
  await settleOutputs();
}
