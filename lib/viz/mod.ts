/**
 * Plots and images for notebooks and reports: CT slices, overlays, contours,
 * heat maps, image grids (PNG), charts (SVG via Observable Plot) and tables (HTML).
 * Every figure displays inline in the Deno Jupyter kernel and has `.save(path)`.
 *
 * @example
 * ```ts
 * import { ctSlice, show, trainingCurves } from "../lib/viz/mod.ts";
 * await show(ctSlice({ volume, z: 40 }, { window: [-100, 300] })); // shown, then the cell waits for it
 * ```
 * @module
 */
export * from "./display.ts";
export * from "./png.ts";
export * from "./raster.ts";
export * from "./ct.ts";
export * from "./heatmap.ts";
export * from "./chart.ts";
export * from "./charts.ts";
export * from "./table.ts";
export * from "./show.ts";
