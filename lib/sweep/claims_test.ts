import assert from "node:assert/strict";
import {
  ablationClaims,
  claimsTable,
  epochsToDice,
  summarizeVariants,
  type SweepRun,
  sweepTable,
  verdict,
} from "./claims.ts";

/** A run whose validation Dice climbs by `step` an epoch from 0.5 up to `best`. */
function run(
  activation: "elu" | "relu",
  upsampling: "bilinear" | "transposed",
  seed: number,
  best: number,
  step: number,
): SweepRun {
  const curve: number[] = [];
  for (let d = 0.5; curve.length < 12; d = Math.min(best, d + step)) curve.push(d);
  const experiment = `${activation}-${upsampling}`;
  return {
    activation,
    upsampling,
    experiment,
    seed,
    name: `${experiment}/seed${seed}`,
    bestValidationDice: Math.max(...curve),
    bestEpoch: curve.indexOf(Math.max(...curve)) + 1,
    validationDice: curve,
  };
}

Deno.test("epochsToDice: first epoch at the threshold, epochs + 1 when never reached", () => {
  const r = run("elu", "bilinear", 1, 0.9, 0.1); // 0.5, 0.6, 0.7, 0.8, 0.9, ...
  assert.equal(epochsToDice(r, 0.75), 4);
  assert.equal(epochsToDice(r, 0.95), 13);
});

Deno.test("ablationClaims pairs by seed: supported, contradicted, not shown", () => {
  const runs: SweepRun[] = [];
  for (const seed of [1, 2, 3]) {
    const noise = [0.001, -0.002, 0.0015][seed - 1];
    // ELU climbs faster (0.1 vs 0.05 an epoch); bilinear ends lower than transposed by ~0.01;
    // ELU and ReLU end within noise of each other.
    runs.push(run("elu", "bilinear", seed, 0.9 + noise, 0.1));
    runs.push(run("elu", "transposed", seed, 0.91 + noise, 0.1));
    runs.push(run("relu", "bilinear", seed, 0.9 - noise, 0.05));
    runs.push(run("relu", "transposed", seed, 0.91 - noise * 0.5, 0.05));
  }
  const [speed, dice, upsampling] = ablationClaims(runs, { threshold: 0.86 });
  // Per seed: ELU reaches 0.86 at epoch 5 (0.5 + 4 x 0.1), ReLU at epoch 9 (0.5 + 8 x 0.05).
  assert.equal(speed.difference.n, 3);
  assert.ok(Math.abs(speed.difference.mean - 4) < 1e-9, `${speed.difference.mean}`);
  assert.match(speed.verdict, /^supported: ELU is faster by \+4\.0 epochs/);
  assert.match(dice.verdict, /^not shown: .*includes 0/);
  assert.match(upsampling.verdict, /^contradicted: the opposite of bilinear is better/);
  assert.ok(upsampling.difference.ci[1] < 0);
  assert.deepEqual(upsampling.seeds, [1, 2, 3]);

  const variants = summarizeVariants(runs, 0.85);
  assert.equal(variants.length, 4);
  assert.deepEqual(variants[0].seeds, [1, 2, 3]);
  assert.equal(variants[0].reached, 3);
  const table = sweepTable(variants, 0.85);
  assert.equal(table.rows.length, 4);
  assert.deepEqual(table.rows[0].slice(0, 4), ["elu-bilinear", "ELU", "bilinear", "3"]);
  assert.equal(claimsTable([speed, dice, upsampling]).rows.length, 3);
});

Deno.test("verdict needs two seeds with both runs of a pair, and runs that reach the threshold", () => {
  const one = ablationClaims([
    run("elu", "bilinear", 1, 0.9, 0.1),
    run("relu", "bilinear", 1, 0.9, 0.1),
  ], {
    threshold: 0.5,
  });
  assert.match(one[0].verdict, /cannot say: .*at least 2 seeds .*have 1/);
  assert.match(one[2].verdict, /have 0/); // no transposed runs
  const never = ablationClaims(
    [1, 2].flatMap((s) => [
      run("elu", "bilinear", s, 0.6, 0.1),
      run("relu", "bilinear", s, 0.6, 0.1),
    ]),
    { threshold: 0.99 },
  );
  assert.match(never[0].verdict, /no run reached validation Dice 0\.99/);
  assert.match(
    verdict({ n: 3, mean: 0.01, sd: 0.001, level: 0.95, ci: [0.008, 0.012] }, "X wins", "Dice"),
    /^supported: X wins by \+0\.010 Dice \(95% CI \+0\.008 to \+0\.012, 3 seeds\)$/,
  );
});
