import assert from "node:assert/strict";
import { NiftiError } from "./nifti_error.ts";
import { gunzip, parseNifti, readNifti, readNiftiHeader } from "./nifti_read.ts";
import { encodeNifti, gzip, writeNifti } from "./nifti_write.ts";
import { DATATYPES } from "./nifti_read.ts";
import { affineZooms, canonicalAffine, orientationFromAffine } from "./orientation.ts";
import type { FileOrientation, Vec3, Volume, VoxelArray } from "./volume.ts";

const SHARED = new URL("../../../shared/data/totalsegmentator/", import.meta.url).pathname;

function approx(actual: number[], expected: number[], tol = 1e-4, what = "") {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) <= tol, `${what}[${i}]: ${v} vs ${expected[i]}`)
  );
}

/** A file-order test image whose every voxel value encodes its file index. */
function fileImage(dims: Vec3, datatype: string): VoxelArray {
  const n = dims[0] * dims[1] * dims[2];
  const out = new DATATYPES[datatype].ctor(n);
  const signed = !datatype.startsWith("uint");
  for (let i = 0; i < n; i++) {
    out[i] = signed
      ? (i % 100) - 50 + (i % 7) * 0.25 * Number(datatype.startsWith("float"))
      : i % 250;
  }
  return out;
}

/** Write a file directly in a given orientation (the writer as a raw-file maker). */
async function writeRaw(
  path: string,
  data: VoxelArray,
  dims: Vec3,
  fileAffine: number[],
  datatype: string,
): Promise<void> {
  const o: FileOrientation = {
    perm: [0, 1, 2],
    flip: [false, false, false],
    code: "",
    affine: fileAffine,
    datatype,
  };
  // A volume whose "canonical" array is the file array under identity orientation.
  const spacing = affineZooms(fileAffine);
  await writeNifti(path, { data, shape: dims, spacing, affine: fileAffine }, {
    orientation: o,
  });
}

const tmp = await Deno.makeTempDir({ prefix: "nifti_test_" });
addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

for (const datatype of Object.keys(DATATYPES)) {
  Deno.test(`round trip ${datatype} (.nii.gz and .nii)`, async () => {
    const dims: Vec3 = [5, 4, 3];
    const affine = [-2, 0, 0, 10, 0, -1.5, 0, 20, 0, 0, 2.5, -30, 0, 0, 0, 1]; // LPS already
    const data = fileImage(dims, datatype);
    const vol: Volume = { data, shape: dims, spacing: [2, 1.5, 2.5], affine };
    for (const ext of [".nii.gz", ".nii"]) {
      const path = `${tmp}/rt_${datatype}${ext}`;
      await writeNifti(path, vol);
      const back = await readNifti(path);
      assert.equal(back.data.constructor, data.constructor);
      assert.deepEqual(back.data, data);
      assert.deepEqual(back.shape, dims);
      approx(back.spacing, [2, 1.5, 2.5]);
      approx(back.affine, affine);
      assert.equal(back.source?.orientation.code, "LPS");
      assert.equal(back.source?.orientation.datatype, datatype);
    }
  });
}

/** Reference: canonical value at (x,y,z) computed by hand from an RAS file. */
Deno.test("an RAS file reads to LPS: x and y reversed, affine updated, written back identically", async () => {
  const dims: Vec3 = [4, 3, 2];
  const fileAffine = [2, 0, 0, -5, 0, 3, 0, 7, 0, 0, 4, 1, 0, 0, 0, 1];
  const data = fileImage(dims, "int16");
  const path = `${tmp}/ras.nii.gz`;
  await writeRaw(path, data, dims, fileAffine, "int16");
  const vol = await readNifti(path);
  assert.equal(vol.source?.orientation.code, "RAS");
  assert.deepEqual(vol.shape, [4, 3, 2]);
  approx(vol.spacing, [2, 3, 4]);
  for (let z = 0; z < 2; z++) {
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        const f = (3 - x) + 4 * ((2 - y) + 3 * z);
        assert.equal(vol.data[x + 4 * (y + 3 * z)], data[f]);
      }
    }
  }
  // Canonical voxel (0,0,0) is file voxel (3,2,0): world (-5+6, 7+6, 1).
  approx(vol.affine, [-2, 0, 0, 1, 0, -3, 0, 13, 0, 0, 4, 1, 0, 0, 0, 1]);
  // Writing it back restores the file's voxel order and affine.
  const out = `${tmp}/ras_out.nii.gz`;
  await writeNifti(out, vol);
  const raw = await readRawFile(out);
  assert.deepEqual(raw.data, data);
  approx(raw.affine, fileAffine);
});

Deno.test("a permuted-axes affine (file axes = S, L, A) reads to canonical LPS", async () => {
  const dims: Vec3 = [2, 4, 3]; // file axis 0 -> S, 1 -> L, 2 -> A
  const fileAffine = [
    0,
    -1.5,
    0,
    10, //
    0,
    0,
    2,
    -4, //
    3,
    0,
    0,
    6, //
    0,
    0,
    0,
    1,
  ];
  const data = fileImage(dims, "float32");
  const path = `${tmp}/sla.nii`;
  await writeRaw(path, data, dims, fileAffine, "float32");
  const vol = await readNifti(path);
  const o = vol.source!.orientation;
  assert.equal(o.code, "SLA");
  assert.deepEqual(o.perm, [1, 2, 0]);
  assert.deepEqual(o.flip, [false, true, false]);
  assert.deepEqual(vol.shape, [4, 3, 2]);
  // Spacing follows pixdim (file order [3, 1.5, 2]), permuted like the axes.
  approx(vol.spacing, [1.5, 2, 3]);
  for (let z = 0; z < 2; z++) {
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) {
        const f = z + 2 * (x + 4 * (2 - y));
        assert.equal(vol.data[x + 4 * (y + 3 * z)], data[f]);
      }
    }
  }
  approx(vol.affine, canonicalAffine(fileAffine, dims, o));
  // World position of a voxel is the same through either affine.
  const world = (a: number[], i: number[]) =>
    [0, 1, 2].map((r) =>
      a[r * 4] * i[0] + a[r * 4 + 1] * i[1] + a[r * 4 + 2] * i[2] + a[r * 4 + 3]
    );
  approx(world(vol.affine, [1, 2, 1]), world(fileAffine, [1, 1, 0]));
  const out = `${tmp}/sla_out.nii`;
  await writeNifti(out, vol);
  const raw = await readRawFile(out);
  assert.deepEqual(raw.data, data);
  approx(raw.affine, fileAffine);
});

Deno.test("a flipped copy of a volume reads back to identical canonical data", async () => {
  const ct = await readNifti(`${SHARED}example_ct_sm.nii.gz`);
  assert.equal(ct.source?.orientation.code, "RAS");
  // The same volume stored in LPS order (x and y flipped against the file), and LPI (z too).
  const lps = `${tmp}/ct_lps.nii.gz`;
  await writeNifti(lps, { ...ct, source: undefined });
  const flipZ = orientationFromAffine([-3, 0, 0, 0, 0, -3, 0, 0, 0, 0, -3, 0, 0, 0, 0, 1], "int16");
  const lpi = `${tmp}/ct_lpi.nii.gz`;
  await writeNifti(lpi, { ...ct, source: undefined }, { orientation: flipZ });
  for (const p of [lps, lpi]) {
    const back = await readNifti(p);
    assert.deepEqual(back.data, ct.data, p);
    approx(back.affine, ct.affine, 1e-3, p);
    assert.deepEqual(back.shape, ct.shape);
  }
  assert.equal((await readNifti(lpi)).source?.orientation.code, "LPI");
});

Deno.test("real CT and segmentation: shape, spacing, HU range, liver voxels", async () => {
  const header = await readNiftiHeader(`${SHARED}example_ct_sm.nii.gz`);
  assert.deepEqual(header.fileShape, [122, 101, 30]);
  assert.equal(header.datatype, "int16");
  const ct = await readNifti(`${SHARED}example_ct_sm.nii.gz`);
  assert.ok(ct.data instanceof Int16Array);
  assert.deepEqual(ct.shape, [122, 101, 30]);
  approx(ct.spacing, [3, 3, 3], 1e-6);
  assert.equal(ct.source?.orientation.code, "RAS");
  let min = Infinity, max = -Infinity;
  for (const v of ct.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, -1100);
  assert.equal(max, 1207);
  const seg = await readNifti(`${SHARED}example_seg.nii.gz`);
  assert.ok(seg.data instanceof Uint8Array);
  assert.deepEqual(seg.shape, ct.shape);
  assert.equal(seg.data.reduce((n: number, v: number) => n + (v === 5 ? 1 : 0), 0), 38634);
});

Deno.test("real CT written back (prediction path) has the input's exact voxels and affine", async () => {
  const src = `${SHARED}example_ct_sm.nii.gz`;
  const ct = await readNifti(src);
  const out = `${tmp}/ct_back.nii.gz`;
  await writeNifti(out, ct);
  const a = await readRawFile(src);
  const b = await readRawFile(out);
  assert.deepEqual(b.data, a.data);
  assert.deepEqual(b.affine, a.affine);
  assert.deepEqual(b.dims, a.dims);
});

Deno.test("a prediction on an input's grid keeps its qform/sform codes", async () => {
  const src = `${SHARED}example_ct_sm.nii.gz`;
  const codes = (bytes: Uint8Array) => {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return [dv.getInt16(252, true), dv.getInt16(254, true)];
  };
  const original = await gunzip(await Deno.readFile(src));
  // The same image with qform unset (0) and sform "aligned" (2), as registration tools write.
  const input = original.slice();
  const dv = new DataView(input.buffer);
  dv.setInt16(252, 0, true);
  dv.setInt16(254, 2, true);
  await Deno.writeFile(`${tmp}/codes.nii`, input);
  const ct = await readNifti(`${tmp}/codes.nii`);
  assert.deepEqual([ct.source!.orientation.qformCode, ct.source!.orientation.sformCode], [0, 2]);
  const labels: Volume = { ...ct, data: new Uint8Array(ct.data.length) };
  await writeNifti(`${tmp}/codes_pred.nii.gz`, labels);
  const out = await gunzip(await Deno.readFile(`${tmp}/codes_pred.nii.gz`));
  assert.deepEqual(codes(out), [0, 2]);
  // A volume built in memory (no source) says "scanner" for both.
  const { source: _, ...bare } = labels;
  await writeNifti(`${tmp}/codes_bare.nii`, bare);
  assert.deepEqual(codes(await Deno.readFile(`${tmp}/codes_bare.nii`)), [1, 1]);
});

/** The file's own voxel order, dims and sform, read straight from its bytes. */
async function readRawFile(path: string) {
  let bytes = await Deno.readFile(path);
  if (path.endsWith(".gz")) bytes = await gunzip(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = [1, 2, 3].map((i) => dv.getInt16(40 + 2 * i, true)) as Vec3;
  const code = dv.getInt16(70, true);
  const [, { ctor }] = Object.entries(DATATYPES).find(([, d]) => d.code === code)!;
  const offset = dv.getFloat32(108, true);
  const n = dims[0] * dims[1] * dims[2];
  const data = new ctor(bytes.slice(offset, offset + n * ctor.BYTES_PER_ELEMENT).buffer, 0, n);
  const affine = [...Array(12)].map((_, k) => dv.getFloat32(280 + 4 * k, true)).concat([
    0,
    0,
    0,
    1,
  ]);
  return { data, dims, affine };
}

Deno.test("errors name the file: missing, not NIfTI, truncated, corrupt gzip, bad datatype", async () => {
  const good = await Deno.readFile(`${SHARED}example_ct_sm.nii.gz`);
  const raw = await gunzip(good);
  const cases: [string, Uint8Array | null, RegExp][] = [
    ["missing.nii.gz", null, /no such file/],
    [
      "text.nii",
      new TextEncoder().encode("hello, this is not an image\n".repeat(20)),
      /not a NIfTI/,
    ],
    ["short.nii", new Uint8Array(100), /not a NIfTI.*shorter than/],
    ["truncated.nii", raw.slice(0, 5000), /truncated/],
    ["truncated.nii.gz", good.slice(0, Math.floor(good.length / 2)), /corrupt or truncated gzip/],
    [
      "corrupt.nii.gz",
      (() => {
        const b = good.slice();
        for (let i = 100; i < 2000; i++) b[i] ^= 0x5a;
        return b;
      })(),
      /corrupt or truncated gzip/,
    ],
    [
      "badmagic.nii",
      (() => {
        const b = raw.slice();
        b.set([0x78, 0x78, 0x78], 344);
        return b;
      })(),
      /bad magic/,
    ],
    [
      "complex.nii",
      (() => {
        const b = raw.slice();
        new DataView(b.buffer).setInt16(70, 32, true);
        return b;
      })(),
      /unsupported datatype 32 \(complex64\)/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    const path = `${tmp}/${name}`;
    if (bytes) await Deno.writeFile(path, bytes);
    await assert.rejects(readNifti(path), (err: Error) => {
      assert.ok(err instanceof NiftiError, `${name}: ${err}`);
      assert.ok(err.message.startsWith(path), `${name}: ${err.message}`);
      assert.match(err.message, re, name);
      return true;
    });
  }
  await assert.rejects(readNiftiHeader(`${tmp}/missing.nii.gz`), /missing\.nii\.gz: no such file/);
  await assert.rejects(readNiftiHeader(`${tmp}/text.nii`), /text\.nii: not a NIfTI/);
});

Deno.test("NaN in float data is an error naming the file", async () => {
  const data = new Float32Array(8);
  data[3] = NaN;
  const path = `${tmp}/nan.nii`;
  await writeNifti(path, {
    data,
    shape: [2, 2, 2],
    spacing: [1, 1, 1],
    affine: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  });
  await assert.rejects(readNifti(path), /nan\.nii: non-finite value NaN at voxel 3/);
});

Deno.test("scl_slope/scl_inter give Float32Array; slope 1 keeps the integer array", async () => {
  const [header, body] = encodeNifti(
    {
      data: new Int16Array([0, 1, 2, 3, 4, 5, 6, 7]),
      shape: [2, 2, 2],
      spacing: [1, 1, 1],
      affine: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    },
    "x",
  );
  const dv = new DataView(header.buffer);
  dv.setFloat32(112, 0.5, true);
  dv.setFloat32(116, -1, true);
  const bytes = new Uint8Array(header.length + body.length);
  bytes.set(header);
  bytes.set(body, header.length);
  const vol = parseNifti(bytes, "scaled.nii");
  assert.ok(vol.data instanceof Float32Array);
  assert.deepEqual([...vol.data], [-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5]);
  dv.setFloat32(112, 1, true);
  dv.setFloat32(116, 0, true);
  bytes.set(header);
  assert.ok(parseNifti(bytes, "plain.nii").data instanceof Int16Array);
  // gzip helper round trip
  const z = await gzip([header, body]);
  assert.deepEqual(await gunzip(z), bytes);
});

Deno.test("a canonical file is not copied: the volume views the decompressed buffer", () => {
  const data = new Int16Array(64 * 64 * 8).map((_, i) => i % 1000);
  const affine = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const [h, b] = encodeNifti({ data, shape: [64, 64, 8], spacing: [1, 1, 1], affine }, "x");
  const bytes = new Uint8Array(h.length + b.length);
  bytes.set(h);
  bytes.set(b, h.length);
  const vol = parseNifti(bytes, "view.nii");
  assert.equal(vol.data.buffer, bytes.buffer);
  assert.equal(vol.data.byteOffset, 352);
});

Deno.test("a multi-member .nii.gz (concatenated gzip members) reads like the single-member file", async () => {
  const good = await Deno.readFile(`${SHARED}example_seg.nii.gz`);
  const raw = await gunzip(good);
  const cut = [100, 352, 200_000];
  const members = [];
  for (let i = 0, at = 0; i <= cut.length; i++) {
    members.push(await gzip([raw.slice(at, cut[i] ?? raw.length)]));
    at = cut[i];
  }
  const path = `${tmp}/multi member é.nii.gz`;
  await Deno.writeFile(path, new Uint8Array(members.flatMap((m) => [...m])));
  const a = await readNifti(`${SHARED}example_seg.nii.gz`);
  const b = await readNifti(path);
  assert.deepEqual(b.shape, a.shape);
  assert.deepEqual(b.affine, a.affine);
  assert.deepEqual(b.data, a.data);
  assert.deepEqual((await readNiftiHeader(path)).shape, a.shape);
  // A damaged byte in the second member is still an error (CRCs are checked).
  const bad = await Deno.readFile(path);
  bad[members[0].length + members[1].length + 40] ^= 0x5a;
  await Deno.writeFile(`${tmp}/multi-bad.nii.gz`, bad);
  await assert.rejects(
    readNifti(`${tmp}/multi-bad.nii.gz`),
    /multi-bad\.nii\.gz: corrupt or truncated gzip/,
  );
});

Deno.test("pixdim 0 on an image axis is an error, not 1 mm", async () => {
  const raw = await gunzip(await Deno.readFile(`${SHARED}example_ct_sm.nii.gz`));
  for (const axis of [1, 2, 3]) {
    const b = raw.slice();
    new DataView(b.buffer).setFloat32(76 + 4 * axis, 0, true);
    const path = `${tmp}/pixdim${axis}.nii`;
    await Deno.writeFile(path, b);
    await assert.rejects(
      readNifti(path),
      new RegExp(`pixdim${axis}\\.nii: pixdim\\[${axis}\\] = 0: the voxel size must be non-zero`),
    );
  }
});
