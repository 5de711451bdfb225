/**
 * The paper's two ablation claims tested over seeds. Claim 1 (section II-B1):
 * ELU converges faster than ReLU; claim 2: bilinear up-sampling + convolution
 * does better than transposed convolution. Runs are paired by seed (the same
 * `train.seed`: the same training batches); for each seed the difference is
 * averaged over the other factor's levels, so each seed gives one difference
 * and the Student t interval has seeds - 1 degrees of freedom.
 *
 * Measures: the best validation Dice of the liver, and (claim 1) the epochs a
 * run takes to first reach a validation Dice threshold; a run that never
 * reaches it counts as its epochs + 1, a lower bound that can only understate
 * the slower side's lag.
 *
 * @example
 * ```ts
 * const runs = await readSweepRuns(plan);
 * const claims = ablationClaims(runs, { threshold: 0.85 });
 * console.log(claims.map((c) => `${c.claim}: ${c.verdict}`).join("\n"));
 * ```
 * @module
 */
import { readAblationRun } from "../reports/ablation.ts";
import type { AblationRun, Table } from "../reports/tables.ts";
import { meanInterval, type PairedDifference, summarize } from "./stats.ts";
import { cellState, type SweepPlan } from "./plan.ts";

/** A finished cell's run: its variant, seed and validation curve. */
export interface SweepRun extends AblationRun {
  experiment: string;
  seed: number;
  validationDice: number[];
}

/** The finished runs of a sweep's cells (unfinished cells are left out). */
export async function readSweepRuns(plan: SweepPlan): Promise<SweepRun[]> {
  const runs: SweepRun[] = [];
  for (const cell of plan.cells) {
    if (!(await cellState(cell)).finished) continue;
    const run = await readAblationRun(cell.runDir);
    runs.push({
      ...run,
      validationDice: run.validationDice ?? [],
      experiment: cell.name,
      seed: cell.seed,
    });
  }
  return runs;
}

/** First epoch (1-based) whose validation Dice reaches `threshold`; epochs + 1 when none does. */
export function epochsToDice(run: SweepRun, threshold: number): number {
  const i = run.validationDice.findIndex((d) => d >= threshold);
  return i < 0 ? run.validationDice.length + 1 : i + 1;
}

/** One variant of the grid over its seeds. */
export interface VariantSummary {
  experiment: string;
  activation: SweepRun["activation"];
  upsampling: SweepRun["upsampling"];
  seeds: number[];
  /** Best validation Dice over seeds. */
  dice: ReturnType<typeof summarize>;
  /** Epochs to the threshold over seeds. */
  epochs: ReturnType<typeof summarize>;
  /** Runs that reached the threshold. */
  reached: number;
}

export function summarizeVariants(runs: SweepRun[], threshold: number): VariantSummary[] {
  const names = [...new Set(runs.map((r) => r.experiment))];
  return names.map((experiment) => {
    const rs = runs.filter((r) => r.experiment === experiment);
    return {
      experiment,
      activation: rs[0].activation,
      upsampling: rs[0].upsampling,
      seeds: rs.map((r) => r.seed),
      dice: summarize(rs.map((r) => r.bestValidationDice)),
      epochs: summarize(rs.map((r) => epochsToDice(r, threshold))),
      reached: rs.filter((r) => r.validationDice.some((d) => d >= threshold)).length,
    };
  });
}

/** A claim, the paired comparison that tests it, and the verdict in plain words. */
export interface ClaimTest {
  claim: string;
  /** What is differenced, e.g. "best validation Dice, ELU - ReLU". */
  measure: string;
  difference: PairedDifference;
  /** Seeds that entered the comparison. */
  seeds: number[];
  verdict: string;
}

type Factor = "activation" | "upsampling";

/**
 * Per seed, `value(a) - value(b)` averaged over the other factor's levels where both
 * runs of a pair exist (seeds without a complete pair are left out).
 */
function pairedBySeed(
  runs: SweepRun[],
  factor: Factor,
  a: string,
  b: string,
  value: (r: SweepRun) => number,
): { seeds: number[]; diffs: number[] } {
  const other: Factor = factor === "activation" ? "upsampling" : "activation";
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((x, y) => x - y);
  const out = { seeds: [] as number[], diffs: [] as number[] };
  for (const seed of seeds) {
    const levels = [...new Set(runs.map((r) => r[other]))];
    const ds: number[] = [];
    for (const level of levels) {
      const find = (v: string) =>
        runs.find((r) => r.seed === seed && r[other] === level && r[factor] === v);
      const ra = find(a), rb = find(b);
      if (ra && rb) ds.push(value(ra) - value(rb));
    }
    if (ds.length) {
      out.seeds.push(seed);
      out.diffs.push(ds.reduce((s, d) => s + d, 0) / ds.length);
    }
  }
  return out;
}

const signed = (v: number, digits: number) => `${v >= 0 ? "+" : ""}${v.toFixed(digits)}`;

/**
 * Plain words on a paired difference where a positive value favours the claim:
 * supported when the whole 95% interval is above 0, contradicted when below, else not shown.
 */
export function verdict(d: PairedDifference, favoured: string, unit: string, digits = 3): string {
  if (d.n < 2) {
    return `cannot say: a confidence interval needs at least 2 seeds with both runs (have ${d.n})`;
  }
  const ci = `${Math.round(d.level * 100)}% CI ${signed(d.ci[0], digits)} to ${
    signed(d.ci[1], digits)
  }`;
  const what = `${signed(d.mean, digits)} ${unit} (${ci}, ${d.n} seeds)`;
  if (d.ci[0] > 0) return `supported: ${favoured} by ${what}`;
  if (d.ci[1] < 0) return `contradicted: the opposite of ${favoured}, ${what}`;
  return `not shown: ${what}; the interval includes 0, so the difference is within seed-to-seed noise`;
}

export interface ClaimOptions {
  /** Validation Dice that counts as converged (claim 1). */
  threshold: number;
}

/** The three comparisons: ELU vs ReLU (epochs to the threshold, best Dice), bilinear vs transposed. */
export function ablationClaims(runs: SweepRun[], opts: ClaimOptions): ClaimTest[] {
  const t = opts.threshold;
  const test = (
    claim: string,
    measure: string,
    pairs: { seeds: number[]; diffs: number[] },
    favoured: string,
    unit: string,
    digits?: number,
  ): ClaimTest => {
    const difference = meanInterval(pairs.diffs);
    return {
      claim,
      measure,
      difference,
      seeds: pairs.seeds,
      verdict: verdict(difference, favoured, unit, digits),
    };
  };
  const elu = "ELU converges faster than ReLU";
  const bilinear = "bilinear + conv beats transposed conv";
  const epochs = pairedBySeed(runs, "activation", "relu", "elu", (r) => epochsToDice(r, t));
  const noneReached = runs.every((r) => !r.validationDice.some((d) => d >= t));
  const speed = test(
    elu,
    `epochs to validation Dice ${t}, ReLU - ELU`,
    epochs,
    "ELU is faster",
    "epochs",
    1,
  );
  if (noneReached && epochs.diffs.length) {
    speed.verdict = `cannot say: no run reached validation Dice ${t} (lower the threshold)`;
  }
  return [
    speed,
    test(
      elu,
      "best validation Dice, ELU - ReLU",
      pairedBySeed(runs, "activation", "elu", "relu", (r) => r.bestValidationDice),
      "ELU is better",
      "Dice",
    ),
    test(
      bilinear,
      "best validation Dice, bilinear - transposed",
      pairedBySeed(runs, "upsampling", "bilinear", "transposed", (r) => r.bestValidationDice),
      "bilinear is better",
      "Dice",
    ),
  ];
}

/** Per variant: seeds, mean and standard deviation of the best validation Dice, epochs to the threshold. */
export function sweepTable(variants: VariantSummary[], threshold: number): Table {
  return {
    title: "Ablation over seeds: activation x transition-up (liver model)",
    caption: `Best validation Dice of the liver over the epochs of each run: mean and sample ` +
      `standard deviation over seeds. Epochs to Dice ${threshold}: the first epoch reaching it ` +
      `(a run that never does counts as its epochs + 1).`,
    columns: [
      "experiment",
      "activation",
      "transition up",
      "seeds",
      "best validation Dice (mean)",
      "Dice sd",
      `epochs to ${threshold} (mean)`,
      "epochs sd",
      "reached",
    ],
    rows: variants.map((v) => [
      v.experiment,
      v.activation.toUpperCase(),
      v.upsampling,
      String(v.dice.n), // a count: not formatted as a measurement
      v.dice.mean,
      v.dice.sd,
      v.epochs.mean,
      v.epochs.sd,
      `${v.reached}/${v.dice.n}`,
    ]),
  };
}

/** The claims as a table: measure, paired mean difference, its 95% interval, verdict. */
export function claimsTable(claims: ClaimTest[]): Table {
  return {
    title: "The paper's ablation claims, paired by seed",
    caption: "Each seed gives one difference (averaged over the other factor); 95% confidence " +
      "interval of the mean difference from Student's t with seeds - 1 degrees of freedom. " +
      "Positive favours the claim.",
    columns: [
      "claim",
      "measure",
      "seeds",
      "mean difference",
      "95% CI low",
      "95% CI high",
      "verdict",
    ],
    rows: claims.map((c) => [
      c.claim,
      c.measure,
      String(c.difference.n),
      c.difference.mean,
      c.difference.ci[0],
      c.difference.ci[1],
      c.verdict,
    ]),
  };
}
