/**
 * The paper's experiments by name (`experiments/<name>.json`) and loading one at a profile:
 * the configs `deno task reproduce`, the sweep and the notebooks train and load runs of.
 *
 * @example
 * ```ts
 * const cfg = await profileExperiment("liver", "cpu", "../data/synthetic");
 * ```
 * @module
 */
import { join } from "node:path";
import type { ExperimentConfig, ProfileName } from "./experiment.ts";
import { loadExperiment } from "./load.ts";

/** The cascade's two models. */
export const MAIN_EXPERIMENTS = ["liver", "tumor"] as const;
/** The 2x2 ablation of the liver model, less the liver model itself. */
export const ABLATION_EXPERIMENTS = [
  "ablation-relu",
  "ablation-transposed",
  "ablation-relu-transposed",
] as const;
/** The four cells of the 2x2: the paper's liver model and its three variants. */
export const ABLATION_VARIANTS: readonly string[] = ["liver", ...ABLATION_EXPERIMENTS];

/**
 * `<experimentsDir>/<name>.json` at `profile`, reading its data from `dataRoot`:
 * the config a notebook (or `deno task reproduce`) trains and loads runs of.
 */
export function profileExperiment(
  name: string,
  profile: string,
  dataRoot: string,
  experimentsDir = "../experiments",
): Promise<ExperimentConfig> {
  // The loader rejects a profile the file does not define, naming the file.
  return loadExperiment(join(experimentsDir, `${name}.json`), {
    profile: profile as ProfileName,
    overrides: { data: { root: dataRoot } },
  });
}

function flattenJson(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenJson(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
}

/**
 * Settings (dotted keys) where two configs differ, as `key: a -> b`, leaving
 * out `ignore` (keys or key prefixes, e.g. `"model.activation"`, `"data"`).
 * Runs compared side by side (the ablation) should differ only where intended.
 */
export function configDifferences(a: unknown, b: unknown, ignore: string[] = []): string[] {
  const fa = new Map<string, string>(), fb = new Map<string, string>();
  flattenJson(a, "", fa);
  flattenJson(b, "", fb);
  const skip = (k: string) => ignore.some((p) => k === p || k.startsWith(`${p}.`));
  return [...new Set([...fa.keys(), ...fb.keys()])]
    .filter((k) => !skip(k) && fa.get(k) !== fb.get(k))
    .sort()
    .map((k) => `${k}: ${fa.get(k) ?? "(none)"} -> ${fb.get(k) ?? "(none)"}`);
}
