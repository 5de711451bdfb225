/**
 * The steps after training, one implementation for `deno task reproduce`, notebook 05 and
 * the CLIs: the test cases of a split, the cascade on them, their LiTS evaluation under the
 * data set's one name, and the result tables (V, VI, the ablation) from an evaluation and
 * ablation runs.
 *
 * @example
 * ```ts
 * const cases = await testCases(dataRoot, liver.config);
 * await predictCases({ data: dataRoot, cases: cases.map((c) => c.id), out, liver, tumor });
 * const ev = await evaluateTestCases(cases, { dataRoot, predictionsDir: out, evalPath });
 * await writeTables(tablesDir, resultTables({ evaluation: ev }));
 * ```
 * @module
 */
import type { ExperimentConfig } from "../config/experiment.ts";
import { type CaseEntry, datasetSplit } from "../data/dataset.ts";
import { isSyntheticSet } from "../data/synthetic.ts";
import { evaluateFolders, type Evaluation, writeEvaluation } from "../metrics/evaluate.ts";
import { type AblationRun, ablationTable, type Table, tableV, tableVI } from "../reports/tables.ts";

/** The test cases of `cfg`'s split of `dataRoot`. */
export async function testCases(
  dataRoot: string,
  cfg: Pick<ExperimentConfig, "data">,
): Promise<CaseEntry[]> {
  return (await datasetSplit(dataRoot, cfg.data.split)).test;
}

/**
 * The data set's name in evaluations and tables: `synthetic` for a folder the synthetic
 * generator wrote (it holds `synthetic.json`), else `LiTS (<folder>)`.
 */
export async function datasetName(dataRoot: string): Promise<string> {
  return await isSyntheticSet(dataRoot) ? "synthetic" : `LiTS (${dataRoot})`;
}

/** Where {@link evaluateTestCases} reads and writes. */
export interface EvaluateTestCasesOptions {
  dataRoot: string;
  /** Folder of the cases' `prediction-N.nii.gz`. */
  predictionsDir: string;
  /** The evaluation JSON to write. */
  evalPath: string;
}

/** LiTS metrics of the cases' predictions (`evaluateFolders`), written to `evalPath`. */
export async function evaluateTestCases(
  cases: CaseEntry[],
  opts: EvaluateTestCasesOptions,
): Promise<Evaluation> {
  const evaluation = await evaluateFolders(opts.predictionsDir, opts.dataRoot, {
    dataset: await datasetName(opts.dataRoot),
    ids: cases.map((c) => String(c.id)),
  });
  await writeEvaluation(opts.evalPath, evaluation);
  return evaluation;
}

/** The result tables of what is given: Tables V and VI of an evaluation, the 2x2 of runs. */
export function resultTables(
  from: { evaluation?: Evaluation; ablation?: AblationRun[] },
): Record<string, Table> {
  const tables: Record<string, Table> = {};
  if (from.evaluation) {
    tables.table5 = tableV(from.evaluation);
    tables.table6 = tableVI(from.evaluation);
  }
  if (from.ablation) tables.ablation = ablationTable(from.ablation);
  return tables;
}
