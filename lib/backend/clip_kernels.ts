/**
 * `clipByValue` and the kernels of its gradient (`GreaterEqual`, `LessEqual`, `LogicalAnd`,
 * `Select`) for the `onednn` backend, as plain loops: the loss clips the probabilities before
 * the log (`lib/train/losses.ts`), so each step runs them over every output value. tfjs's `cpu`
 * kernels broadcast a scalar through per-value index arithmetic and call a closure per value
 * (62 of 978 ms of a liver step on one thread); here an operand is either the same shape or a
 * scalar, and anything else is left to the stock kernel.
 *
 * The same comparisons and the same `float32` stores as the `cpu` kernels, so the values are
 * equal bit for bit (NaN included: it is neither clipped nor compared true).
 * @module
 */

/** y = min(max(x, lo), hi) as tfjs's cpu kernel writes it (NaN stays NaN). */
export function clip(x: Float32Array, lo: number, hi: number, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v > hi ? hi : v < lo ? lo : v;
  }
}

/** The comparisons the clip gradient uses. */
export type Comparison = "GreaterEqual" | "LessEqual";

/**
 * out[i] = a[i] op b[i] (1 or 0), where a side of length 1 is a scalar. Null when neither
 * side is a scalar and the lengths differ (a broadcast this loop does not do).
 */
export function compare(
  op: Comparison,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): Uint8Array | null {
  // a <= b is b >= a, NaN included (false either way).
  return op === "GreaterEqual" ? greaterEqual(a, b) : greaterEqual(b, a);
}

function greaterEqual(a: ArrayLike<number>, b: ArrayLike<number>): Uint8Array | null {
  const n = Math.max(a.length, b.length);
  if (a.length !== n && a.length !== 1) return null;
  if (b.length !== n && b.length !== 1) return null;
  const out = new Uint8Array(n);
  if (b.length === 1 && n > 1) {
    for (let i = 0, s = b[0]; i < n; i++) out[i] = a[i] >= s ? 1 : 0;
  } else if (a.length === 1 && n > 1) {
    for (let i = 0, s = a[0]; i < n; i++) out[i] = s >= b[i] ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = a[i] >= b[i] ? 1 : 0;
  }
  return out;
}

/** out[i] = a[i] && b[i] for two boolean arrays of one length. */
export function logicalAnd(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] && b[i] ? 1 : 0;
  return out;
}

/** out[i] = condition[i] ? t[i] : e[i] for arrays of one length. */
export function select(
  condition: Uint8Array,
  t: Float32Array,
  e: Float32Array,
  out: Float32Array,
): void {
  for (let i = 0; i < condition.length; i++) out[i] = condition[i] ? t[i] : e[i];
}
