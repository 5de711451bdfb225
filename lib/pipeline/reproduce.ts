/**
 * The main job: data -> liver and tumor training -> ablations -> cascade on
 * the test volumes -> LiTS evaluation -> tables -> executed notebooks and
 * HTML reports. Each stage is skipped when its outputs are up to date for the
 * same config (see `stage.ts`); an interrupted training run resumes from its
 * last checkpoint.
 *
 * @example
 * ```ts
 * const report = await reproduce({ profile: "cpu" });
 * console.log(report.written.join("\n"));
 * ```
 * @module
 */
import { join } from "node:path";
import type { BackendName, ExperimentConfig, ProfileName } from "../config/experiment.ts";
import {
  ABLATION_EXPERIMENTS,
  ABLATION_VARIANTS,
  MAIN_EXPERIMENTS,
  profileExperiment,
} from "../config/experiments.ts";
import {
  DEFAULT_SYNTHETIC_CASES,
  DEFAULT_SYNTHETIC_SEED,
  writeSyntheticSet,
} from "../data/synthetic.ts";
import { indexDataset } from "../data/dataset.ts";
import { checkpointDir } from "../runs/checkpoint.ts";
import { loadRunModel, runPaths, withPostprocessOf } from "../runs/folder.ts";
import { describeBackend, initBackend } from "../backend/select.ts";
import { predictCases } from "../inference/predict_cases.ts";
import { parseEvaluationJson } from "../metrics/evaluate.ts";
import { readAblationRun } from "../reports/ablation.ts";
import { writeTables } from "../reports/tables.ts";
import { runNotebooks } from "../notebook/batch.ts";
import { createProgress, formatDuration } from "../util/progress.ts";
import { runStage, type StageOutcome, stageStatus, stampStage } from "./stage.ts";
import { digestOf } from "../util/digest.ts";
import { evaluateTestCases, resultTables, testCases } from "./steps.ts";
import { runTrainJobs, type TrainJob } from "./train_jobs.ts";

export interface ReproduceOptions {
  profile: ProfileName;
  /** A LiTS-layout folder; default: generate the synthetic set into `data/synthetic`. */
  data?: string;
  /** Synthetic set: number of cases and in-plane size in px (ignored with `data`). */
  cases?: number;
  size?: number;
  seed?: number;
  backend?: BackendName;
  /** Redo every stage even when up to date. */
  force?: boolean;
  /** Training processes, and notebook kernels, at once (default 2). */
  concurrency?: number;
  /** Skip the ablation runs (and their table). */
  skipAblations?: boolean;
  /** Skip executing the notebooks. */
  skipNotebooks?: boolean;
  /** Repository root (default the current folder). */
  root?: string;
  /** One line per stage event. */
  log?: (line: string) => void;
}

export interface ReproduceReport {
  stages: StageOutcome[];
  /** Every file or folder the job wrote or kept, for the final listing. */
  written: string[];
  runs: Record<string, string>;
}

/** Run the whole job; see the module doc. */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceReport> {
  const root = opts.root ?? ".";
  const log = opts.log ?? ((line: string) => console.error(line));
  const at = (...parts: string[]) => join(root, ...parts);
  const stageOpts = { stampDir: at("results", ".stamps", opts.profile), force: opts.force };
  const stages: StageOutcome[] = [];
  const written: string[] = [];
  // The job's clock in every stage line: where the minutes go, without a profiler.
  const started = performance.now();
  const clock = (from = started) => formatDuration((performance.now() - from) / 1000);
  const stage = async (spec: Parameters<typeof runStage>[0]) => {
    log(`== ${spec.name} (at ${clock()})`);
    const t0 = performance.now();
    const outcome = await runStage(spec, stageOpts);
    log(`   ${outcome.status === "skipped" ? "up to date, skipped" : `done in ${clock(t0)}`}`);
    stages.push(outcome);
    written.push(...spec.outputs);
    return outcome;
  };

  // Data: the synthetic set unless a LiTS folder is given.
  const size = opts.size ?? 512;
  const dataRoot = opts.data ?? at("data", size === 512 ? "synthetic" : `synthetic-${size}`);
  const dataKey = opts.data
    ? { folder: opts.data, cases: (await indexDataset(opts.data)).map((c) => [c.id, c.shape]) }
    : {
      synthetic: {
        cases: opts.cases ?? DEFAULT_SYNTHETIC_CASES,
        seed: opts.seed ?? DEFAULT_SYNTHETIC_SEED,
        size,
      },
    };
  const data = await stage({
    name: "data",
    key: dataKey,
    outputs: [dataRoot],
    run: async () => {
      if (opts.data) return; // an existing folder: indexing above checked it
      const total = opts.cases ?? DEFAULT_SYNTHETIC_CASES;
      const bar = createProgress({ total, label: "synthetic CT" });
      const summary = await writeSyntheticSet({
        out: dataRoot,
        cases: total,
        seed: opts.seed ?? DEFAULT_SYNTHETIC_SEED,
        size,
        onProgress: (done) => bar.update(done),
      });
      bar.done({ seconds: summary.seconds.toFixed(1) });
    },
  });

  // Training: each experiment at the profile, in a run folder named by its config digest,
  // two processes at a time; a run killed earlier resumes from its last checkpoint.
  const experiments = [...MAIN_EXPERIMENTS, ...(opts.skipAblations ? [] : ABLATION_EXPERIMENTS)];
  const runs: Record<string, string> = {};
  const configs: Record<string, ExperimentConfig> = {};
  const trained: Record<string, StageOutcome> = {};
  const jobs: TrainJob[] = [];
  log(`== training (at ${clock()})`);
  for (const name of experiments) {
    const experiment = at("experiments", `${name}.json`);
    const cfg = await profileExperiment(name, opts.profile, dataRoot, at("experiments"));
    // Post-processing acts after training: changing it reruns the cascade, not the training.
    const key = { config: { ...cfg, postprocess: undefined }, data: data.digest };
    const digest = await digestOf(key);
    const runDir = at("results", "runs", cfg.name, `${opts.profile}-${digest.slice(0, 10)}`);
    const outputs = [runPaths(runDir).checkpoints.best];
    runs[name] = runDir;
    configs[name] = cfg;
    written.push(runDir);
    const status = await stageStatus({ name: `train-${name}`, key, outputs }, stageOpts);
    trained[name] = { name: `train-${name}`, status: status.upToDate ? "skipped" : "ran", digest };
    if (status.upToDate) {
      log(`   ${name}: up to date (${runDir})`);
      continue;
    }
    // A kill between a checkpoint's renames leaves only last.old: that run resumes too.
    const resume = (await checkpointDir(runPaths(runDir).checkpoints.last)) !== null;
    log(`   ${name}: ${resume ? "resuming" : "training"} ${runDir}`);
    jobs.push({
      name,
      experiment,
      profile: opts.profile,
      data: dataRoot,
      runDir,
      resume,
      backend: opts.backend,
      // The four liver-model runs share one data config: the later ones read its cases here.
      cache: at("results", "cache"),
    });
  }
  // The cascade needs the liver and tumor runs only: it starts once both are trained, beside
  // the ablations still training.
  const cascade = async () => {
    const predDir = at("results", "predictions", opts.profile);
    const tests = await testCases(dataRoot, configs.liver);
    const testIds = tests.map((c) => c.id);
    const predict = await stage({
      name: "predict",
      key: {
        liver: trained.liver.digest,
        tumor: trained.tumor.digest,
        postprocess: configs.liver.postprocess,
      },
      outputs: [predDir],
      run: async () => {
        await Deno.remove(predDir, { recursive: true }).catch(() => {});
        // One thread whether or not a run trains beside it: the same masks every time.
        const backend = await initBackend(opts.backend ?? configs.liver.train.backend, {
          threads: 1,
        });
        log(`   backend ${describeBackend(backend)}`);
        const liver = withPostprocessOf(await loadRunModel(runs.liver), configs.liver);
        const tumor = await loadRunModel(runs.tumor);
        const bar = createProgress({ total: testIds.length, label: "cascade" });
        try {
          await predictCases({
            data: dataRoot,
            cases: testIds,
            out: predDir,
            liver,
            tumor,
            onCase: (i, _n, c) => bar.update(i, { case: c.id }),
          });
        } finally {
          liver.model.dispose();
          tumor.model.dispose();
        }
        bar.done();
      },
    });
    const evalPath = at("results", "evaluation", `${opts.profile}.json`);
    const evaluation = await stage({
      name: "evaluate",
      key: { predict: predict.digest },
      outputs: [evalPath],
      run: async () => {
        await evaluateTestCases(tests, { dataRoot, predictionsDir: predDir, evalPath });
      },
    });
    return { evalPath, evaluation };
  };
  const mainLeft = new Set<string>(MAIN_EXPERIMENTS.filter((n) => jobs.some((j) => j.name === n)));
  let cascading: ReturnType<typeof cascade> | undefined;
  const startCascade = () => {
    cascading = cascade();
    cascading.catch(() => {}); // handled below, once training has ended
  };
  if (mainLeft.size === 0) startCascade();
  // A failed training run is thrown once the cascade (when it started) has ended.
  const trainingError = await runTrainJobs(jobs, {
    concurrency: opts.concurrency ?? 2,
    log: (line) => log(`   ${line}`),
    onStart: (job) => log(`   ${job.name}: started (at ${clock()})`),
    onDone: async (job) => {
      log(`   ${job.name}: trained (at ${clock()})`);
      await stampStage(`train-${job.name}`, trained[job.name].digest, stageOpts);
      if (mainLeft.delete(job.name) && mainLeft.size === 0) startCascade();
    },
  }).then(() => undefined, (err: unknown) => err);
  const cascaded = await cascading;
  if (trainingError !== undefined) throw trainingError;
  stages.push(...Object.values(trained));
  const { evalPath, evaluation } = cascaded!;

  // Tables V, VI and the ablation table.
  const tablesDir = at("results", "tables", opts.profile);
  const tables = await stage({
    name: "tables",
    key: { evaluation: evaluation.digest, runs: Object.values(trained).map((t) => t.digest) },
    outputs: [tablesDir],
    run: async () => {
      const evaluation = parseEvaluationJson(await Deno.readTextFile(evalPath), evalPath);
      const ablation = opts.skipAblations
        ? undefined
        : await Promise.all(ABLATION_VARIANTS.map((n) => readAblationRun(runs[n])));
      await writeTables(tablesDir, resultTables({ evaluation, ablation }));
    },
  });

  // The notebooks, executed against the finished runs, and their HTML reports.
  if (!opts.skipNotebooks) {
    const notebooksDir = at("notebooks");
    const sources = [];
    for await (const e of Deno.readDir(notebooksDir)) {
      if (e.name.endsWith(".ipynb") && !e.name.startsWith("_")) {
        sources.push(await Deno.readTextFile(join(notebooksDir, e.name)));
      }
    }
    await stage({
      name: "notebooks",
      key: { tables: tables.digest, sources: sources.sort() },
      outputs: [at("results", "notebooks"), at("results", "reports")],
      run: async () => {
        await runNotebooks({
          notebooksDir,
          outDir: at("results", "notebooks"),
          reportsDir: at("results", "reports"),
          parameters: notebookParameters(opts.profile, dataRoot, runs, root),
          // With `train: false` each notebook reads finished runs only: two kernels at once.
          concurrency: opts.concurrency ?? 2,
          onProgress: (e) => log(`   ${e.notebook}: cell ${e.cell}/${e.cells}`),
        });
      },
    });
  }
  return { stages, written, runs };
}

/** The values the notebooks' parameters cells receive (paths relative to `notebooks/`). */
function notebookParameters(
  profile: ProfileName,
  dataRoot: string,
  runs: Record<string, string>,
  root: string,
): Record<string, string | boolean> {
  const fromNotebooks = (p: string) => join("..", relativeTo(root, p));
  const params: Record<string, string | boolean> = {
    profile,
    dataRoot: fromNotebooks(dataRoot),
    train: false,
  };
  for (const [name, dir] of Object.entries(runs)) params[`${camel(name)}Run`] = fromNotebooks(dir);
  return params;
}

function relativeTo(root: string, p: string): string {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
