import assert from "node:assert/strict";
import type { Vec3 } from "../data/volume.ts";
import { contour18 } from "../masks/contour.ts";
import { EMPTY_PAIR, objectPairMetrics } from "./lits_metrics.ts";
import type { BinaryMask } from "../masks/mask.ts";
import { emptyMask, paintBall, paintBox } from "../masks/shapes.ts";

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} != ${b}`);

Deno.test("identical masks: dice 1, distances 0", () => {
  const m = paintBall(emptyMask([15, 15, 15]), [7, 7, 7], 5);
  const r = objectPairMetrics(m, m, [0.8, 0.8, 2]);
  assert.deepEqual(r, { dice: 1, jaccard: 1, voe: 0, rvd: 0, assd: 0, rmsd: 0, msd: 0 });
});

Deno.test("cube shifted by one voxel along x with 2 mm x spacing", () => {
  // A = [2,6)^3, B = A + (1,0,0): 64 voxels each, 48 shared. Contours of 56 voxels:
  // per mask 16 at 2 mm (the trailing face), 4 at 1 mm (face centre), 36 at 0.
  const a = paintBox(emptyMask([9, 8, 8]), [2, 2, 2], [6, 6, 6]);
  const b = paintBox(emptyMask([9, 8, 8]), [3, 2, 2], [7, 6, 6]);
  const r = objectPairMetrics(a, b, [2, 1, 1]);
  close(r.dice, 0.75);
  close(r.jaccard, 0.6);
  close(r.voe, 0.4);
  assert.equal(r.rvd, 0);
  close(r.assd, 72 / 112);
  close(r.rmsd, Math.sqrt(136 / 112));
  close(r.msd, 2);
});

Deno.test("rvd follows MedPy ravd(reference, prediction): over-segmentation is negative", () => {
  const ref = paintBox(emptyMask([10, 10, 10]), [2, 2, 2], [4, 4, 4]); // 8
  const pred = paintBox(emptyMask([10, 10, 10]), [2, 2, 2], [6, 4, 4]); // 16
  const r = objectPairMetrics(pred, ref, [1, 1, 1]);
  close(r.rvd, (8 - 16) / 16);
  close(r.dice, 16 / 24);
  close(r.msd, 2);
});

Deno.test("empty prediction or reference gives the 9001 values", () => {
  const m = paintBox(emptyMask([5, 5, 5]), [1, 1, 1], [3, 3, 3]);
  assert.deepEqual(objectPairMetrics(emptyMask([5, 5, 5]), m, [1, 1, 1]), { ...EMPTY_PAIR });
  assert.deepEqual(objectPairMetrics(m, emptyMask([5, 5, 5]), [1, 1, 1]), { ...EMPTY_PAIR });
  assert.equal(EMPTY_PAIR.assd, 9001);
  assert.equal(EMPTY_PAIR.voe, 1);
});

/** Independent brute-force surface distances over all contour pairs. */
function bruteSurface(a: BinaryMask, b: BinaryMask, spacing: Vec3) {
  const pts = (m: BinaryMask) => {
    const c = contour18(m).data, [nx, ny] = m.shape, out: Vec3[] = [];
    for (let i = 0; i < c.length; i++) {
      if (c[i]) out.push([i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))]);
    }
    return out;
  };
  const pa = pts(a), pb = pts(b);
  const dist = (from: Vec3[], to: Vec3[]) =>
    from.map((p) =>
      Math.min(...to.map((q) => Math.hypot(...[0, 1, 2].map((k) => (p[k] - q[k]) * spacing[k]))))
    );
  const da = dist(pa, pb), db = dist(pb, pa), all = [...da, ...db];
  return {
    assd: all.reduce((s, d) => s + d, 0) / all.length,
    rmsd: Math.sqrt(all.reduce((s, d) => s + d * d, 0) / all.length),
    msd: Math.max(...all),
  };
}

Deno.test("shifted spheres with anisotropic spacing match brute-force distances", () => {
  const spacing: Vec3 = [0.7, 0.9, 2.5];
  const a = paintBall(emptyMask([24, 22, 10]), [11, 10, 4], 6, spacing);
  const b = paintBall(emptyMask([24, 22, 10]), [13, 9, 5], 5, spacing);
  const r = objectPairMetrics(a, b, spacing);
  const want = bruteSurface(a, b, spacing);
  close(r.assd, want.assd, 1e-5);
  close(r.rmsd, want.rmsd, 1e-5);
  close(r.msd, want.msd, 1e-5);
  // Concentric spheres of radius 4 and 6 (isotropic): every distance is about 2 voxels.
  const s4 = paintBall(emptyMask([17, 17, 17]), [8, 8, 8], 4);
  const s6 = paintBall(emptyMask([17, 17, 17]), [8, 8, 8], 6);
  const c = objectPairMetrics(s4, s6, [1, 1, 1]);
  assert.ok(c.assd > 1.2 && c.assd < 2.2, `assd ${c.assd}`);
  close(
    c.rvd,
    (s6.data.reduce((x, y) => x + y, 0) - s4.data.reduce((x, y) => x + y, 0)) /
      s4.data.reduce((x, y) => x + y, 0),
  );
});
