/**
 * The `slurm` engine: the sweep becomes one `sbatch` job array
 * (`<sweep dir>/array.sh`, one task per cell; `SLURM_ARRAY_TASK_ID` is the
 * cell's index in `plan.json`), submitted and followed with `squeue` until no
 * task is pending or running; `sacct` adds each stopped task's exit code where
 * the cluster keeps accounting or a job completion log. Results land in the same
 * run folders as the local engine's. A rerun submits only the cells that stopped
 * (`--array=3,7` over the script's full range). The job id is kept in
 * `<sweep dir>/slurm.json`, so a sweep restarted while its job still runs
 * follows that job instead of submitting a second one.
 *
 * @example
 * ```ts
 * const engine = slurmEngine({ resources: { partition: "gpu", gpus: 1, time: "04:00:00" } });
 * const outcome = await runSweep(plan, engine);
 * ```
 * @module
 */
import { join } from "node:path";
import type { SlurmResources } from "../config/load.ts";
import { digestOf } from "../util/digest.ts";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomic.ts";
import { SWEEP_CLI } from "./local.ts";
import { planPath, type SweepCell, type SweepPlan } from "./plan.ts";
import type { SweepEngine } from "./sweep.ts";
import type { CellPhase } from "./view.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const REPO = new URL("../..", import.meta.url).pathname;

/** squeue states after which a task no longer runs. */
const ENDED = new Set([
  "COMPLETED",
  "CANCELLED",
  "FAILED",
  "TIMEOUT",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
  "OUT_OF_MEMORY",
]);

export interface SlurmEngineOptions {
  resources?: SlurmResources;
  /** Seconds between `squeue` polls (default 10). */
  pollSeconds?: number;
}

/** The job the sweep submitted last (`slurm.json`). */
interface SubmittedJob {
  jobId: string;
  indices: number[];
  submitted: string;
  /** Digest of the plan's cells its tasks index into. */
  cells: string;
}

const cellsDigest = (plan: SweepPlan) => digestOf(plan.cells);

/** The sweep's last job when some of its tasks are still pending or running. */
async function activeJob(plan: SweepPlan): Promise<SubmittedJob | null> {
  const job = await readJob(join(plan.dir, "slurm.json"));
  if (!job) return null;
  const tasks = await queueTasks(job.jobId);
  if (!tasks) throw new Error(`squeue failed: cannot tell whether job ${job.jobId} still runs`);
  return [...tasks.values()].some((t) => !ENDED.has(t.state)) ? job : null;
}

/** `0-3,5,7-8` from cell indices. */
export function formatIndices(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j;
  }
  return parts.join(",");
}

/** The job array script: resources as `#SBATCH` lines, then the cell's worker. */
export function slurmScript(plan: SweepPlan, resources: SlurmResources): string {
  const r = resources;
  const cpus = r.cpus ?? 1;
  const lines = [
    "#!/bin/bash",
    `# Sweep ${plan.name}: one array task per cell of ${planPath(plan)}.`,
    `#SBATCH --job-name=sweep-${plan.name}`,
    `#SBATCH --array=${formatIndices(plan.cells.map((c) => c.index))}`,
    `#SBATCH --output=${join(plan.dir, "logs", "cell-%a.out")}`,
    // A rerun of a cell appends to its log, so the log tells the cell's whole story.
    "#SBATCH --open-mode=append",
    `#SBATCH --cpus-per-task=${cpus}`,
    ...(r.partition ? [`#SBATCH --partition=${r.partition}`] : []),
    ...(r.time ? [`#SBATCH --time=${r.time}`] : []),
    ...(r.gpus ? [`#SBATCH --gres=gpu:${r.gpus}`] : []),
    ...(r.mem ? [`#SBATCH --mem=${r.mem}`] : []),
    "set -euo pipefail",
    `cd ${quote(REPO)}`,
    // The same thread count as a local run beside another gives the same numbers on wasm.
    `export WASM_THREADS=${cpus}`,
    `exec ${quote(Deno.execPath())} run -A --config ${quote(CONFIG)} ${quote(SWEEP_CLI)} ` +
    `--plan ${quote(planPath(plan))} --cell "$SLURM_ARRAY_TASK_ID"`,
    "",
  ];
  return lines.join("\n");
}

function quote(s: string): string {
  return /^[\w./@:=+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Run a Slurm command; `null` when it is not installed. */
async function slurmCommand(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string } | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Array tasks of `jobId` that Slurm still knows: index -> state and the task's own job id;
 * `null` when `squeue` itself failed (e.g. the controller did not answer), which says nothing
 * about the tasks.
 */
async function queueTasks(
  jobId: string,
): Promise<Map<number, { state: string; rawId: string }> | null> {
  const out = await slurmCommand("squeue", [
    "-h",
    "-r",
    "-t",
    "all",
    "-j",
    jobId,
    "-o",
    "%K|%T|%A",
  ]);
  if (!out) throw new Error("squeue not found on PATH: cannot follow the job array");
  const tasks = new Map<number, { state: string; rawId: string }>();
  // A job Slurm has forgotten (ended long enough ago) is an error: none of its tasks run.
  if (out.code !== 0) return /invalid job id/i.test(out.stderr) ? tasks : null;
  for (const line of out.stdout.split("\n")) {
    const [index, state, rawId] = line.trim().split("|");
    if (index && /^\d+$/.test(index)) tasks.set(Number(index), { state, rawId });
  }
  return tasks;
}

/**
 * `STATE exit N:S` of stopped tasks from `sacct`: accounting names array tasks `job_index`;
 * without it, the job completion log (`sacct -c`) knows them by their own job ids.
 */
async function accountedStates(
  jobId: string,
  rawIds: Map<string, number>,
): Promise<Map<number, string>> {
  const states = new Map<number, string>();
  const fields = ["-n", "-P", "-X", "-o", "JobID,State,ExitCode"];
  const acct = await slurmCommand("sacct", [...fields, "-j", jobId]);
  if (acct?.code === 0 && acct.stdout.trim()) {
    for (const line of acct.stdout.trim().split("\n")) {
      const [id, state, exit] = line.split("|");
      const m = id.match(/^\d+_(\d+)$/);
      if (m) states.set(Number(m[1]), `${state} (exit ${exit})`);
    }
    return states;
  }
  if (rawIds.size === 0) return states;
  const comp = await slurmCommand("sacct", ["-c", ...fields, "-j", [...rawIds.keys()].join(",")]);
  if (comp?.code !== 0) return states;
  for (const line of comp.stdout.trim().split("\n")) {
    const [id, state, exit] = line.split("|");
    const index = rawIds.get(id);
    if (index !== undefined && state) states.set(index, `${state} (exit ${exit})`);
  }
  return states;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function slurmEngine(opts: SlurmEngineOptions = {}): SweepEngine {
  const pollMs = (opts.pollSeconds ?? 10) * 1000;
  return {
    name: "slurm",
    async check(plan: SweepPlan) {
      const out = await slurmCommand("sbatch", ["--version"]);
      if (!out) {
        throw new Error(
          "sbatch not found on PATH: the slurm engine needs a Slurm client on this machine " +
            "(Debian: apt-get install slurm-client; or use --engine local)",
        );
      }
      // Its pending tasks will read plan.json: it must not change under them.
      const job = await activeJob(plan);
      if (job && job.cells !== (await cellsDigest(plan))) {
        throw new Error(
          `job ${job.jobId} of sweep ${plan.name} still runs with another grid; wait for it ` +
            `or cancel it (scancel ${job.jobId}), or give this sweep another --name`,
        );
      }
    },
    async run(plan: SweepPlan, cells: SweepCell[], phases: Map<number, CellPhase>, log) {
      const jobFile = join(plan.dir, "slurm.json");
      const wanted = new Set(cells.map((c) => c.index));
      let job = await activeJob(plan);
      if (job) {
        // Restarted while its job still runs: follow it; a second array would race it.
        log(`following job ${job.jobId}, submitted ${job.submitted}`);
      } else {
        const script = join(plan.dir, "array.sh");
        await writeTextAtomic(script, slurmScript(plan, opts.resources ?? {}));
        await Deno.chmod(script, 0o755);
        await Deno.mkdir(join(plan.dir, "logs"), { recursive: true });
        const indices = formatIndices([...wanted]);
        const out = await slurmCommand("sbatch", ["--parsable", `--array=${indices}`, script]);
        if (!out) throw new Error("sbatch not found on PATH");
        const jobId = out.stdout.trim().split(";")[0];
        if (out.code !== 0 || !/^\d+$/.test(jobId)) {
          throw new Error(
            `Slurm rejected the job array ${script} (cells ${indices}): ${
              (out.stderr || out.stdout).trim() || `sbatch exit ${out.code}`
            }`,
          );
        }
        job = {
          jobId,
          indices: [...wanted],
          submitted: new Date().toISOString(),
          cells: await cellsDigest(plan),
        };
        await writeJsonAtomic(jobFile, job);
        log(`submitted job array ${jobId} (cells ${indices}) from ${script}`);
      }
      const jobId = job.jobId;
      const last = new Map<number, string>();
      const rawIds = new Map<string, number>();
      for (let failures = 0;;) {
        const tasks = await queueTasks(jobId);
        if (!tasks) {
          // A controller that does not answer for a while is not a job that ended.
          if (++failures >= 30) throw new Error(`squeue failed ${failures} times in a row`);
          await sleep(pollMs);
          continue;
        }
        failures = 0;
        for (const i of job.indices) {
          const t = tasks.get(i);
          if (!t) continue;
          last.set(i, t.state);
          if (t.state !== "PENDING") rawIds.set(t.rawId, i);
          phases.set(
            i,
            t.state === "PENDING"
              ? "queued"
              : !ENDED.has(t.state)
              ? "running"
              : t.state === "COMPLETED"
              ? "done"
              : "failed",
          );
        }
        if (job.indices.every((i) => !tasks.has(i) || ENDED.has(tasks.get(i)!.state))) break;
        await sleep(pollMs);
      }
      const accounted = await accountedStates(jobId, rawIds);
      const why = new Map<number, string>();
      for (const i of job.indices) {
        const state = accounted.get(i) ?? last.get(i) ?? "no longer in the queue";
        why.set(i, `array task ${jobId}_${i} ended ${state}`);
      }
      return why;
    },
  };
}

async function readJob(path: string): Promise<SubmittedJob | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(`${path}: cannot read the sweep's job record (${(err as Error).message})`);
  }
}
