import assert from "node:assert/strict";
import type { SweepPlan } from "./plan.ts";
import { formatIndices, slurmScript } from "./slurm.ts";

Deno.test("formatIndices writes ranges as Slurm's --array does", () => {
  assert.equal(formatIndices([0, 1, 2, 3]), "0-3");
  assert.equal(formatIndices([7, 0, 3, 1, 8, 5]), "0-1,3,5,7-8");
  assert.equal(formatIndices([4]), "4");
});

Deno.test("slurmScript: one array over every cell, resources as #SBATCH lines, the cell's worker", () => {
  const plan = {
    name: "ablation-cpu",
    dir: "/data/sweeps/ablation-cpu",
    cells: [0, 1, 2].map((index) => ({ index })),
  } as SweepPlan;
  const script = slurmScript(plan, { partition: "gpu", time: "01:00:00", gpus: 1, cpus: 4 });
  const lines = script.split("\n");
  assert.equal(lines[0], "#!/bin/bash");
  for (
    const l of [
      "#SBATCH --array=0-2",
      "#SBATCH --output=/data/sweeps/ablation-cpu/logs/cell-%a.out",
      "#SBATCH --open-mode=append",
      "#SBATCH --partition=gpu",
      "#SBATCH --time=01:00:00",
      "#SBATCH --gres=gpu:1",
      "#SBATCH --cpus-per-task=4",
      "export WASM_THREADS=4",
    ]
  ) assert.ok(lines.includes(l), `missing: ${l}\n${script}`);
  assert.match(
    script,
    /run -A --config \S+deno\.json \S+cli\/sweep\.ts --plan \/data\/sweeps\/ablation-cpu\/plan\.json --cell "\$SLURM_ARRAY_TASK_ID"/,
  );
  // Without resources: the cluster's defaults, one CPU.
  const plain = slurmScript(plan, {});
  assert.ok(!/--partition|--time|--gres|--mem/.test(plain));
  assert.match(plain, /--cpus-per-task=1/);
});
