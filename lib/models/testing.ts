/**
 * Model configs for tests and benchmarks: the paper's liver network
 * (`experiments/liver.json`, paper profile) written out, to shrink with overrides.
 *
 * @example
 * ```ts
 * const tiny = { ...PAPER_LIVER_MODEL, firstFilters: 4, growthRate: 2, layersPerBlock: 1 };
 * ```
 * @module
 */
import type { ModelConfig } from "../config/experiment.ts";

/** The paper's liver FC-DenseNet (method.md "Networks"). */
export const PAPER_LIVER_MODEL: ModelConfig = {
  inputChannels: 1,
  classes: 2,
  firstFilters: 48,
  growthRate: 16,
  layersPerBlock: 4,
  poolingLevels: 3,
  dropout: 0.2,
  activation: "elu",
  upsampling: "bilinear",
  sbu: true,
  bnMomentum: 0.9,
  bnEpsilon: 1e-3,
};
