/**
 * Statistics over seeds: mean, standard deviation and count of a sample, and the
 * mean of paired differences with a Student t confidence interval. Mean and
 * standard deviation come from mathjs; the t quantile (which mathjs lacks) is the
 * inverse of the t distribution function, through the regularized incomplete beta.
 *
 * @example
 * ```ts
 * summarize([0.91, 0.92, 0.90]); // { n: 3, mean: 0.91, sd: 0.01 }
 * pairedDifference([0.92, 0.93, 0.91], [0.90, 0.92, 0.90]); // mean 0.0133, ci95 [-0.0010, 0.0277]
 * studentTQuantile(0.975, 2); // 4.3027
 * ```
 * @module
 */
import { lgamma, mean, std } from "mathjs";

/** Size, mean and sample standard deviation (n - 1; NaN below 2 values). */
export interface Summary {
  n: number;
  mean: number;
  sd: number;
}

/** A paired comparison: the differences' summary and a two-sided confidence interval of their mean. */
export interface PairedDifference extends Summary {
  /** Confidence level of `ci` (0.95). */
  level: number;
  /** [low, high]; NaN with fewer than 2 pairs. */
  ci: [number, number];
}

/** {@link Summary} of `values` (an empty sample has mean NaN). */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    mean: n ? Number(mean([...values])) : NaN,
    sd: n >= 2 ? Number(std([...values], "unbiased")) : NaN,
  };
}

/**
 * Mean of `a[i] - b[i]` with a Student t interval at `level` (n - 1 degrees of freedom).
 * `a` and `b` are paired by index (the same seed).
 */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
  level = 0.95,
): PairedDifference {
  if (a.length !== b.length) {
    throw new Error(`paired samples differ in length (${a.length} and ${b.length})`);
  }
  return meanInterval(a.map((x, i) => x - b[i]), level);
}

/** Mean of `values` (e.g. per-seed differences) with a Student t interval at `level`. */
export function meanInterval(values: readonly number[], level = 0.95): PairedDifference {
  const s = summarize(values);
  if (s.n < 2) return { ...s, level, ci: [NaN, NaN] };
  const half = studentTQuantile(0.5 + level / 2, s.n - 1) * s.sd / Math.sqrt(s.n);
  return { ...s, level, ci: [s.mean - half, s.mean + half] };
}

/** Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(
    Number(lgamma(a + b)) - Number(lgamma(a)) - Number(lgamma(b)) + a * Math.log(x) +
      b * Math.log(1 - x),
  ) / a;
  const tiny = 1e-300;
  let c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (
      const num of [
        m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
        -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
      ]
    ) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return front * f;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  // Near 0, df / (df + t^2) rounds to 1: take the central mass from t^2 / (df + t^2) instead.
  const tail = t * t < df
    ? 0.5 - 0.5 * incompleteBeta(t * t / (df + t * t), 0.5, df / 2)
    : 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The `p` quantile of Student's t with `df` degrees of freedom (bisection on the CDF). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) {
    throw new Error(`t quantile needs 0 < p < 1 and df > 0, got p=${p}, df=${df}`);
  }
  let lo = -1, hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
