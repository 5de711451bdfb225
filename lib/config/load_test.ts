import assert from "node:assert/strict";
import { join } from "node:path";
import { checkResolvedConfig, loadExperiment, loadSlurmResources } from "./load.ts";

const repo = new URL("../../", import.meta.url).pathname;
const exp = (name: string) => join(repo, "experiments", name);

async function withFiles(files: Record<string, unknown>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, content] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), JSON.stringify(content));
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("liver.json resolves to the paper's settings by default", async () => {
  const cfg = await loadExperiment(exp("liver.json"), { profile: "paper" });
  assert.equal(cfg.profile, "paper");
  assert.equal(cfg.task, "liver");
  assert.equal(cfg.data.inputSize, 256);
  assert.equal(cfg.data.sliceSize, 512);
  assert.deepEqual(cfg.data.windows, [[-100, 300]]);
  assert.deepEqual(cfg.data.split, { seed: 1, train: 91, validation: 26, test: 14 });
  assert.equal(cfg.model.firstFilters, 48);
  assert.equal(cfg.model.growthRate, 16);
  assert.equal(cfg.model.sbu, true);
  assert.equal(cfg.train.learningRate, 1e-4);
  assert.equal(cfg.train.weightDecay, 5e-6);
  assert.equal(cfg.train.epochs, 200);
  assert.deepEqual(cfg.train.loss, { crossEntropy: 1, dice: 0, diceEpsilon: 1 });
  assert.equal("profiles" in cfg, false);
});

Deno.test("tumor.json: 3 windows at full resolution, CE + Dice", async () => {
  const cfg = await loadExperiment(exp("tumor.json"), { profile: "paper" });
  assert.equal(cfg.model.inputChannels, 3);
  assert.equal(cfg.model.sbu, false);
  assert.equal(cfg.data.inputSize, 512);
  assert.deepEqual(cfg.train.loss, { crossEntropy: 1, dice: 1, diceEpsilon: 1 });
});

Deno.test("postprocess belongs to the liver experiment: required there, an error on a tumor one", async () => {
  const tumor = await loadExperiment(exp("tumor.json"), { profile: "cpu" });
  assert.equal(tumor.postprocess, undefined);
  await assert.rejects(
    loadExperiment(exp("tumor.json"), {
      profile: "cpu",
      overrides: { postprocess: { erosionRadius: 2, dilationRadius: 5, anisotropic: false } },
    }),
    /tumor\.json \(profile cpu\): postprocess applies to the liver experiment only/,
  );
  const liver = await loadExperiment(exp("liver.json"), { profile: "cpu" });
  const { postprocess: _, ...noPost } = liver;
  assert.throws(
    () => checkResolvedConfig(noPost, "config.json"),
    /config\.json: postprocess is required for a liver experiment/,
  );
});

Deno.test("profiles deep-merge: cpu changes sizes and width, keeps the rest", async () => {
  const cfg = await loadExperiment(exp("liver.json"), { profile: "cpu" });
  assert.equal(cfg.profile, "cpu");
  assert.equal(cfg.data.sliceSize, 256);
  assert.equal(cfg.data.inputSize, 128);
  assert.deepEqual(cfg.data.windows, [[-100, 300]]);
  assert.equal(cfg.model.activation, "elu");
  assert.equal(cfg.model.bnMomentum, 0.9);
  assert.equal(cfg.train.weightDecay, 5e-6);
  const smoke = await loadExperiment(exp("tumor.json"), { profile: "smoke" });
  assert.equal(smoke.train.backend, "cpu");
  assert.equal(smoke.data.sliceSize, smoke.data.inputSize);
});

Deno.test("the four ablation cells differ from liver only in activation/up-sampling", async () => {
  const base = await loadExperiment(exp("liver.json"), { profile: "cpu" });
  const cells: [string, string, string][] = [
    ["ablation-relu.json", "relu", "bilinear"],
    ["ablation-transposed.json", "elu", "transposed"],
    ["ablation-relu-transposed.json", "relu", "transposed"],
  ];
  for (const [file, activation, upsampling] of cells) {
    const cfg = await loadExperiment(exp(file), { profile: "cpu" });
    assert.equal(cfg.model.activation, activation);
    assert.equal(cfg.model.upsampling, upsampling);
    assert.deepEqual({ ...cfg.model, activation: "elu", upsampling: "bilinear" }, base.model);
    assert.deepEqual(cfg.data, base.data);
    assert.deepEqual(cfg.train, base.train);
    assert.notEqual(cfg.name, base.name);
    assert.notEqual(cfg.description, base.description);
  }
});

Deno.test("overrides apply last; split is replaced whole", async () => {
  const cfg = await loadExperiment(exp("liver.json"), {
    profile: "smoke",
    overrides: { data: { root: "/x", split: { train: [1, 2], validation: [3], test: [4] } } },
  });
  assert.equal(cfg.data.root, "/x");
  assert.deepEqual(cfg.data.split, { train: [1, 2], validation: [3], test: [4] });
});

Deno.test("unknown keys and wrong types name the file and the key path", async () => {
  await withFiles({
    "base.json": JSON.parse(await Deno.readTextFile(exp("liver.json"))),
    "typo.json": { extends: "base.json", model: { growthRat: 12 } },
    "type.json": { extends: "base.json", train: { loss: { dice: "1" } } },
    "profile.json": { extends: "base.json", profiles: { cpu: { train: { epoch: 3 } } } },
    "window.json": { extends: "base.json", data: { windows: [[0, 1, 2]] } },
    "enum.json": { extends: "base.json", model: { activation: "gelu" } },
    "missing.json": { name: "x", description: "y", task: "liver" },
    "size.json": { extends: "base.json", data: { sliceSize: 256 } },
    "patch.json": { extends: "base.json", data: { patchSize: 100 } },
  }, async (dir) => {
    const f = (name: string) => join(dir, name);
    await assert.rejects(
      loadExperiment(f("typo.json"), { profile: "paper" }),
      { message: `${f("typo.json")}: model.growthRat is not a known key` },
    );
    await assert.rejects(
      loadExperiment(f("type.json"), { profile: "paper" }),
      { message: `${f("type.json")}: train.loss.dice must be a number, got a string` },
    );
    await assert.rejects(
      loadExperiment(f("profile.json"), { profile: "paper" }),
      { message: `${f("profile.json")}: profiles.cpu.train.epoch is not a known key` },
    );
    await assert.rejects(
      loadExperiment(f("window.json"), { profile: "paper" }),
      /window\.json: data\.windows\[0\] must be an array of 2 items/,
    );
    await assert.rejects(
      loadExperiment(f("enum.json"), { profile: "paper" }),
      /model\.activation must be one of elu, relu, got "gelu"/,
    );
    await assert.rejects(
      loadExperiment(f("missing.json"), { profile: "paper" }),
      /missing\.json \(profile paper\): data is missing/,
    );
    await assert.rejects(
      loadExperiment(f("size.json"), { profile: "paper" }),
      /data\.sliceSize \(256\) must equal the model output size \(512/,
    );
    await assert.rejects(
      loadExperiment(f("patch.json"), { profile: "paper" }),
      /data\.patchSize \(100\) must be at most data\.inputSize \(256\) and a multiple of 2\^model\.poolingLevels/,
    );
    await assert.rejects(
      loadExperiment(f("base.json"), { profile: "paper", overrides: { train: { lr: 1 } } }),
      { message: "overrides: train.lr is not a known key" },
    );
    await assert.rejects(
      loadExperiment(f("nope.json"), { profile: "paper" }),
      /nope\.json: cannot read experiment file/,
    );
  });
});

Deno.test("numbers outside their range are errors naming the file and the key path", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ train: { learningRate: -0.001 } }, /train\.learningRate must be > 0, got -0\.001/],
    [{ train: { weightDecay: -1 } }, /train\.weightDecay must be >= 0, got -1/],
    [{ train: { epochs: 0 } }, /train\.epochs must be >= 1, got 0/],
    [{ train: { trainIterations: 0 } }, /train\.trainIterations must be >= 1, got 0/],
    [{ train: { loss: { crossEntropy: -1 } } }, /train\.loss\.crossEntropy must be >= 0, got -1/],
    [{ model: { bnMomentum: 7 } }, /model\.bnMomentum must be >= 0 and < 1, got 7/],
    [{ model: { dropout: 1 } }, /model\.dropout must be >= 0 and < 1, got 1/],
    [{ data: { weights: { tumor: -15 } } }, /data\.weights\.tumor must be >= 0, got -15/],
    [{ data: { liverPatches: 1.5 } }, /data\.liverPatches must be >= 0 and <= 1, got 1\.5/],
    [
      { data: { windows: [[300, -100]] } },
      /data\.windows\[0\] must be \[low, high\] with low < high/,
    ],
  ];
  for (const [patch, re] of cases) {
    await withFiles({ "bad.json": { extends: exp("liver.json"), ...patch } }, async (dir) => {
      await assert.rejects(
        loadExperiment(join(dir, "bad.json"), { profile: "paper" }),
        (err: Error) => {
          assert.match(err.message, /bad\.json/);
          assert.match(err.message, re);
          return true;
        },
      );
    });
  }
  await assert.rejects(
    loadExperiment(exp("liver.json"), { profile: "paper", overrides: { train: { epochs: -2 } } }),
    /overrides: train\.epochs must be >= 1, got -2/,
  );
});

Deno.test("loadSlurmResources: the file's slurm section under its profile's, checked", async () => {
  assert.deepEqual(await loadSlurmResources(exp("ablation-relu.json"), "cpu"), {
    cpus: 1,
    time: "01:00:00",
  });
  assert.deepEqual(await loadSlurmResources(exp("liver.json"), "paper"), { gpus: 1, cpus: 4 });
  assert.deepEqual(await loadSlurmResources(exp("liver.json"), "smoke"), {});
  // Resources never enter the config (changing them does not make a run another one).
  const cfg = await loadExperiment(exp("liver.json"), { profile: "cpu" });
  assert.ok(!("slurm" in cfg));
  await withFiles(
    { "bad.json": { extends: exp("liver.json"), slurm: { cpus: 0 } } },
    async (dir) => {
      await assert.rejects(
        loadSlurmResources(join(dir, "bad.json")),
        /bad\.json: slurm\.cpus must be >= 1/,
      );
    },
  );
});
