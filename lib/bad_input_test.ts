/**
 * The bad-input suite: bad flags, damaged NIfTI files, label maps and geometry that would
 * score wrongly, configs out of range, damaged run folders and checkpoints, each built here
 * in a temp folder. Every case must end in an error that names the file, key or flag and the
 * problem (a non-zero exit without a stack trace for the tasks), and leave nothing
 * half-written. Valid inputs that must keep working are checked alongside (big-endian,
 * NIfTI-2, 4D with one volume, paths with spaces and non-ASCII names).
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { loadExperiment } from "./config/load.ts";
import { gunzip, readNifti } from "./data/nifti_read.ts";
import { encodeNifti, gzip, writeNifti } from "./data/nifti_write.ts";
import { readSegmentation } from "./data/segmentation.ts";
import { writeSyntheticSet } from "./data/synthetic.ts";
import type { Vec3, Volume } from "./data/volume.ts";
import { evaluateFolders } from "./metrics/evaluate.ts";
import { readCheckpoint } from "./runs/checkpoint.ts";
import { trainExperiment } from "./train/loop.ts";
import { loadRun, loadRunModel } from "./runs/folder.ts";

const repo = new URL("../", import.meta.url).pathname;
const CONFIG = join(repo, "deno.json");
const LIVER = join(repo, "experiments", "liver.json");
const FIXTURES = join(repo, "lib", "data", "testdata");

const tmp = await Deno.makeTempDir({ prefix: "bad input é " });
addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** Every file below `dir`, relative, sorted: what a failed case must leave unchanged. */
function tree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const rel = join(prefix, e.name);
    out.push(rel);
    if (e.isDirectory) out.push(...tree(join(dir, e.name), rel));
  }
  return out.sort();
}

/** Run `f`, which must throw; its message must match every pattern. */
async function rejects(what: string, f: () => Promise<unknown>, ...patterns: RegExp[]) {
  let message: string | undefined;
  try {
    await f();
  } catch (err) {
    message = (err as Error).message;
  }
  assert.ok(message !== undefined, `${what}: no error`);
  for (const p of patterns) assert.match(message, p, `${what}: ${message}`);
}

// ---------------------------------------------------------------------------------------
// Flags: every task rejects them with exit 2, the flag named, the usage, no stack trace.

const FLAG_CASES: [string, string[], RegExp][] = [
  [
    "cli/train.ts",
    ["experiments/liver.json", "--epochs", "-2"],
    /--epochs must be an integer >= 1, got "-2"/,
  ],
  [
    "cli/train.ts",
    ["experiments/liver.json", "--epochs", "0"],
    /--epochs must be an integer >= 1, got "0"/,
  ],
  ["cli/train.ts", ["experiments/liver.json", "--epochs", "2.5"], /--epochs must be an integer/],
  [
    "cli/train.ts",
    ["experiments/liver.json", "--profile", "fast"],
    /--profile must be one of smoke, cpu, paper/,
  ],
  ["cli/train.ts", [], /missing EXPERIMENT\.json/],
  ["cli/train.ts", ["experiments/liver.json", "--backend", "gpu9"], /--backend must be one of/],
  ["cli/train.ts", ["experiments/liver.json", "--resume=yes"], /--resume takes no value/],
  [
    "cli/train.ts",
    ["experiments/liver.json", "--run-id", "a", "--run-dir", "b"],
    /--run-id or --run-dir, not both/,
  ],
  ["cli/inspect.ts", ["--frobnicate", "x.nii"], /unknown flag --frobnicate/],
  ["cli/inspect.ts", [], /missing FILE/],
  [
    "cli/predict.ts",
    ["--run", "a", "--run", "b", "--data", "d", "--batch", "0"],
    /--batch must be an integer >= 1, got "0"/,
  ],
  [
    "cli/predict.ts",
    ["--run", "a", "--run", "b", "--data", "d", "--checkpoint", "middle"],
    /--checkpoint must be one of best, last/,
  ],
  [
    "cli/predict.ts",
    ["--run", "a", "--run", "b", "--data", "d", "--cases", "1,x"],
    /--cases wants whole numbers/,
  ],
  ["cli/predict.ts", ["--run", "a", "--data", "d"], /give --run twice/],
  ["cli/evaluate.ts", ["--references", "r"], /--predictions is required/],
  [
    "cli/evaluate.ts",
    ["--predictions", "p", "--references", "r", "--cases", "-1"],
    /--cases wants whole numbers/,
  ],
  [
    "cli/validate.ts",
    ["--run", "r", "--margin", "-1"],
    /--margin must be an integer >= 0, got "-1"/,
  ],
  [
    "cli/validate.ts",
    ["--run", "r", "--set", "holdout"],
    /--set must be one of validation, test, train/,
  ],
  ["cli/data.ts", ["--cases", "0"], /--cases must be an integer >= 1/],
  ["cli/data.ts", ["--size", "abc"], /--size must be an integer >= 16 and <= 4096, got "abc"/],
  ["cli/reproduce.ts", ["--profile", "huge"], /--profile must be one of smoke, cpu, paper/],
  ["cli/reproduce.ts", ["--cases"], /--cases needs a value/],
  ["cli/notebooks.ts", ["--timeout", "0"], /--timeout must be a number > 0/],
  ["cli/notebooks.ts", ["-p", "1x=2"], /-p: parameter name "1x" is not an identifier/],
  [
    "cli/tables.ts",
    ["--ablation", "r", "--ablation-eval", "foo"],
    /--ablation-eval wants RUN_DIR=EVAL\.json/,
  ],
  ["bench/run.ts", ["nope"], /unknown NAME\.\.\. nope/],
];

Deno.test(`bad flags: ${FLAG_CASES.length} cases exit 2 naming the flag, with the usage`, async () => {
  const cwd = join(tmp, "flags");
  await Deno.mkdir(cwd);
  await Deno.symlink(join(repo, "experiments"), join(cwd, "experiments"));
  const before = tree(cwd);
  const run = async ([script, args, re]: (typeof FLAG_CASES)[number]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", CONFIG, join(repo, script), ...args],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    const what = `${script} ${args.join(" ")}`;
    assert.equal(out.code, 2, `${what}: exit ${out.code}\n${err}`);
    assert.match(err, re, what);
    assert.match(err, /\n\nusage: deno task /, what);
    assert.ok(!/^\s+at /m.test(err), `${what}: stack trace\n${err}`);
  };
  for (let i = 0; i < FLAG_CASES.length; i += 4) {
    await Promise.all(FLAG_CASES.slice(i, i + 4).map(run));
  }
  assert.deepEqual(tree(cwd), before, "a rejected command line wrote nothing");
});

// ---------------------------------------------------------------------------------------
// NIfTI files: damaged headers and data are errors naming the file and what is wrong.

const SHAPE: Vec3 = [12, 10, 6];
const AFFINE = [-1, 0, 0, 20, 0, -1, 0, 30, 0, 0, 2, -10, 0, 0, 0, 1];

function labelVolume(paint = 1, affine = AFFINE, shape = SHAPE): Volume {
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < data.length; i++) data[i] = i % 7 === 0 ? paint : i % 11 === 0 ? 2 : 0;
  return { data, shape, spacing: [affine[0] < 0 ? -affine[0] : affine[0], 1, affine[10]], affine };
}

/** A valid uncompressed NIfTI-1 label file's bytes. */
function niiBytes(vol = labelVolume()): Uint8Array {
  const [h, d] = encodeNifti(vol, "x.nii");
  const out = new Uint8Array(h.length + d.length);
  out.set(h);
  out.set(d, h.length);
  return out;
}

function edit(f: (dv: DataView, b: Uint8Array) => void, bytes = niiBytes()): Uint8Array {
  const b = bytes.slice();
  f(new DataView(b.buffer), b);
  return b;
}

const NIFTI_CASES: [string, () => Promise<Uint8Array> | Uint8Array | null, RegExp][] = [
  ["missing.nii", () => null, /no such file/],
  ["empty.nii", () => new Uint8Array(0), /not a NIfTI/],
  ["text.nii", () => new TextEncoder().encode("not an image\n".repeat(40)), /not a NIfTI/],
  ["truncated.nii", () => niiBytes().slice(0, 400), /truncated/],
  [
    "truncated.nii.gz",
    async () => (await gzip([niiBytes()])).slice(0, 60),
    /corrupt or truncated gzip/,
  ],
  ["corrupt.nii.gz", async () => {
    const b = await gzip([niiBytes()]);
    for (let i = 20; i < 40; i++) b[i] ^= 0x5a;
    return b;
  }, /corrupt or truncated gzip/],
  ["badmagic.nii", () => edit((_dv, b) => b.set([0x78, 0x78, 0x78], 344)), /bad magic/],
  ["complex.nii", () => edit((dv) => dv.setInt16(70, 32, true)), /unsupported datatype 32/],
  ["dim0.nii", () => edit((dv) => dv.setInt16(40, 0, true)), /invalid dim\[0\] = 0/],
  [
    "fourd.nii",
    () => edit((dv) => (dv.setInt16(40, 4, true), dv.setInt16(48, 3, true))),
    /4D image \(dim\[4\] = 3\); only 3D/,
  ],
  ["negdim.nii", () => edit((dv) => dv.setInt16(42, -12, true)), /invalid dimensions/],
  [
    "pixdim0.nii",
    () => edit((dv) => dv.setFloat32(80, 0, true)),
    /pixdim\[1\] = 0: the voxel size must be non-zero/,
  ],
  ["pixdimnan.nii", () => edit((dv) => dv.setFloat32(88, NaN, true)), /pixdim\[3\] = NaN/],
  ["voxoffset.nii", () => edit((dv) => dv.setFloat32(108, 100000, true)), /truncated/],
  ["nansform.nii", () => edit((dv) => dv.setFloat32(280, NaN, true)), /non-finite sform affine/],
];

Deno.test(`damaged NIfTI files: ${NIFTI_CASES.length} cases name the file and the problem`, async () => {
  const dir = join(tmp, "nifti");
  await Deno.mkdir(dir);
  for (const [name, make, re] of NIFTI_CASES) {
    const bytes = await make();
    const path = join(dir, name);
    if (bytes) await Deno.writeFile(path, bytes);
    await rejects(
      name,
      () => readNifti(path),
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `),
      re,
    );
  }
  // deno task inspect on all of them: exit 1, one line per file naming it, no stack trace.
  const files = NIFTI_CASES.map(([name]) => join(dir, name));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, join(repo, "cli/inspect.ts"), ...files],
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, err);
  for (const f of files) {
    assert.ok(err.includes(`error: ${f}: `), `inspect did not name ${f}:\n${err}`);
  }
  assert.ok(!/^\s+at /m.test(err), err);
  // A float file with a NaN voxel.
  const f = labelVolume();
  const nan = { ...f, data: Float32Array.from(f.data, (v, i) => (i === 5 ? NaN : v)) };
  await writeNifti(join(dir, "nan.nii"), nan);
  await rejects(
    "nan.nii",
    () => readNifti(join(dir, "nan.nii")),
    /nan\.nii: non-finite value NaN at voxel 5/,
  );
});

// ---------------------------------------------------------------------------------------
// Scoring and training inputs that would give a wrong number: labels, shapes, geometry.

async function evalDirs(name: string, pred: Volume | Uint8Array, ref: Volume = labelVolume()) {
  const base = join(tmp, "eval", name);
  await Deno.mkdir(join(base, "pred"), { recursive: true });
  await Deno.mkdir(join(base, "ref"), { recursive: true });
  await writeNifti(join(base, "ref", "segmentation-1.nii"), ref);
  if (pred instanceof Uint8Array) {
    await Deno.writeFile(join(base, "pred", "prediction-1.nii"), pred);
  } else await writeNifti(join(base, "pred", "prediction-1.nii.gz"), pred);
  return base;
}

const shifted = [...AFFINE];
shifted[3] += 1;
const resampled = [...AFFINE];
resampled[10] = 2.5;
const EVAL_CASES: [string, () => Promise<string>, RegExp[]][] = [
  [
    "reference labelled like TotalSegmentator (liver = 5)",
    () => evalDirs("ts", labelVolume(), labelVolume(5)),
    [/ref\/segmentation-1\.nii: unknown labels 5/],
  ],
  ["prediction with label 7", () => evalDirs("seven", labelVolume(7)), [
    /pred\/prediction-1\.nii\.gz: unknown labels 7/,
  ]],
  ["prediction with float labels", () => {
    const v = labelVolume();
    return evalDirs("float", { ...v, data: Float32Array.from(v.data, (x) => x * 0.75) });
  }, [/prediction-1\.nii\.gz: not a label image: value 0\.75/]],
  ["prediction with label -1", () => {
    const v = labelVolume();
    return evalDirs("negative", { ...v, data: Int16Array.from(v.data, (x) => (x === 2 ? -1 : x)) });
  }, [/prediction-1\.nii\.gz: not a label image: value -1/]],
  ["prediction of another shape", () => evalDirs("shape", labelVolume(1, AFFINE, [12, 10, 5])), [
    /case 1: .*prediction-1\.nii\.gz is not on the grid of .*segmentation-1\.nii: shape 12x10x5 != 12x10x6/,
  ]],
  ["prediction shifted by a voxel", () => evalDirs("shift", labelVolume(1, shifted)), [
    /prediction-1\.nii\.gz is not on the grid of .*segmentation-1\.nii: affines differ/,
    /1\.000 mm apart/,
  ]],
  ["prediction with another slice spacing", () => evalDirs("spacing", labelVolume(1, resampled)), [
    /affines differ/,
    /spacing 1x1x2\.5 vs 1x1x2 mm/,
  ]],
  [
    "prediction with pixdim 0",
    () => evalDirs("pixdim", edit((dv) => dv.setFloat32(84, 0, true))),
    [/prediction-1\.nii: pixdim\[2\] = 0/],
  ],
  ["no prediction for a reference", async () => {
    const base = await evalDirs("missing", labelVolume());
    await writeNifti(join(base, "ref", "segmentation-2.nii"), labelVolume());
    return base;
  }, [/case 2: no prediction in .*pred/]],
  ["two predictions for one case", async () => {
    const base = await evalDirs("two", labelVolume());
    await writeNifti(join(base, "pred", "prediction-1.nii"), labelVolume());
    return base;
  }, [/case 1 has two files: prediction-1\.nii(\.gz)? and prediction-1\.nii(\.gz)?/]],
];

Deno.test(`evaluate: ${EVAL_CASES.length + 1} inputs that would score wrongly are errors naming the files`, async () => {
  for (const [what, make, res] of EVAL_CASES) {
    const base = await make();
    await rejects(what, () => evaluateFolders(join(base, "pred"), join(base, "ref")), ...res);
  }
  await rejects(
    "no predictions folder",
    () => evaluateFolders(join(tmp, "nowhere"), join(tmp, "eval", "ts", "ref")),
    /nowhere: no such folder/,
  );
  // A task failing this way writes no --json file.
  const base = join(tmp, "eval", "seven");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      join(repo, "cli/evaluate.ts"),
      "--predictions",
      join(base, "pred"),
      "--references",
      join(base, "ref"),
      "--json",
      join(base, "e.json"),
    ],
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /evaluate: .*unknown labels 7/);
  assert.deepEqual(tree(base).filter((f) => f.endsWith(".json")), []);
});

Deno.test("training inputs: a segmentation off its volume's grid or with other labels names both files", async () => {
  const dir = join(tmp, "seg");
  await Deno.mkdir(dir);
  const ct = labelVolume();
  await writeNifti(join(dir, "volume-1.nii"), { ...ct, data: Int16Array.from(ct.data) });
  const volume = await readNifti(join(dir, "volume-1.nii"));
  await writeNifti(join(dir, "segmentation-1.nii"), labelVolume(1, shifted));
  await rejects(
    "shifted",
    () => readSegmentation(join(dir, "segmentation-1.nii"), volume),
    /segmentation-1\.nii: not on the grid of .*volume-1\.nii: affines differ/,
  );
  await writeNifti(join(dir, "segmentation-2.nii"), labelVolume(5));
  await rejects(
    "labels",
    () => readSegmentation(join(dir, "segmentation-2.nii"), volume),
    /segmentation-2\.nii: unknown labels 5 \(\d+ voxels\); allowed: 0, 1, 2/,
  );
});

// ---------------------------------------------------------------------------------------
// Configs: every number in its range, the file and the key path named.

const CONFIG_CASES: [string, unknown, RegExp][] = [
  [
    "negative learning rate",
    { train: { learningRate: -1e-4 } },
    /train\.learningRate must be > 0, got -0\.0001/,
  ],
  ["zero learning rate", { train: { learningRate: 0 } }, /train\.learningRate must be > 0/],
  ["negative weight decay", { train: { weightDecay: -5e-6 } }, /train\.weightDecay must be >= 0/],
  [
    "negative loss weight",
    { train: { loss: { dice: -1 } } },
    /train\.loss\.dice must be >= 0, got -1/,
  ],
  [
    "zero dice epsilon",
    { train: { loss: { diceEpsilon: 0 } } },
    /train\.loss\.diceEpsilon must be > 0/,
  ],
  [
    "no loss at all",
    { train: { loss: { crossEntropy: 0, dice: 0 } } },
    /both 0: nothing to train on/,
  ],
  [
    "negative class weight",
    { data: { weights: { tumor: -15 } } },
    /data\.weights\.tumor must be >= 0/,
  ],
  ["bnMomentum 7", { model: { bnMomentum: 7 } }, /model\.bnMomentum must be >= 0 and < 1, got 7/],
  ["zero bnEpsilon", { model: { bnEpsilon: 0 } }, /model\.bnEpsilon must be > 0/],
  ["dropout 1.5", { model: { dropout: 1.5 } }, /model\.dropout must be >= 0 and < 1/],
  ["0 iterations", { train: { trainIterations: 0 } }, /train\.trainIterations must be >= 1, got 0/],
  ["0 epochs", { train: { epochs: 0 } }, /train\.epochs must be >= 1, got 0/],
  [
    "negative validation iterations",
    { train: { validationIterations: -1 } },
    /train\.validationIterations must be >= 0/,
  ],
  ["batch size 0", { train: { batchSize: 0 } }, /train\.batchSize must be >= 1/],
  [
    "micro-batch above the batch",
    { train: { microBatch: 9 } },
    /train\.microBatch \(9\) must be in 1\.\.train\.batchSize/,
  ],
  ["negative slice margin", { data: { sliceMargin: -1 } }, /data\.sliceMargin must be >= 0/],
  [
    "liver patch share 2",
    { data: { liverPatches: 2 } },
    /data\.liverPatches must be >= 0 and <= 1/,
  ],
  [
    "inverted window",
    { data: { windows: [[300, -100]] } },
    /data\.windows\[0\] must be \[low, high\] with low < high/,
  ],
  ["one class", { model: { classes: 1 } }, /model\.classes must be >= 2/],
  [
    "negative split count",
    { data: { split: { seed: 1, train: 2, validation: -1, test: 1 } } },
    /data\.split\.validation/,
  ],
  [
    "negative erosion",
    { postprocess: { erosionRadius: -2 } },
    /postprocess\.erosionRadius must be >= 0/,
  ],
  ["wrong type", { train: { epochs: "ten" } }, /train\.epochs must be an integer, got "ten"/],
  ["unknown key", { model: { growthRat: 16 } }, /model\.growthRat is not a known key/],
];

Deno.test(`configs: ${CONFIG_CASES.length + 2} bad experiment files name the file and the key`, async () => {
  const dir = join(tmp, "configs");
  await Deno.mkdir(dir);
  for (const [i, [what, patch, re]] of CONFIG_CASES.entries()) {
    const path = join(dir, `bad ${i}.json`);
    await Deno.writeTextFile(path, JSON.stringify({ extends: LIVER, ...(patch as object) }));
    await rejects(
      what,
      () => loadExperiment(path, { profile: "paper" }),
      new RegExp(`bad ${i}\\.json`),
      re,
    );
  }
  // deno task train on one: exit 1 naming the file and the key, no run folder made.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, join(repo, "cli/train.ts"), join(dir, "bad 7.json")],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, err);
  assert.match(
    err,
    /^train: .*bad 7\.json: model\.bnMomentum must be >= 0 and < 1, got 7\n$/,
  );
  assert.ok(
    !(await Deno.stat(join(dir, "results")).then(() => true, () => false)),
    "no results/ made",
  );
  await Deno.writeTextFile(join(dir, "cut.json"), (await Deno.readTextFile(LIVER)).slice(0, 300));
  await rejects(
    "truncated file",
    () => loadExperiment(join(dir, "cut.json"), { profile: "paper" }),
    /cut\.json: not valid JSON/,
  );
  await Deno.writeTextFile(join(dir, "orphan.json"), JSON.stringify({ extends: "gone.json" }));
  await rejects(
    "missing parent",
    () => loadExperiment(join(dir, "orphan.json"), { profile: "paper" }),
    /gone\.json: cannot read experiment file/,
  );
});

// ---------------------------------------------------------------------------------------
// Run folders and checkpoints: damaged files are named; a failed start leaves nothing.

const data = join(tmp, "data");
await writeSyntheticSet({ out: data, cases: 4, size: 32, slices: 12, seed: 3 });
const smoke = await loadExperiment(LIVER, {
  profile: "smoke",
  overrides: { data: { root: data } },
});

async function copyDir(from: string, to: string) {
  await Deno.mkdir(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

type Damage = (run: string) => Promise<void>;
const at = (run: string, f: string) => join(run, ...f.split("/"));
const truncate = (f: string, keep = 0.5): Damage => async (run) => {
  const b = await Deno.readFile(at(run, f));
  await Deno.writeFile(at(run, f), b.slice(0, Math.floor(b.length * keep)));
};
const scramble = (f: string): Damage => async (run) => {
  const b = await Deno.readFile(at(run, f));
  for (let i = 0; i < b.length; i++) b[i] = (b[i] * 31 + i * 17 + 7) & 255;
  await Deno.writeFile(at(run, f), b);
};

const RUN_CASES: [string, Damage, (run: string) => Promise<unknown>, RegExp][] = [
  [
    "weights.bin of the wrong size",
    truncate("checkpoints/best/weights.bin"),
    (r) => loadRunModel(r),
    /best\/weights\.bin: \d+ bytes, the manifest says \d+/,
  ],
  [
    "weights.bin of random bytes, right size",
    scramble("checkpoints/best/weights.bin"),
    (r) => loadRunModel(r),
    /best\/weights\.bin: checksum differs/,
  ],
  [
    "model.json damaged",
    truncate("checkpoints/best/model.json"),
    (r) => loadRunModel(r),
    /best\/model\.json: .*damaged/,
  ],
  [
    "manifest.json damaged",
    truncate("checkpoints/best/manifest.json"),
    (r) => loadRunModel(r),
    /best\/manifest\.json: damaged/,
  ],
  [
    "optimizer.bin of the wrong size",
    truncate("checkpoints/last/optimizer.bin"),
    (r) => readCheckpoint(join(r, "checkpoints", "last")),
    /last\/optimizer\.bin: .*manifest says/,
  ],
  [
    "state.json truncated",
    truncate("checkpoints/last/state.json"),
    (r) => readCheckpoint(join(r, "checkpoints", "last")),
    /last\/state\.json: .*damaged/,
  ],
  [
    "metrics.jsonl truncated",
    truncate("metrics.jsonl", 0.7),
    (r) => loadRun(r),
    /metrics\.jsonl: line 1 is not valid JSON/,
  ],
  [
    "config.json truncated",
    truncate("config.json"),
    (r) => loadRunModel(r),
    /config\.json: not valid JSON/,
  ],
  [
    "config.json out of range",
    async (r) => {
      const c = JSON.parse(await Deno.readTextFile(join(r, "config.json")));
      c.train.learningRate = -1;
      await Deno.writeTextFile(join(r, "config.json"), JSON.stringify(c));
    },
    (r) => loadRunModel(r),
    /config\.json: train\.learningRate must be > 0/,
  ],
  [
    "no best checkpoint",
    (r) => Deno.remove(join(r, "checkpoints", "best"), { recursive: true }),
    (r) => loadRunModel(r),
    /no "best" checkpoint/,
  ],
  [
    "old checkpoint without a manifest, weights cut",
    async (r) => {
      await Deno.remove(join(r, "checkpoints", "best", "manifest.json"));
      await truncate("checkpoints/best/weights.bin")(r);
    },
    (r) => loadRunModel(r),
    /best\/weights\.bin: \d+ bytes, .*model\.json needs \d+/,
  ],
  [
    "resume with another config",
    async () => {},
    (r) =>
      trainExperiment({ ...smoke, train: { ...smoke.train, learningRate: 0.5 } }, {
        runDir: r,
        resume: true,
        quiet: true,
      }),
    /config\.json: the run was made with another config/,
  ],
  [
    "run folder locked by a live process",
    async (r) => {
      await Deno.writeTextFile(join(r, ".lock"), `${Deno.pid}\n`);
    },
    (r) => trainExperiment(smoke, { runDir: r, resume: true, quiet: true }),
    /another run \(process \d+\) is using this folder/,
  ],
  [
    "a fresh run into a folder holding one",
    async () => {},
    (r) => trainExperiment(smoke, { runDir: r, quiet: true }),
    /already holds a run/,
  ],
];

Deno.test(`run folders: ${RUN_CASES.length + 2} damaged or misused runs are errors naming the file`, async () => {
  const good = join(tmp, "runs", "good");
  await trainExperiment(smoke, { runDir: good, quiet: true });
  // predict reads only what it uses: a damaged metrics.jsonl does not stop it.
  for (const [i, [what, damage, use, re]] of RUN_CASES.entries()) {
    const run = join(tmp, "runs", `case ${i}`);
    await copyDir(good, run);
    await damage(run);
    const before = tree(run);
    await rejects(what, () => use(run), re);
    assert.deepEqual(tree(run), before, `${what}: the run folder changed`);
  }
  const metricsCut = join(tmp, "runs", `case 6`);
  (await loadRunModel(metricsCut)).model.dispose();

  // A start that fails (no such data folder) leaves no run folder; so does a bad backend.
  const runs = join(tmp, "runs", "failed");
  await rejects(
    "no data",
    () =>
      trainExperiment({ ...smoke, data: { ...smoke.data, root: join(tmp, "no data") } }, {
        runDir: join(runs, "a"),
        quiet: true,
      }),
    /no data/,
  );
  await rejects(
    "bad backend",
    () =>
      trainExperiment(smoke, {
        runDir: join(runs, "b"),
        quiet: true,
        backend: "nonesuch" as "cpu",
      }),
    /nonesuch/,
  );
  assert.deepEqual(
    tree(join(tmp, "runs")).filter((f) => basename(f) === "failed" || f.startsWith("failed")),
    [],
  );
});

// ---------------------------------------------------------------------------------------
// Valid inputs that must keep working.

Deno.test("valid inputs still read: big-endian, NIfTI-2, 4D with one volume, spaces and non-ASCII paths", async () => {
  const dir = join(tmp, "valid dir ü");
  await Deno.mkdir(dir);
  for (
    const name of [
      "n1_ras_bigendian_uint16.nii",
      "n2_lsp_float64.nii.gz",
      "n1_las_qform_scaled.nii",
    ]
  ) {
    const copy = join(dir, `copy of ${name.replace(".nii", " ñ.nii")}`);
    await Deno.copyFile(join(FIXTURES, name), copy);
    const a = await readNifti(join(FIXTURES, name)), b = await readNifti(copy);
    assert.deepEqual(b.shape, a.shape, name);
    assert.deepEqual(b.data, a.data, name);
  }
  const fourD = edit((dv) => (dv.setInt16(40, 4, true), dv.setInt16(48, 1, true)));
  await Deno.writeFile(join(dir, "4d one volume.nii"), fourD);
  assert.deepEqual((await readNifti(join(dir, "4d one volume.nii"))).shape, SHAPE);
  // Evaluation between folders with spaces, a multi-member .nii.gz reference.
  const base = await evalDirs("valid ü", labelVolume());
  const raw = await gunzip(await gzip([niiBytes()]));
  const members = [await gzip([raw.slice(0, 200)]), await gzip([raw.slice(200)])];
  await Deno.remove(join(base, "ref", "segmentation-1.nii"));
  await Deno.writeFile(
    join(base, "ref", "segmentation-1.nii.gz"),
    new Uint8Array([...members[0], ...members[1]]),
  );
  const ev = await evaluateFolders(join(base, "pred"), join(base, "ref"));
  assert.equal(ev.cases[0].liver.dice, 1);
});
