/**
 * The typed experiment config: one JSON file in `experiments/` resolves to an
 * {@link ExperimentConfig}. Every number of `../shared/docs/method.md` is a
 * value here, never a constant buried in code.
 * @module
 */

/** A Hounsfield window [low, high]. */
export type HUWindow = [number, number];

/** Which model of the cascade an experiment trains (and which label selects its slices). */
export const TASKS = ["liver", "tumor"] as const;
export type Task = typeof TASKS[number];

/** Named scale of an experiment: tests, this CPU, or the paper's exact settings. */
export const PROFILES = ["smoke", "cpu", "paper"] as const;
export type ProfileName = typeof PROFILES[number];

/** Compute backends; `auto` picks the fastest that loads. */
export const BACKENDS = ["auto", "tensorflow", "webgpu", "onednn", "wasm", "cpu"] as const;
export type BackendName = typeof BACKENDS[number];

/** The network's activation (the ablation's first factor). */
export const ACTIVATIONS = ["elu", "relu"] as const;
/** The transition up (the ablation's second factor). */
export const UPSAMPLINGS = ["bilinear", "transposed"] as const;
/** Learning-rate schedules (`TrainConfig.learningRateSchedule`). */
export const LR_SCHEDULES = ["constant", "cosine"] as const;

/** Train/validation/test split: by seeded counts, or explicit case ids. */
export type SplitConfig =
  | { seed: number; train: number; validation: number; test: number }
  | { train: number[]; validation: number[]; test: number[] };

/** Per-pixel weights of the spatially weighted cross-entropy [A]. */
export interface WeightMapConfig {
  background: number; // 1
  liver: number; // 5
  tumor: number; // 15
  contour: number; // 25
  /** Radius in pixels of the disk that dilates the label contour into a band. */
  contourRadius: number; // 4
}

/** From a LiTS-layout folder to model inputs. */
export interface DataConfig {
  /** LiTS-layout folder (`volume-N.nii[.gz]`, `segmentation-N.nii[.gz]`). */
  root: string;
  split: SplitConfig;
  /** Side in pixels that slices and labels are resampled to (512 = LiTS native). */
  sliceSize: number;
  /** Side in pixels of the model input (256 for the liver model, 512 for the tumor model). */
  inputSize: number;
  /**
   * Train on random square crops of this side (input pixels) instead of whole slices;
   * validation and inference still see whole slices. Absent in the paper's settings.
   */
  patchSize?: number;
  /**
   * Shift each training sample's intensities by a random offset in +-this many HU
   * (augmentation, not the paper's; validation and inference are not shifted).
   */
  intensityShift?: number;
  /** Share of training patches centred on the liver (`SamplerOptions.liverPatches`). */
  liverPatches?: number;
  /**
   * Move each volume's HU so that the median over its liver is this value before windowing
   * (`lib/data/liver_reference.ts`; not the paper's). Training uses the reference liver
   * (labels >= 1), the cascade the liver it predicted. Absent: absolute HU, as the paper.
   */
  liverMedianHU?: number;
  /** One HU window per input channel; each is min-max normalised over the volume. */
  windows: HUWindow[];
  /** Histogram-equalise each window (256 bins) as the prototype did; off by default. */
  histogramEqualize: boolean;
  /** Which label selects training slices, and how many slices above and below to add. */
  selectBy: Task;
  sliceMargin: number;
  weights: WeightMapConfig;
}

/** An FC-DenseNet, the paper's liver and tumor models being two configs of it. */
export interface ModelConfig {
  inputChannels: number;
  classes: number;
  firstFilters: number; // 48
  growthRate: number; // 16
  layersPerBlock: number; // 4
  poolingLevels: number; // 3
  dropout: number; // 0.2
  activation: typeof ACTIVATIONS[number];
  upsampling: typeof UPSAMPLINGS[number];
  /** Spatial bilinear up-sampler: doubles the output side (liver model). */
  sbu: boolean;
  bnMomentum: number; // 0.9
  bnEpsilon: number; // 1e-3
}

/** Loss weights: lambda1 * weighted CE + lambda2 * soft Dice (of the target class). */
export interface LossConfig {
  crossEntropy: number;
  dice: number;
  /** Smoothing epsilon of the soft Dice denominator. */
  diceEpsilon: number;
}

export interface TrainConfig {
  loss: LossConfig;
  learningRate: number; // 1e-4
  /**
   * `constant` (the paper; the default when absent) or `cosine`: decay from
   * `learningRate` to 0 over all training iterations (for few-minute runs).
   */
  learningRateSchedule?: typeof LR_SCHEDULES[number];
  weightDecay: number; // 5e-6
  batchSize: number; // 3
  /** Slices per forward/backward pass; gradients accumulate up to batchSize. */
  microBatch: number;
  epochs: number; // 200
  trainIterations: number; // 1000
  validationIterations: number; // 250
  seed: number;
  backend: BackendName;
}

/** Liver post-processing [P]: erosion -> largest 3D component -> dilation. */
export interface PostprocessConfig {
  erosionRadius: number;
  dilationRadius: number; // 5 [A]
  /** Radii in mm with the volume's spacing instead of voxels. */
  anisotropic: boolean;
}

/** A resolved experiment: what `experiments/*.json` plus a profile becomes. */
export interface ExperimentConfig {
  name: string;
  /** What the experiment is, and for an ablation what it changes. */
  description: string;
  task: Task;
  profile: ProfileName;
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  /** The liver experiment's only: the cascade post-processes the liver mask, not the tumor's. */
  postprocess?: PostprocessConfig;
}

/**
 * Side of the training input: the patch when training on crops, else the whole input.
 * The model is built (and summarised) at this size; being fully convolutional, it then
 * predicts whole slices of `inputSize` with the same weights.
 * @example
 * trainingInputSize({ inputSize: 256, patchSize: 128 } as DataConfig); // 128
 */
export function trainingInputSize(data: DataConfig): number {
  return data.patchSize ?? data.inputSize;
}
