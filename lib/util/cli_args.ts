/**
 * Strict command-line parsing for every task (`cli/*.ts`, `bench/run.ts`): each flag is
 * declared once with a one-line explanation; `--help`/`-h` prints the usage with every flag
 * explained (exit 0); an unknown flag, a missing value, a bad number or a value out of range
 * prints the problem and the usage to stderr and exits with code 2, without a stack trace.
 * Built on `node:util` `parseArgs` in strict mode.
 *
 * {@linkcode runCli} also ends the process with the task's status once its work is done (the
 * wasm backend's worker threads and open handles would otherwise keep it alive): 0 on success,
 * 1 with `task: message` on an error, 2 on a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { defineCli, runCli } from "../lib/util/cli_args.ts";
 *
 * const CLI = defineCli({
 *   name: "sweep",
 *   summary: "Train every point of a grid of experiment settings.",
 *   positionals: { name: "EXPERIMENT.json", help: "the base experiment", min: 1, max: 1 },
 *   flags: {
 *     epochs: { type: "int", min: 1, help: "epochs per point" },
 *     lr: { type: "number", greaterThan: 0, default: 1e-3, help: "learning rate" },
 *     profile: { type: "string", choices: ["smoke", "cpu", "paper"], default: "cpu", help: "profile" },
 *     dry: { type: "boolean", help: "print the points and exit" },
 *   },
 * });
 *
 * if (import.meta.main) {
 *   await runCli(CLI, async ({ flags, positionals }) => {
 *     // flags.epochs: number | undefined, flags.lr: number, flags.profile: string, flags.dry: boolean
 *     console.log(positionals[0], flags.epochs, flags.lr, flags.profile, flags.dry);
 *   });
 * }
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { BACKENDS, PROFILES } from "../config/experiment.ts";

/** A flag without a value: `--quiet`. Its value is `false` unless given. */
export interface BooleanFlag {
  type: "boolean";
  help: string;
  short?: string;
}

/** A text flag: `--data DIR`; `multiple` collects every use (`--run A --run B`). */
export interface StringFlag {
  type: "string";
  help: string;
  short?: string;
  /** Placeholder in the usage (default `VALUE`, or the choices). */
  value?: string;
  default?: string;
  /** The only accepted values. */
  choices?: readonly string[];
  multiple?: boolean;
}

/** A number flag: `int` accepts whole numbers only; bounds are checked and named in errors. */
export interface NumberFlag {
  type: "int" | "number";
  help: string;
  short?: string;
  value?: string;
  default?: number;
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** The value must be greater than this (exclusive), e.g. 0 for a positive duration. */
  greaterThan?: number;
}

export type FlagSpec = BooleanFlag | StringFlag | NumberFlag;

/** The positional arguments a task takes (none when absent). */
export interface PositionalSpec {
  /** Placeholder in the usage, e.g. `EXPERIMENT.json` or `FILE...`. */
  name: string;
  help: string;
  /** Fewest accepted (default 0). */
  min?: number;
  /** Most accepted (default unlimited). */
  max?: number;
  /** The only accepted values. */
  choices?: readonly string[];
}

/** One task's command line. */
export interface CliSpec<F extends Record<string, FlagSpec> = Record<string, FlagSpec>> {
  /** The task name, as in `deno task NAME`. */
  name: string;
  /** One or two sentences on what the task does. */
  summary: string;
  flags: F;
  positionals?: PositionalSpec;
  /** Extra lines after the options (examples, notes). */
  notes?: string;
}

/** The parsed value of one flag, typed from its spec. */
export type FlagValue<S extends FlagSpec> = S extends BooleanFlag ? boolean
  : S extends StringFlag ? S extends { multiple: true } ? string[]
    : S extends { default: string } ? string
    : string | undefined
  : S extends { default: number } ? number
  : number | undefined;

/** What {@linkcode parseCli} returns. */
export interface ParsedCli<F extends Record<string, FlagSpec>> {
  flags: { [K in keyof F]: FlagValue<F[K]> };
  positionals: string[];
}

/** What a task's `main` receives: `async function main({ flags }: CliArgs<typeof CLI>)`. */
export type CliArgs<S> = S extends CliSpec<infer F> ? ParsedCli<F> : never;

/** A bad command line: {@linkcode runCli} prints it with the usage and exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Declare a task's command line (an identity that keeps the flag types). */
export function defineCli<F extends Record<string, FlagSpec>>(spec: CliSpec<F>): CliSpec<F> {
  return spec;
}

function placeholder(flag: FlagSpec): string {
  if (flag.type === "boolean") return "";
  if (flag.value) return ` ${flag.value}`;
  if (flag.type === "string") return flag.choices ? ` ${flag.choices.join("|")}` : " VALUE";
  return flag.type === "int" ? " N" : " X";
}

function rangeText(flag: NumberFlag): string {
  const parts: string[] = [];
  if (flag.greaterThan !== undefined) parts.push(`> ${flag.greaterThan}`);
  if (flag.min !== undefined) parts.push(`>= ${flag.min}`);
  if (flag.max !== undefined) parts.push(`<= ${flag.max}`);
  const kind = flag.type === "int" ? "an integer" : "a number";
  return parts.length ? `${kind} ${parts.join(" and ")}` : kind;
}

/** The usage text: the command, the summary, every argument and flag with its explanation. */
export function formatUsage(spec: CliSpec): string {
  const pos = spec.positionals;
  const posText = pos ? ((pos.min ?? 0) > 0 ? ` ${pos.name}` : ` [${pos.name}]`) : "";
  const lines = [`usage: deno task ${spec.name}${posText} [options]`, "", spec.summary];
  if (pos) {
    lines.push("", "arguments:");
    const choices = pos.choices ? ` (${pos.choices.join(", ")})` : "";
    lines.push(`  ${pos.name.padEnd(26)} ${pos.help}${choices}`);
  }
  lines.push("", "options:");
  const entries: [string, string][] = Object.entries(spec.flags).map(([name, flag]) => {
    const short = flag.short ? `-${flag.short}, ` : "";
    const notes: string[] = [];
    if (flag.type === "int" || flag.type === "number") notes.push(rangeText(flag));
    if (flag.type === "string" && flag.multiple) notes.push("repeatable");
    if (flag.type !== "boolean" && flag.default !== undefined) {
      notes.push(`default ${flag.default}`);
    }
    const note = notes.length ? ` (${notes.join("; ")})` : "";
    return [`${short}--${name}${placeholder(flag)}`, `${flag.help}${note}`];
  });
  entries.push(["-h, --help", "print this help and exit"]);
  for (const [left, right] of entries) {
    lines.push(
      left.length > 26 ? `  ${left}\n  ${" ".repeat(27)}${right}` : `  ${left.padEnd(26)} ${right}`,
    );
  }
  if (spec.notes) lines.push("", spec.notes);
  return lines.join("\n");
}

/**
 * `--epochs -2` or `--cases -1` is meant as a value: join it (`--epochs=-2`) so parseArgs
 * does not call it ambiguous, and the range check names the flag and the value.
 */
function joinNegativeNumbers(spec: CliSpec, args: readonly string[]): string[] {
  const numeric = new Set(
    Object.entries(spec.flags).flatMap(([name, f]) =>
      f.type !== "boolean" ? [`--${name}`, ...(f.short ? [`-${f.short}`] : [])] : []
    ),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (numeric.has(args[i]) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** parseArgs' messages, shortened to the flag and the problem. */
function usageMessage(err: Error & { code?: string }): string {
  const msg = err.message.split("\n")[0];
  // "Option '-q, --quiet' ..." names the long flag last.
  const flag = msg.match(/'(?:-\w, )?(-[^' ]+)/)?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag ?? msg}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(msg)) return `${flag} takes no value`;
      if (/ambiguous/.test(msg)) {
        return `${flag} needs a value (write ${flag}=-VALUE for one starting with -)`;
      }
      return `${flag} needs a value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${msg.match(/'([^']*)'/)?.[1] ?? msg}`;
    default:
      return msg;
  }
}

function parseNumber(name: string, flag: NumberFlag, text: string): number {
  const v = text.trim() === "" ? NaN : Number(text);
  const ok = Number.isFinite(v) && (flag.type === "number" || Number.isInteger(v)) &&
    (flag.min === undefined || v >= flag.min) && (flag.max === undefined || v <= flag.max) &&
    (flag.greaterThan === undefined || v > flag.greaterThan);
  if (!ok) throw new UsageError(`--${name} must be ${rangeText(flag)}, got "${text}"`);
  return v;
}

/**
 * Parse `args` against `spec`, or `"help"` when `--help`/`-h` is given. Throws a
 * {@linkcode UsageError} naming the flag on any problem; {@linkcode runCli} does the printing.
 */
export function parseCli<F extends Record<string, FlagSpec>>(
  spec: CliSpec<F>,
  args: readonly string[],
): ParsedCli<F> | "help" {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = { help: { type: "boolean", short: "h" } };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = {
      type: flag.type === "boolean" ? "boolean" : "string",
      ...(flag.short ? { short: flag.short } : {}),
      ...(flag.type === "string" && flag.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(spec, args),
      options,
      strict: true,
      allowPositionals: spec.positionals !== undefined,
    });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error));
  }
  if (parsed.values.help) return "help";
  const flags: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    const raw = parsed.values[name];
    if (flag.type === "boolean") {
      flags[name] = raw === true;
    } else if (flag.type === "string") {
      const list = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
      for (const v of list) {
        if (flag.choices && !flag.choices.includes(v)) {
          throw new UsageError(`--${name} must be one of ${flag.choices.join(", ")}, got "${v}"`);
        }
        if (v === "") throw new UsageError(`--${name} needs a value, got ""`);
      }
      flags[name] = flag.multiple ? list : list[0] ?? flag.default;
    } else {
      flags[name] = raw === undefined ? flag.default : parseNumber(name, flag, String(raw));
    }
  }
  const positionals = parsed.positionals;
  const pos = spec.positionals;
  if (pos) {
    if (positionals.length < (pos.min ?? 0)) {
      throw new UsageError(`missing ${pos.name}`);
    }
    if (pos.max !== undefined && positionals.length > pos.max) {
      throw new UsageError(
        `expected at most ${pos.max} ${pos.name}, got ${positionals.length}: ${
          positionals.join(" ")
        }`,
      );
    }
    const bad = pos.choices ? positionals.filter((p) => !pos.choices!.includes(p)) : [];
    if (bad.length) {
      throw new UsageError(
        `unknown ${pos.name} ${bad.join(", ")} (one of ${pos.choices!.join(", ")})`,
      );
    }
  }
  return { flags: flags as ParsedCli<F>["flags"], positionals };
}

/**
 * Run a task: parse `Deno.args` (or `args`) against `spec`, call `main`, then exit with its
 * status (`main`'s number, or 0). `--help` prints the usage to stdout and exits 0; a
 * {@linkcode UsageError} (from parsing or thrown by `main`) prints the message and the usage to
 * stderr and exits 2; any other error prints `NAME: message` (no stack trace) and exits 1.
 */
export async function runCli<F extends Record<string, FlagSpec>>(
  spec: CliSpec<F>,
  main: (args: ParsedCli<F>) => Promise<number | void> | number | void,
  args: readonly string[] = Deno.args,
): Promise<never> {
  let code: number;
  try {
    const parsed = parseCli(spec, args);
    if (parsed === "help") {
      console.log(formatUsage(spec));
      code = 0;
    } else {
      code = (await main(parsed)) ?? 0;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`deno task ${spec.name}: ${err.message}\n\n${formatUsage(spec)}`);
      code = 2;
    } else {
      console.error(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
      code = 1;
    }
  }
  Deno.exit(code);
}

/**
 * A comma-separated list of whole numbers (`--cases 1,2,3`), or a {@linkcode UsageError}
 * naming the flag.
 *
 * @example
 * ```ts
 * intList("cases", "1, 2,3"); // [1, 2, 3]
 * ```
 */
export function intList(flag: string, text: string): number[] {
  return text.split(",").map((s) => {
    const v = s.trim() === "" ? NaN : Number(s);
    if (!Number.isInteger(v) || v < 0) {
      throw new UsageError(`--${flag} wants whole numbers separated by commas, got "${text}"`);
    }
    return v;
  });
}

/** `--profile`, shared by the tasks that load an experiment. */
export const PROFILE_FLAG = {
  type: "string",
  choices: PROFILES,
  default: "cpu",
  help: "experiment scale: smoke (tests), cpu (this machine) or paper (the paper's settings)",
} as const satisfies StringFlag;

/** `--backend`, shared by the tasks that run a model. */
export const BACKEND_FLAG = {
  type: "string",
  choices: BACKENDS,
  help: "compute backend (default: the config's, or auto = the fastest that loads)",
} as const satisfies StringFlag;
