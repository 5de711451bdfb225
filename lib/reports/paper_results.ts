/**
 * The paper's reported numbers (Kaluva et al. 2017, Tables V and VI, LiTS
 * test set of 70 volumes; method.md "The paper's results"), for the tables to
 * print beside ours.
 *
 * @example
 * ```ts
 * console.log(PAPER_TABLE_V.liver.diceGlobal); // 0.923
 * ```
 * @module
 */

/** Keys of Table V's rows, in the paper's order. */
export const TABLE_V_ROWS = [
  "voe",
  "diceGlobal",
  "dice",
  "rmsd",
  "rvd",
  "assd",
  "jaccard",
  "dicePerCase",
  "msd",
] as const;

export type TableVKey = (typeof TABLE_V_ROWS)[number];

/** Table V: segmentation metrics, liver and lesion columns. */
export const PAPER_TABLE_V: Readonly<Record<"liver" | "lesion", Record<TableVKey, number>>> = {
  liver: {
    voe: 0.150,
    diceGlobal: 0.923,
    dice: 0.912,
    rmsd: 9.682,
    rvd: -0.008,
    assd: 6.465,
    jaccard: 0.850,
    dicePerCase: 0.912,
    msd: 45.928,
  },
  lesion: {
    voe: 0.411,
    diceGlobal: 0.625,
    dice: 0.725,
    rmsd: 2.070,
    rvd: 19.705,
    assd: 1.441,
    jaccard: 0.589,
    dicePerCase: 0.492,
    msd: 7.515,
  },
};

/** Table VI: lesion detection and tumor burden. */
export const PAPER_TABLE_VI = {
  detection: {
    recall: 0.348,
    precision: 0.117,
    recallGreaterZero: 0.628,
    precisionGreaterZero: 0.211,
  },
  tumorBurden: { rmse: 0.044, max: 0.194 },
} as const;

/** The data set the paper's tables were computed on. */
export const PAPER_DATASET = "LiTS test set, 70 volumes";

/** The paper's numbers on its own 14-volume held-out split (mean Dice per case). */
export const PAPER_OWN_SPLIT = { cases: 14, liverDice: 0.93, tumorDice: 0.45 } as const;
