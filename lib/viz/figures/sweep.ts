/**
 * Notebook 04's section over seeds: a `deno task sweep` of the 2x2 ablation
 * read back (its finished cells), each variant's best validation Dice as mean
 * +- standard deviation with every seed's value, and the paper's two claims as
 * paired differences with their 95% intervals, beside the verdicts in words.
 *
 * @example
 * ```ts
 * const sweep = await loadAblationSweep("../results/sweeps/ablation-cpu", 0.85);
 * if (sweep) await show(sweepDiceChart(sweep), ...claimsCharts(sweep), claimsVerdicts(sweep));
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { join } from "node:path";
import {
  ablationClaims,
  type ClaimTest,
  readSweepRuns,
  summarizeVariants,
  type SweepRun,
  type VariantSummary,
} from "../../sweep/claims.ts";
import { readPlan, type SweepPlan } from "../../sweep/plan.ts";
import { exists } from "../../util/fs.ts";
import { type ChartFigure, plotChart } from "../chart.ts";

/** A sweep's finished runs and what they say. */
export interface AblationSweep {
  plan: SweepPlan;
  runs: SweepRun[];
  variants: VariantSummary[];
  claims: ClaimTest[];
  threshold: number;
}

/** The sweep in `dir` (its `plan.json`), or null when there is none yet. */
export async function loadAblationSweep(
  dir: string,
  threshold: number,
): Promise<AblationSweep | null> {
  const path = join(dir, "plan.json");
  if (!(await exists(path))) return null;
  const plan = await readPlan(path);
  const runs = await readSweepRuns(plan);
  return {
    plan,
    runs,
    variants: summarizeVariants(runs, threshold),
    claims: ablationClaims(runs, { threshold }),
    threshold,
  };
}

/** What to do when there is no sweep, or how much of it finished. */
export function sweepNote(sweep: AblationSweep | null, dir: string, profile: string): string {
  if (!sweep) {
    return `No sweep in ${dir} yet: deno task sweep --profile ${profile} --seeds 3 ` +
      `trains the 2x2 at seeds 1..3 (resumable; --engine slurm for a cluster).`;
  }
  const done = sweep.runs.length, all = sweep.plan.cells.length;
  return `${sweep.plan.name}: ${done} of ${all} runs finished (seeds ${
    sweep.plan.seeds.join(", ")
  })${done < all ? "; rerun deno task sweep to finish the rest" : ""}.`;
}

/** Best validation Dice per variant: mean (dot) +- one standard deviation (bar), each seed (small dots). */
export function sweepDiceChart(sweep: AblationSweep): ChartFigure {
  const rows = sweep.variants.map((v) => ({
    variant: v.experiment,
    mean: v.dice.mean,
    low: v.dice.mean - (Number.isFinite(v.dice.sd) ? v.dice.sd : 0),
    high: v.dice.mean + (Number.isFinite(v.dice.sd) ? v.dice.sd : 0),
  }));
  const seeds = sweep.runs.map((r) => ({ variant: r.experiment, dice: r.bestValidationDice }));
  return plotChart({
    title: "Best validation Dice over seeds (mean +- sd; small dots: each seed)",
    width: 640,
    height: 80 + 45 * rows.length,
    marginLeft: 150,
    x: { label: "best validation Dice (liver)", grid: true },
    y: { label: null, domain: rows.map((r) => r.variant) },
    marks: [
      Plot.ruleY(rows, { y: "variant", x1: "low", x2: "high", strokeWidth: 2 }),
      Plot.dot(seeds, { y: "variant", x: "dice", r: 2.5, fill: "#999", dy: 8 }),
      Plot.dot(rows, { y: "variant", x: "mean", r: 5, fill: "currentColor" }),
    ],
  });
}

/**
 * Each claim's paired mean difference with its 95% interval, right of 0 as the paper says:
 * one chart for the Dice differences, one for epochs to the threshold (their scales differ).
 */
export function claimsCharts(sweep: AblationSweep): ChartFigure[] {
  const rows = sweep.claims.filter((c) => c.difference.n >= 2).map((c) => ({
    measure: c.measure,
    unit: c.measure.startsWith("epochs") ? "epochs" : "Dice",
    mean: c.difference.mean,
    low: c.difference.ci[0],
    high: c.difference.ci[1],
  }));
  return ["Dice", "epochs"].filter((u) => rows.some((r) => r.unit === u)).map((unit) => {
    const mine = rows.filter((r) => r.unit === unit);
    return plotChart({
      title: `Paired difference over seeds (${unit}), 95% CI; right of 0: as the paper claims`,
      width: 640,
      height: 60 + 40 * mine.length,
      marginLeft: 280,
      x: { label: `mean difference (${unit})`, grid: true, domain: around0(mine) },
      y: { label: null, domain: mine.map((r) => r.measure) },
      marks: [
        Plot.ruleX([0], { stroke: "#c33" }),
        Plot.ruleY(mine, { y: "measure", x1: "low", x2: "high", strokeWidth: 2 }),
        Plot.dot(mine, { y: "measure", x: "mean", r: 5, fill: "currentColor" }),
      ],
    });
  });
}

/** An x domain holding 0 and every interval, padded (a zero-width interval still gets an axis). */
function around0(rows: { low: number; high: number }[]): [number, number] {
  const lo = Math.min(0, ...rows.map((r) => r.low)), hi = Math.max(0, ...rows.map((r) => r.high));
  const pad = 0.1 * (hi - lo || 1);
  return [lo - pad, hi + pad];
}

/** One line per comparison: the claim, the measure and the verdict in plain words. */
export function claimsVerdicts(sweep: AblationSweep): string {
  return sweep.claims.map((c) => `${c.claim} (${c.measure}): ${c.verdict}`).join("\n");
}
