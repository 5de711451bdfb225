import assert from "node:assert/strict";
import { defineCli, formatUsage, intList, parseCli, UsageError } from "./cli_args.ts";

const CLI = defineCli({
  name: "demo",
  summary: "A demo task.",
  positionals: { name: "FILE...", help: "input files", min: 1 },
  flags: {
    epochs: { type: "int", min: 1, help: "epochs to train" },
    lr: { type: "number", greaterThan: 0, default: 0.001, help: "learning rate" },
    profile: { type: "string", choices: ["smoke", "cpu"], default: "cpu", help: "profile" },
    run: { type: "string", multiple: true, value: "DIR", help: "a run folder" },
    quiet: { type: "boolean", short: "q", help: "no progress" },
  },
});

function assertThrows(fn: () => unknown, _cls: typeof UsageError): UsageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err;
  }
  throw new assert.AssertionError({ message: "expected a UsageError" });
}

function parsed(args: string[]) {
  const p = parseCli(CLI, args);
  if (p === "help") throw new Error("unexpected help");
  return p;
}

Deno.test("parseCli: typed values, defaults and repeated flags", () => {
  const p = parsed(["a.nii", "--epochs", "3", "--run", "x", "--run=y", "-q", "b b.nii"]);
  assert.deepEqual(p.positionals, ["a.nii", "b b.nii"]);
  assert.deepEqual(p.flags.epochs, 3);
  assert.deepEqual(p.flags.lr, 0.001);
  assert.deepEqual(p.flags.profile, "cpu");
  assert.deepEqual(p.flags.run, ["x", "y"]);
  assert.deepEqual(p.flags.quiet, true);
  const q = parsed(["a", "--lr", "1e-4", "--profile", "smoke"]);
  assert.deepEqual([q.flags.epochs, q.flags.lr, q.flags.profile, q.flags.run, q.flags.quiet], [
    undefined,
    1e-4,
    "smoke",
    [],
    false,
  ]);
});

Deno.test("parseCli: --help and -h", () => {
  assert.deepEqual(parseCli(CLI, ["--help"]), "help");
  assert.deepEqual(parseCli(CLI, ["-h"]), "help");
});

Deno.test("parseCli: every bad command line is a UsageError naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["a", "--frobnicate"], /unknown flag --frobnicate/],
    [["a", "--epochs"], /--epochs needs a value/],
    [["a", "--epochs", "-2"], /--epochs must be an integer >= 1, got "-2"/],
    [["a", "--epochs", "0"], /--epochs must be an integer >= 1, got "0"/],
    [["a", "--epochs", "2.5"], /--epochs must be an integer/],
    [["a", "--epochs", "ten"], /--epochs must be an integer/],
    [["a", "--epochs="], /--epochs must be an integer/],
    [["a", "--lr", "0"], /--lr must be a number > 0, got "0"/],
    [["a", "--lr", "NaN"], /--lr must be a number > 0/],
    [["a", "--lr", "Infinity"], /--lr must be a number > 0/],
    [["a", "--profile", "fast"], /--profile must be one of smoke, cpu, got "fast"/],
    [["a", "--quiet=yes"], /--quiet takes no value/],
    [["a", "--run", "--quiet"], /--run needs a value/],
    [["a", "--run="], /--run needs a value/],
    [[], /missing FILE\.\.\./],
  ];
  for (const [args, message] of cases) {
    const err = assertThrows(() => parseCli(CLI, args), UsageError);
    assert.match(err.message, message, args.join(" "));
  }
});

Deno.test("parseCli: no positionals unless declared; positional choices and limits", () => {
  const none = defineCli({ name: "x", summary: "x", flags: {} });
  assert.match(
    assertThrows(() => parseCli(none, ["extra"]), UsageError).message,
    /unexpected argument extra/,
  );
  const choice = defineCli({
    name: "bench",
    summary: "b",
    flags: {},
    positionals: { name: "NAME", help: "benchmark", max: 2, choices: ["load", "train"] },
  });
  assert.deepEqual((parseCli(choice, ["load"]) as { positionals: string[] }).positionals, ["load"]);
  assert.match(
    assertThrows(() => parseCli(choice, ["--help2"]), UsageError).message,
    /unknown flag --help2/,
  );
  assert.match(
    assertThrows(() => parseCli(choice, ["nope"]), UsageError).message,
    /unknown NAME nope/,
  );
  assert.match(
    assertThrows(() => parseCli(choice, ["load", "train", "load"]), UsageError).message,
    /at most 2/,
  );
});

Deno.test("formatUsage explains every flag, its range and default", () => {
  const text = formatUsage(CLI);
  assert.match(text, /^usage: deno task demo FILE\.\.\. \[options\]/);
  for (
    const flag of [
      "--epochs N",
      "--lr X",
      "--profile smoke\\|cpu",
      "--run DIR",
      "-q, --quiet",
      "-h, --help",
    ]
  ) {
    assert.match(text, new RegExp(flag));
  }
  assert.match(text, /epochs to train \(an integer >= 1\)/);
  assert.match(text, /learning rate \(a number > 0; default 0\.001\)/);
  assert.match(text, /a run folder \(repeatable\)/);
});

Deno.test("intList", () => {
  assert.deepEqual(intList("cases", "1, 2,3"), [1, 2, 3]);
  for (const bad of ["", "1,,2", "a", "1.5", "-1"]) {
    assert.ok(assertThrows(() => intList("cases", bad), UsageError).message.includes("--cases"));
  }
});

Deno.test("runCli exits 0 on --help, 2 on a usage error (no stack trace), 1 on an error", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  const mod = new URL("./cli_args.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { defineCli, runCli } from "${mod}";
const CLI = defineCli({ name: "t", summary: "s", flags: { n: { type: "int", min: 1, help: "n" } } });
await runCli(CLI, ({ flags }) => {
  if (flags.n === 7) throw new Error("seven is bad");
  console.log("n", flags.n);
  // An open timer would keep the process alive without runCli's exit.
  setInterval(() => {}, 1000);
});
`,
  );
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  try {
    const ok = await run("--n", "3");
    assert.deepEqual([ok.code, ok.stdout], [0, "n 3\n"]);
    const help = await run("--help");
    assert.deepEqual(help.code, 0);
    assert.match(help.stdout, /--n N +n \(an integer >= 1\)/);
    const bad = await run("--n", "-2");
    assert.deepEqual(bad.code, 2);
    assert.match(bad.stderr, /^deno task t: --n must be an integer >= 1, got "-2"\n\nusage:/);
    assert.ok(!bad.stderr.includes("    at "), bad.stderr);
    const failed = await run("--n", "7");
    assert.deepEqual([failed.code, failed.stderr], [1, "t: seven is bad\n"]);
  } finally {
    await Deno.remove(script);
  }
});
