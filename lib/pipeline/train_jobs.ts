/**
 * Several training runs at once, each in its own `deno task train` process.
 *
 * Why processes: tfjs has one backend per process, and on 2 cores two
 * single-threaded wasm runs side by side train about 1.6x more slices per
 * second than one run with two threads (measured: 2 x 8.2 vs 10.2 slices/s).
 *
 * @example
 * ```ts
 * await runTrainJobs([
 *   { name: "liver", experiment: "experiments/liver.json", profile: "cpu",
 *     data: "data/synthetic", runDir: "results/runs/liver/cpu-1", resume: false },
 * ], { concurrency: 2 });
 * ```
 * @module
 */
import { resolve } from "node:path";
import type { BackendName, ProfileName } from "../config/experiment.ts";
import { inPool, sideBySideThreads } from "../util/pool.ts";

/** One `deno task train` invocation. */
export interface TrainJob {
  name: string;
  experiment: string;
  profile: ProfileName;
  data: string;
  runDir: string;
  /** Continue from the run's last checkpoint. */
  resume: boolean;
  backend?: BackendName;
  /** Folder of preprocessed cases shared by the runs (`--cache`; default the CLI's). */
  cache?: string;
}

export interface TrainJobsOptions<J extends { name: string } = TrainJob> {
  /** Processes at once (default 2). */
  concurrency?: number;
  /** Receives each output line of each process, prefixed with the job's name. */
  log?: (line: string) => void;
  /** Receives each output line of a job's process as it is (e.g. for a log file per job). */
  onLine?: (job: J, line: string) => void;
  /** Called when a job's process starts. */
  onStart?: (job: J) => void;
  /** Called when a job's process has finished successfully. */
  onDone?: (job: J) => Promise<void>;
  /** `WASM_THREADS` of every process (default: 1 when several run side by side, else unset). */
  threads?: number;
}

const TRAIN_CLI = new URL("../../cli/train.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Run `jobs`, `concurrency` at a time; throws naming every job that failed. */
export async function runTrainJobs(jobs: TrainJob[], opts: TrainJobsOptions = {}): Promise<void> {
  const failures = await runDenoJobs(jobs, trainArgs, opts);
  if (failures.length) {
    throw new Error(
      `training failed:\n  ${failures.map((f) => `${f.job.name}: ${f.error}`).join("\n  ")}`,
    );
  }
}

/** `deno task train` arguments of a job. */
function trainArgs(job: TrainJob): string[] {
  return [
    TRAIN_CLI,
    resolve(job.experiment),
    "--profile",
    job.profile,
    "--data",
    resolve(job.data),
    "--run-dir",
    resolve(job.runDir),
    ...(job.resume ? ["--resume"] : []),
    ...(job.backend ? ["--backend", job.backend] : []),
    ...(job.cache ? ["--cache", resolve(job.cache)] : []),
  ];
}

/**
 * Run one `deno run -A --config deno.json ...argsOf(job)` process per job, `concurrency` at a
 * time; resolves with the jobs whose process failed and why (the exit status and last line).
 */
export async function runDenoJobs<J extends { name: string }>(
  jobs: J[],
  argsOf: (job: J) => string[],
  opts: TrainJobsOptions<J> = {},
): Promise<{ job: J; error: string }[]> {
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const log = opts.log ?? ((line: string) => console.error(line));
  // Side by side, each process gets one wasm thread; alone, it may use the machine.
  const threads = opts.threads !== undefined
    ? String(opts.threads)
    : sideBySideThreads(jobs.length, concurrency);
  const failures: { job: J; error: string }[] = [];
  // A failed job is recorded and the others go on: every job gets its chance.
  await inPool(jobs, concurrency, async (job) => {
    opts.onStart?.(job);
    const error = await runOne(argsOf(job), threads, (line) => {
      opts.onLine?.(job, line);
      log(`[${job.name}] ${line}`);
    });
    if (error) failures.push({ job, error });
    else await opts.onDone?.(job);
  });
  return failures;
}

async function runOne(
  script: string[],
  threads: string | undefined,
  log: (line: string) => void,
): Promise<string | null> {
  const args = ["run", "-A", "--config", CONFIG, ...script];
  const env: Record<string, string> = threads ? { WASM_THREADS: threads } : {};
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let last = "";
  const relay = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      const lines = (pending + decoder.decode(bytes, { stream: true })).split(/\r?\n|\r/);
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim()) {
          last = line;
          log(line);
        }
      }
    }
    if (pending.trim()) log(last = pending);
  };
  const [status] = await Promise.all([child.status, relay(child.stdout), relay(child.stderr)]);
  return status.success ? null : `exit ${status.code}: ${last}`;
}
