import assert from "node:assert/strict";
import { formatInspect, inspectFile, inspectVolume } from "./inspect.ts";

const SHARED = new URL("../../../shared/data/totalsegmentator/", import.meta.url).pathname;
const CLI = new URL("../../cli/inspect.ts", import.meta.url).pathname;

Deno.test("inspect the real CT: geometry, HU range, no label table", async () => {
  const r = await inspectFile(`${SHARED}example_ct_sm.nii.gz`);
  assert.deepEqual(r.shape, [122, 101, 30]);
  assert.deepEqual(r.fileShape, [122, 101, 30]);
  assert.deepEqual(r.spacing, [3, 3, 3]);
  assert.equal(r.datatype, "int16");
  assert.equal(r.orientation, "RAS");
  assert.equal(r.min, -1100);
  assert.equal(r.max, 1207);
  assert.ok(Math.abs(r.mean - -354.0953) < 1e-3);
  assert.equal(r.labels, undefined);
  assert.match(formatInspect(r), /orientation {2}RAS/);
});

Deno.test("inspect the real segmentation: label counts (liver = 5)", async () => {
  const r = await inspectFile(`${SHARED}example_seg.nii.gz`);
  assert.equal(r.labels?.["5"], 38634);
  assert.equal(Object.values(r.labels!).reduce((a, b) => a + b), 122 * 101 * 30);
});

Deno.test("labels forced on, and file order for a permuted volume", () => {
  const r = inspectVolume({
    data: new Float32Array([0, 1, 1, 2, 0, 0]),
    shape: [3, 2, 1],
    spacing: [1, 1, 1],
    affine: [],
    source: {
      path: "p.nii",
      orientation: {
        perm: [2, 0, 1],
        flip: [false, false, false],
        code: "PSL",
        affine: [],
        datatype: "float32",
      },
    },
  }, { labels: true });
  assert.deepEqual(r.labels, { "0": 3, "1": 2, "2": 1 });
  assert.deepEqual(r.fileShape, [2, 1, 3]);
});

Deno.test("deno task inspect --json prints the report; a bad file exits 1 naming it", async () => {
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  const ok = await run(`${SHARED}example_seg.nii.gz`, "--json");
  assert.equal(ok.code, 0);
  const r = JSON.parse(new TextDecoder().decode(ok.stdout));
  assert.deepEqual(r.shape, [122, 101, 30]);
  assert.equal(r.labels["5"], 38634);
  const bad = await run("/nonexistent/volume-1.nii");
  assert.equal(bad.code, 1);
  assert.match(new TextDecoder().decode(bad.stderr), /\/nonexistent\/volume-1\.nii: no such file/);
});
