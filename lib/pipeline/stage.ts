/**
 * Up-to-date checks for the stages of `deno task reproduce`: a stage is
 * skipped when its stamp records the same key (the config and upstream
 * stamps that determine its outputs) and every output still exists.
 *
 * @example
 * ```ts
 * const outcome = await runStage({
 *   name: "data",
 *   key: { cases: 12, seed: 0 },
 *   outputs: ["data/synthetic"],
 *   run: async () => {},
 * }, { stampDir: "results/.stamps" });
 * ```
 * @module
 */
import { writeJsonAtomic } from "../util/atomic.ts";
import { exists } from "../util/fs.ts";
import { digestOf } from "../util/digest.ts";

/** One stage of the pipeline. */
export interface StageSpec {
  name: string;
  /** Everything that determines the outputs; any change reruns the stage. */
  key: unknown;
  /** Files or folders the stage writes; a missing one reruns the stage. */
  outputs: string[];
  run: () => Promise<void>;
}

export interface StageOptions {
  stampDir: string;
  /** Rerun even when up to date. */
  force?: boolean;
}

/** What happened to a stage, and the digest of its key (for downstream keys). */
export interface StageOutcome {
  name: string;
  status: "ran" | "skipped";
  digest: string;
}

/** Whether `spec` is up to date (same key digest and every output present). */
export async function stageStatus(
  spec: Omit<StageSpec, "run">,
  opts: StageOptions,
): Promise<{ upToDate: boolean; digest: string }> {
  const digest = await digestOf(spec.key);
  if (opts.force) return { upToDate: false, digest };
  const stamp = await Deno.readTextFile(stampPath(spec.name, opts))
    .then(JSON.parse)
    .catch(() => null);
  const outputsPresent = (await Promise.all(spec.outputs.map(exists))).every(Boolean);
  return { upToDate: stamp?.digest === digest && outputsPresent, digest };
}

/** Record that stage `name` finished with the key whose digest is `digest`. */
export async function stampStage(name: string, digest: string, opts: StageOptions): Promise<void> {
  await writeJsonAtomic(stampPath(name, opts), {
    name,
    digest,
    finished: new Date().toISOString(),
  });
}

function stampPath(name: string, opts: StageOptions): string {
  return `${opts.stampDir}/${name}.json`;
}

/** Run a stage unless its stamp and outputs show it is up to date. */
export async function runStage(spec: StageSpec, opts: StageOptions): Promise<StageOutcome> {
  const { upToDate, digest } = await stageStatus(spec, opts);
  if (upToDate) return { name: spec.name, status: "skipped", digest };
  await spec.run();
  await stampStage(spec.name, digest, opts);
  return { name: spec.name, status: "ran", digest };
}
