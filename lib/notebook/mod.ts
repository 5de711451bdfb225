/**
 * Headless notebooks: execute `.ipynb` files against the Deno Jupyter kernel,
 * inject parameters, write executed notebooks and HTML reports.
 *
 * @example
 * ```ts
 * import { runNotebooks } from "./lib/notebook/mod.ts";
 * await runNotebooks({ names: ["01_preprocessing"] });
 * ```
 * @module
 */
export * from "./batch.ts";
export * from "./html.ts";
export * from "./kernel.ts";
export * from "./nbformat.ts";
export * from "./params.ts";
export * from "./protocol.ts";
export * from "./runner.ts";
