import assert from "node:assert/strict";
import { pairedDifference, studentTCdf, studentTQuantile, summarize } from "./stats.ts";

const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("studentTQuantile matches the printed t table", () => {
  // Two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [5, 2.571],
    [
      10,
      2.228,
    ],
    [30, 2.042],
    [100, 1.984],
  ];
  for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 5e-4);
  close(studentTQuantile(0.5, 4), 0, 1e-9);
  close(studentTQuantile(0.025, 3), -3.182, 5e-4);
  // df = 1 is the Cauchy distribution: its CDF is 1/2 + atan(t)/pi.
  for (const t of [-3, -0.5, 0.7, 4]) close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12);
});

Deno.test("studentTQuantile rejects impossible arguments", () => {
  assert.throws(() => studentTQuantile(1, 3), /0 < p < 1/);
  assert.throws(() => studentTQuantile(0.9, 0), /df > 0/);
});

Deno.test("summarize gives n, mean and the sample standard deviation", () => {
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  close(s.mean, 5, 1e-12);
  close(s.sd, Math.sqrt(32 / 7), 1e-12);
  assert.ok(Number.isNaN(summarize([1]).sd));
  assert.ok(Number.isNaN(summarize([]).mean));
});

Deno.test("pairedDifference: mean difference with a t interval over n - 1 df", () => {
  const d = pairedDifference([0.92, 0.93, 0.91], [0.9, 0.92, 0.9]);
  // Differences 0.02, 0.01, 0.01: mean 0.01333, sd 0.005774, half width 4.3027 * sd / sqrt(3).
  close(d.mean, 0.013333, 1e-6);
  close(d.sd, 0.0057735, 1e-6);
  const half = 4.302653 * 0.0057735 / Math.sqrt(3);
  close(d.ci[0], 0.013333 - half, 1e-5);
  close(d.ci[1], 0.013333 + half, 1e-5);
  assert.equal(d.level, 0.95);
  assert.ok(pairedDifference([1], [0]).ci.every(Number.isNaN), "one pair: no interval");
  assert.throws(() => pairedDifference([1, 2], [1]), /differ in length/);
});
