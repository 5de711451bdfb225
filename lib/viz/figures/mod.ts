/**
 * The paper notebooks' figures and tables, one module per notebook concept:
 * pre-processing (01), a model section (02, 03), the ablation (04), the
 * cascade's results (05); and `saved` to write a figure and show it in one line.
 *
 * @example
 * ```ts
 * import { saved, weightMapsFigure } from "../lib/viz/figures/mod.ts";
 * await saved(weightMapsFigure(c, z, liverCfg, tumorCfg), `${figuresDir}/weight_maps.png`)
 * ```
 * @module
 */
export * from "./save.ts";
export * from "./preprocessing.ts";
export * from "./training.ts";
export * from "./ablation.ts";
export * from "./results.ts";
export * from "./sweep.ts";
