/**
 * `deno task sweep [EXPERIMENT.json...] [--seeds N|LIST] [--engine local|slurm] ...`
 *
 * A grid of experiments (default the 2x2 ablation of the liver model) times
 * seeds, each cell a normal run in `results/runs/`, resumable; then the
 * ablation table over seeds and the paper's two claims tested by paired
 * differences, written to the sweep folder. `--plan P --cell I` runs one cell
 * (what each local process and Slurm array task runs).
 * @module
 */
import type { BackendName, ProfileName } from "../lib/config/experiment.ts";
import { loadSlurmResources, type Patch } from "../lib/config/load.ts";
import { toMarkdown, writeTables } from "../lib/reports/tables.ts";
import { runCell } from "../lib/sweep/cell.ts";
import {
  ablationClaims,
  claimsTable,
  readSweepRuns,
  summarizeVariants,
  sweepTable,
} from "../lib/sweep/claims.ts";
import { localEngine } from "../lib/sweep/local.ts";
import { ABLATION_GRID, planSweep, readPlan, setOverride } from "../lib/sweep/plan.ts";
import { slurmEngine } from "../lib/sweep/slurm.ts";
import { failureMessage, runSweep } from "../lib/sweep/sweep.ts";
import {
  BACKEND_FLAG,
  defineCli,
  intList,
  PROFILE_FLAG,
  runCli,
  UsageError,
} from "../lib/util/cli_args.ts";

const CLI = defineCli({
  name: "sweep",
  summary: "Train a grid of experiments times seeds (each cell a resumable run in " +
    "results/runs/), on this machine or as one Slurm job array, then tabulate the ablation " +
    "over seeds and test the paper's claims by paired differences.",
  positionals: {
    name: "EXPERIMENT.json...",
    help: "experiment files, one grid row each (default: liver and the three ablation-*.json)",
  },
  flags: {
    seeds: {
      type: "string",
      value: "N|LIST",
      default: "3",
      help: "seeds 1..N, or a list such as 1,5,9 (train.seed; the same for every experiment)",
    },
    engine: {
      type: "string",
      choices: ["local", "slurm"],
      default: "local",
      help: "local: processes on this machine; slurm: one sbatch job array",
    },
    profile: PROFILE_FLAG,
    backend: BACKEND_FLAG,
    set: {
      type: "string",
      multiple: true,
      value: "KEY=VALUE",
      help: "config override for every cell, e.g. train.epochs=4",
    },
    data: { type: "string", value: "DIR", help: "LiTS-layout data folder (overrides data.root)" },
    runs: { type: "string", value: "DIR", default: "results/runs", help: "runs folder" },
    name: {
      type: "string",
      value: "NAME",
      help: "sweep name (default ablation-<profile> for the 2x2)",
    },
    out: { type: "string", value: "DIR", help: "sweep folder (default results/sweeps/<name>)" },
    concurrency: { type: "int", min: 1, default: 2, help: "local: runs at once" },
    retries: {
      type: "int",
      min: 0,
      default: 1,
      help: "reruns of a cell that stopped unfinished (from its checkpoint)",
    },
    threshold: {
      type: "number",
      min: 0,
      max: 1,
      default: 0.85,
      help: "validation Dice that counts as converged (epochs to it: the ELU claim)",
    },
    partition: {
      type: "string",
      value: "NAME",
      help: "slurm: partition (default: the experiment's, else the cluster's)",
    },
    time: { type: "string", value: "TIME", help: "slurm: time limit per cell, e.g. 01:00:00" },
    gpus: { type: "int", min: 0, help: "slurm: GPUs per cell" },
    cpus: { type: "int", min: 1, help: "slurm: CPUs per cell (default: the experiment's, else 1)" },
    mem: { type: "string", value: "SIZE", help: "slurm: memory per cell, e.g. 8G" },
    poll: {
      type: "number",
      greaterThan: 0,
      default: 10,
      help: "slurm: seconds between squeue polls",
    },
    plan: { type: "string", value: "FILE", help: "worker: a sweep's plan.json (with --cell)" },
    cell: { type: "int", min: 0, help: "worker: run this cell of --plan" },
  },
  notes: "The cpu-profile 2x2 over 3 seeds (12 runs): deno task sweep --seeds 3 --engine local\n" +
    "Resources for slurm come from the flags, else the first experiment file's `slurm` section.",
});

function parseSeeds(text: string): number[] {
  if (/^\d+$/.test(text.trim())) {
    const n = Number(text);
    if (n < 1) throw new UsageError(`--seeds must be at least 1, got "${text}"`);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  return intList("seeds", text);
}

if (import.meta.main) {
  await runCli(CLI, async ({ flags, positionals }) => {
    if (flags.plan !== undefined || flags.cell !== undefined) {
      if (flags.plan === undefined || flags.cell === undefined) {
        throw new UsageError("--plan and --cell go together");
      }
      await runCell(await readPlan(flags.plan), flags.cell);
      return;
    }
    let overrides: Patch | undefined;
    for (const s of flags.set) overrides = setOverride(overrides ?? {}, s);
    if (flags.data) {
      overrides = setOverride(overrides ?? {}, `data.root=${JSON.stringify(flags.data)}`);
    }
    const experiments = positionals.length ? positionals : ABLATION_GRID;
    const profile = flags.profile as ProfileName;
    const plan = await planSweep({
      experiments,
      seeds: parseSeeds(flags.seeds),
      profile,
      overrides,
      runsDir: flags.runs,
      name: flags.name,
      dir: flags.out,
      backend: flags.backend as BackendName | undefined,
    });
    const fromFile = await loadSlurmResources(experiments[0], profile);
    const engine = flags.engine === "slurm"
      ? slurmEngine({
        resources: {
          partition: flags.partition ?? fromFile.partition,
          time: flags.time ?? fromFile.time,
          gpus: flags.gpus ?? fromFile.gpus,
          cpus: flags.cpus ?? fromFile.cpus,
          mem: flags.mem ?? fromFile.mem,
        },
        pollSeconds: flags.poll,
      })
      : localEngine({ concurrency: flags.concurrency });
    const outcome = await runSweep(plan, engine, { retries: flags.retries });

    // The table of whatever finished, also when some cells failed.
    const runs = await readSweepRuns(plan);
    if (runs.length) {
      const claims = ablationClaims(runs, { threshold: flags.threshold });
      const tables = {
        ablation: sweepTable(summarizeVariants(runs, flags.threshold), flags.threshold),
        claims: claimsTable(claims),
      };
      const paths = await writeTables(plan.dir, tables);
      for (const t of Object.values(tables)) console.log(toMarkdown(t));
      for (const c of claims) console.log(`${c.claim} (${c.measure}): ${c.verdict}`);
      console.log(`wrote ${paths.filter((p) => p.endsWith(".md")).join(", ")} (and .csv, .json)`);
    }
    if (outcome.failed.length) {
      console.error(failureMessage(outcome));
      return 1;
    }
  });
}
