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

/** SHA-256 hex digest of a value's canonical JSON (object keys sorted). */
export async function digestOf(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Run a stage unless its stamp and outputs show it is up to date. */
export async function runStage(spec: StageSpec, opts: StageOptions): Promise<StageOutcome> {
  const digest = await digestOf(spec.key);
  const stampPath = `${opts.stampDir}/${spec.name}.json`;
  if (!opts.force) {
    const stamp = await Deno.readTextFile(stampPath).then(JSON.parse).catch(() => null);
    const outputsPresent = (await Promise.all(spec.outputs.map(exists))).every(Boolean);
    if (stamp?.digest === digest && outputsPresent) {
      return { name: spec.name, status: "skipped", digest };
    }
  }
  await spec.run();
  await writeJsonAtomic(stampPath, { name: spec.name, digest, finished: new Date().toISOString() });
  return { name: spec.name, status: "ran", digest };
}
