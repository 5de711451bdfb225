// Files written by nibabel (testdata/make_fixtures.py): NIfTI-2, qform-only with scaling,
// big-endian. File voxel (i, j, k) holds 100*i + 10*j + k (before scaling).
import assert from "node:assert/strict";
import { readNifti, readNiftiHeader } from "./nifti_read.ts";
import type { Vec3 } from "./volume.ts";

const DIR = new URL("./testdata/", import.meta.url).pathname;

const FIXTURES: {
  name: string;
  code: string;
  array: string;
  scale: [number, number];
  fileAffine: number[];
  version: number;
}[] = [
  {
    name: "n2_lsp_float64.nii.gz",
    code: "LSP",
    array: "Float64Array",
    scale: [1, 0],
    fileAffine: [-2, 0, 0, 10, 0, 0, -1.5, 20, 0, 3, 0, -5, 0, 0, 0, 1],
    version: 2,
  },
  {
    name: "n1_las_qform_scaled.nii",
    code: "LAS",
    array: "Float32Array",
    scale: [2, -1],
    fileAffine: [-1, 0, 0, 5, 0, 2, 0, 6, 0, 0, 2.5, 7, 0, 0, 0, 1],
    version: 1,
  },
  {
    name: "n1_ras_bigendian_uint16.nii",
    code: "RAS",
    array: "Uint16Array",
    scale: [1, 0],
    fileAffine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    version: 1,
  },
];

const apply = (a: number[], p: number[]) =>
  [0, 1, 2].map((r) => a[r * 4] * p[0] + a[r * 4 + 1] * p[1] + a[r * 4 + 2] * p[2] + a[r * 4 + 3]);

for (const f of FIXTURES) {
  Deno.test(`nibabel fixture ${f.name}: ${f.code}, values and world positions`, async () => {
    const path = DIR + f.name;
    const header = await readNiftiHeader(path);
    assert.equal(header.version, f.version);
    assert.deepEqual(header.fileShape, [4, 3, 2]);
    const vol = await readNifti(path);
    const o = vol.source!.orientation;
    assert.equal(o.code, f.code);
    assert.equal(vol.data.constructor.name, f.array);
    const dims: Vec3 = [4, 3, 2];
    const [nx, ny, nz] = vol.shape;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const c = [x, y, z];
          const file = [0, 0, 0];
          for (let a = 0; a < 3; a++) {
            file[o.perm[a]] = o.flip[a] ? dims[o.perm[a]] - 1 - c[a] : c[a];
          }
          const raw = 100 * file[0] + 10 * file[1] + file[2];
          assert.equal(vol.data[x + nx * (y + ny * z)], raw * f.scale[0] + f.scale[1]);
          const wc = apply(vol.affine, c), wf = apply(f.fileAffine, file);
          wc.forEach((v, r) => assert.ok(Math.abs(v - wf[r]) < 1e-4, `${c}: ${wc} vs ${wf}`));
        }
      }
    }
    // Canonical axes point L, P, S.
    assert.ok(vol.affine[0] < 0 && vol.affine[5] < 0 && vol.affine[10] > 0);
  });
}
