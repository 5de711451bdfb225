/**
 * Renders an {@link Anatomy} onto a voxel grid, one axial slice at a time:
 * each organ is painted only inside its bounding box on that slice (painter's
 * order: later organs overwrite earlier ones), then the slice is blurred a
 * little (partial volume) and Gaussian noise is added.
 * @module
 */
import type { Vec3 } from "../volume.ts";
import type { Rng } from "../../util/prng.ts";
import {
  type Anatomy,
  type Capsule,
  cavity,
  type Ellipsoid,
  lobeField,
  NOISE_OFFSET,
  smin,
} from "./anatomy.ts";
import { gaussianTable, type NoisePlane, noisePlane, samplePlane } from "./noise.ts";

/** Per-slice working state: pixel coordinates (mm), HU, labels and scratch buffers. */
interface Ctx {
  an: Anatomy;
  nx: number;
  ny: number;
  s: number;
  /** mm of pixel centres in body coordinates, per column and per row. */
  X: Float64Array;
  Y: Float64Array;
  z: number;
  hu: Float32Array;
  lab: Uint8Array;
  /** Squared normalised radius of the fat-inner and cavity ellipses, per pixel. */
  inner: Float32Array;
  cav: Float32Array;
  field: Float32Array;
  shape: NoisePlane;
  lump: NoisePlane;
  tex: NoisePlane;
}

/** Half-open pixel ranges [i0, i1) x [j0, j1). */
interface Box {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

function box(ctx: Ctx, xlo: number, xhi: number, ylo: number, yhi: number): Box | null {
  const { an, nx, ny, s } = ctx;
  const i0 = Math.max(0, Math.floor((xlo + an.cx) / s + nx / 2 - 0.5));
  const i1 = Math.min(nx, Math.ceil((xhi + an.cx) / s + nx / 2 - 0.5) + 1);
  const j0 = Math.max(0, Math.floor((ylo + an.cy) / s + ny / 2 - 0.5));
  const j1 = Math.min(ny, Math.ceil((yhi + an.cy) / s + ny / 2 - 0.5) + 1);
  return i0 < i1 && j0 < j1 ? { i0, i1, j0, j1 } : null;
}

/**
 * Fill `ctx.field` with an ellipsoid's normalised distance (< 1 inside),
 * perturbed by shape noise of amplitude `amp`; returns the box it filled.
 */
function ellipsoidField(ctx: Ctx, e: Ellipsoid, amp: number, offset: number): Box | null {
  const dz = (ctx.z - e.c[2]) / e.r[2];
  const m = 1 + amp;
  if (Math.abs(dz) >= m) return null;
  const bx = box(
    ctx,
    e.c[0] - e.r[0] * m,
    e.c[0] + e.r[0] * m,
    e.c[1] - e.r[1] * m,
    e.c[1] + e.r[1] * m,
  );
  if (!bx) return null;
  const { X, Y, nx, field, shape } = ctx;
  const dz2 = dz * dz;
  for (let j = bx.j0; j < bx.j1; j++) {
    const dy = (Y[j] - e.c[1]) / e.r[1];
    const base = dy * dy + dz2;
    for (let i = bx.i0; i < bx.i1; i++) {
      const dx = (X[i] - e.c[0]) / e.r[0];
      field[i + nx * j] = Math.sqrt(dx * dx + base) + amp * samplePlane(shape, X[i] + offset, Y[j]);
    }
  }
  return bx;
}

/** Fill `ctx.field` with the distance (mm) to a capsule's axis; returns the box it filled. */
function capsuleField(ctx: Ctx, c: Capsule): Box | null {
  const { z } = ctx;
  const d = [c.b[0] - c.a[0], c.b[1] - c.a[1], c.b[2] - c.a[2]];
  let t1 = 0, t2 = 1;
  if (Math.abs(d[2]) < 1e-9) {
    if (Math.abs(z - c.a[2]) > c.r) return null;
  } else {
    const u = (z - c.r - c.a[2]) / d[2], v = (z + c.r - c.a[2]) / d[2];
    t1 = Math.max(0, Math.min(u, v));
    t2 = Math.min(1, Math.max(u, v));
    if (t1 > t2) return null;
  }
  const xa = c.a[0] + t1 * d[0], xb = c.a[0] + t2 * d[0];
  const ya = c.a[1] + t1 * d[1], yb = c.a[1] + t2 * d[1];
  const bx = box(
    ctx,
    Math.min(xa, xb) - c.r,
    Math.max(xa, xb) + c.r,
    Math.min(ya, yb) - c.r,
    Math.max(ya, yb) + c.r,
  );
  if (!bx) return null;
  const len2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  const pz = z - c.a[2];
  for (let j = bx.j0; j < bx.j1; j++) {
    const py = ctx.Y[j] - c.a[1];
    for (let i = bx.i0; i < bx.i1; i++) {
      const px = ctx.X[i] - c.a[0];
      let t = len2 > 0 ? (px * d[0] + py * d[1] + pz * d[2]) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * d[0], ey = py - t * d[1], ez = pz - t * d[2];
      ctx.field[i + ctx.nx * j] = Math.sqrt(ex * ex + ey * ey + ez * ez);
    }
  }
  return bx;
}

/** Air, couch, skin, subcutaneous fat, muscle wall and visceral fat: the whole slice. */
function paintBody(ctx: Ctx): void {
  const { an, X, Y, nx, ny, hu, lab, inner, cav } = ctx;
  const { a, b, fat } = an.body;
  const c = cavity(an);
  const h = an.hu;
  for (let j = 0; j < ny; j++) {
    const y = Y[j];
    const yo = (y / b) ** 2,
      ys = (y / (b - 2)) ** 2,
      yi = (y / (b - fat)) ** 2,
      yc = (y / c.b) ** 2;
    for (let i = 0; i < nx; i++) {
      const x = X[i];
      const k = i + nx * j;
      lab[k] = 0;
      const ri = (x / (a - fat)) ** 2 + yi;
      const rc = (x / c.a) ** 2 + yc;
      inner[k] = ri;
      cav[k] = rc;
      if ((x / a) ** 2 + yo >= 1) {
        const top = an.couchY - x * x / 1500;
        hu[k] = y > top && y < top + 5 && Math.abs(x) < 0.45 * an.fov ? h.couch : h.air;
      } else if ((x / (a - 2)) ** 2 + ys >= 1) hu[k] = h.skin;
      else if (ri >= 1) hu[k] = h.fat;
      else if (rc >= 1) hu[k] = h.muscle;
      else hu[k] = h.fat + 10;
    }
  }
}

function paintLungs(ctx: Ctx): void {
  const { an, z } = ctx;
  if (z <= an.lungBase) return;
  const g = Math.sqrt(Math.min(1, (z - an.lungBase) / 50));
  const c = cavity(an);
  for (const side of [-1, 1]) {
    const e: Ellipsoid = {
      c: [side * 0.5 * c.a, 0.05 * c.b, z],
      r: [0.45 * c.a * g, 0.8 * c.b * g, 1],
    };
    const bx = ellipsoidField(ctx, e, 0.05, 300);
    if (bx) paintInside(ctx, bx, an.hu.lung, 0, 25, true);
  }
}

/** Paint `field < 1` pixels of a box with `value` (+ texture), optionally only inside the cavity. */
function paintInside(
  ctx: Ctx,
  bx: Box,
  value: number,
  label: number,
  texture: number,
  inCavity: boolean,
): void {
  const { nx, field, hu, lab, cav, tex, X, Y } = ctx;
  for (let j = bx.j0; j < bx.j1; j++) {
    for (let i = bx.i0; i < bx.i1; i++) {
      const k = i + nx * j;
      if (field[k] >= 1 || (inCavity && cav[k] >= 1)) continue;
      hu[k] = texture ? value + texture * samplePlane(tex, X[i], Y[j]) : value;
      lab[k] = label;
    }
  }
}

function paintBowel(ctx: Ctx): void {
  const { an, nx, field, hu, lab, cav } = ctx;
  an.bowel.forEach((c, n) => {
    const bx = capsuleField(ctx, c);
    if (!bx) return;
    const gas = n % 9 < 3;
    for (let j = bx.j0; j < bx.j1; j++) {
      for (let i = bx.i0; i < bx.i1; i++) {
        const k = i + nx * j;
        if (field[k] >= c.r || cav[k] >= 1) continue;
        hu[k] = gas && field[k] < 0.55 * c.r ? -950 : an.hu.bowel;
        lab[k] = 0;
      }
    }
  });
}

function paintStomach(ctx: Ctx): void {
  const { an, nx, field, hu, lab, cav, Y } = ctx;
  const e = an.stomach;
  const bx = ellipsoidField(ctx, e, 0.1, NOISE_OFFSET.stomach);
  if (!bx) return;
  // Supine patient: gas rises anteriorly (smaller Y) above an air-fluid level.
  const level = e.c[1] - 0.35 * e.r[1];
  for (let j = bx.j0; j < bx.j1; j++) {
    for (let i = bx.i0; i < bx.i1; i++) {
      const k = i + nx * j;
      if (field[k] >= 1 || cav[k] >= 1) continue;
      hu[k] = field[k] > 0.9 ? an.hu.muscle : Y[j] < level ? -900 : an.hu.stomach;
      lab[k] = 0;
    }
  }
}

/** Paraspinal muscles behind the spine and the psoas muscles beside it below the liver. */
function paintMuscles(ctx: Ctx): void {
  const { an, z } = ctx;
  const sp = an.spine;
  const muscles: Ellipsoid[] = [];
  for (const side of [-1, 1]) {
    muscles.push({ c: [side * (sp.r + 12), sp.y + sp.r + 20, z], r: [26, 22, 1] });
    const below = -0.55 * an.liver.height - z;
    if (below > 0) {
      const r = Math.min(20, 6 + 0.3 * below);
      muscles.push({ c: [side * (sp.r + 8 + 0.6 * r), sp.y + 2, z], r: [r, r * 0.9, 1] });
    }
  }
  for (const e of muscles) {
    const bx = ellipsoidField(ctx, e, 0, 0);
    if (!bx) continue;
    const { nx, field, hu, lab, inner } = ctx;
    for (let j = bx.j0; j < bx.j1; j++) {
      for (let i = bx.i0; i < bx.i1; i++) {
        const k = i + nx * j;
        if (field[k] >= 1 || inner[k] >= 1) continue;
        hu[k] = an.hu.muscle;
        lab[k] = 0;
      }
    }
  }
}

function paintOrgans(ctx: Ctx): void {
  const { an, nx, field, hu, lab, cav } = ctx;
  for (const e of an.kidneys) {
    const bx = ellipsoidField(ctx, e, 0.08, NOISE_OFFSET.kidney);
    if (!bx) continue;
    for (let j = bx.j0; j < bx.j1; j++) {
      for (let i = bx.i0; i < bx.i1; i++) {
        const k = i + nx * j;
        if (field[k] >= 1 || cav[k] >= 1) continue;
        // Bright cortex, darker medulla (nephrographic phase).
        hu[k] = field[k] > 0.6 ? an.hu.kidney : an.hu.kidney - 60;
        lab[k] = 0;
      }
    }
  }
  const sb = ellipsoidField(ctx, an.spleen, 0.12, NOISE_OFFSET.spleen);
  if (sb) paintInside(ctx, sb, an.hu.spleen, 0, 6, true);
  const hb = ellipsoidField(ctx, an.heart, 0.05, NOISE_OFFSET.heart);
  if (hb) {
    for (let j = hb.j0; j < hb.j1; j++) {
      for (let i = hb.i0; i < hb.i1; i++) {
        const k = i + nx * j;
        const f = field[k];
        if (f >= 1.08 || cav[k] >= 1) continue;
        hu[k] = f >= 1 ? an.hu.fat : f > 0.72 ? an.hu.myocardium : an.hu.blood;
        lab[k] = 0;
      }
    }
  }
}

/** The liver (label 1), its vessels (still label 1), tumors (label 2) and the gall bladder (label 0). */
function paintLiver(ctx: Ctx): void {
  const { an, nx, X, Y, z, field, hu, lab, cav, shape, tex } = ctx;
  const { right, left, taper, amp, height } = an.liver;
  if (z < -height * (1 + amp) || z > right.r[2] * amp + 1) {
    paintGall(ctx);
    return;
  }
  const m = 1 + amp;
  const bx = box(
    ctx,
    Math.min(right.c[0] - right.r[0] * m, left.c[0] - left.r[0] * m),
    Math.max(right.c[0] + right.r[0] * m, left.c[0] + left.r[0] * m),
    Math.min(right.c[1] - right.r[1] * m, left.c[1] - left.r[1] * m),
    Math.max(right.c[1] + right.r[1] * m, left.c[1] + left.r[1] * m),
  );
  if (bx) {
    for (let j = bx.j0; j < bx.j1; j++) {
      for (let i = bx.i0; i < bx.i1; i++) {
        const k = i + nx * j;
        if (cav[k] >= 1) continue;
        const f = smin(
          lobeField(right, taper, X[i], Y[j], z),
          lobeField(left, taper, X[i], Y[j], z),
          0.25,
        ) +
          amp * samplePlane(shape, X[i] + NOISE_OFFSET.liver, Y[j]);
        if (f >= 1) continue;
        hu[k] = an.hu.liver + 7 * samplePlane(tex, X[i], Y[j]);
        lab[k] = 1;
      }
    }
  }
  for (const v of an.liverVessels) {
    const vb = capsuleField(ctx, v);
    if (!vb) continue;
    for (let j = vb.j0; j < vb.j1; j++) {
      for (let i = vb.i0; i < vb.i1; i++) {
        const k = i + nx * j;
        if (field[k] < v.r && lab[k] === 1) hu[k] = an.hu.vessel;
      }
    }
  }
  paintTumors(ctx);
  paintGall(ctx);
}

function paintTumors(ctx: Ctx): void {
  const { an, nx, X, Y, z, hu, lab, lump, tex } = ctx;
  an.tumors.forEach((t, n) => {
    const dz = (z - t.c[2]) / t.r[2];
    const m = 1 + t.lump;
    if (Math.abs(dz) >= m) return;
    const bx = box(
      ctx,
      t.c[0] - t.r[0] * m,
      t.c[0] + t.r[0] * m,
      t.c[1] - t.r[1] * m,
      t.c[1] + t.r[1] * m,
    );
    if (!bx) return;
    const off = 37 * n;
    for (let j = bx.j0; j < bx.j1; j++) {
      const dy = (Y[j] - t.c[1]) / t.r[1];
      for (let i = bx.i0; i < bx.i1; i++) {
        const k = i + nx * j;
        if (lab[k] === 0) continue;
        const dx = (X[i] - t.c[0]) / t.r[0];
        const f = Math.sqrt(dx * dx + dy * dy + dz * dz) +
          t.lump * samplePlane(lump, X[i] + off, Y[j]);
        if (f >= 1) continue;
        let v = an.hu.liver + t.delta + 5 * samplePlane(tex, X[i] + 11, Y[j]);
        if (t.necrosis && f < 0.5) v -= 15;
        if (t.rim && f > 0.8) v += 25;
        hu[k] = v;
        lab[k] = 2;
      }
    }
  });
}

function paintGall(ctx: Ctx): void {
  const g = ctx.an.gall;
  if (!g) return;
  const bx = ellipsoidField(ctx, g, 0.04, 0);
  if (bx) paintInside(ctx, bx, ctx.an.hu.gall, 0, 0, true);
}

function paintVesselsAndSpine(ctx: Ctx): void {
  const { an, nx, X, Y, z, hu, lab } = ctx;
  const sp = an.spine;
  const ao = an.aorta, ivc = an.ivc;
  const circles: { x: number; y: number; rx: number; ry: number; v: number }[] = [
    { x: ao.x, y: ao.y, rx: ao.r, ry: ao.r, v: an.hu.aorta },
  ];
  if (z < 10) circles.push({ x: ivc.x, y: ivc.y, rx: ivc.rx, ry: ivc.ry, v: an.hu.ivc });
  for (const c of circles) {
    const bx = box(ctx, c.x - c.rx, c.x + c.rx, c.y - c.ry, c.y + c.ry);
    if (!bx) continue;
    for (let j = bx.j0; j < bx.j1; j++) {
      for (let i = bx.i0; i < bx.i1; i++) {
        if (((X[i] - c.x) / c.rx) ** 2 + ((Y[j] - c.y) / c.ry) ** 2 >= 1) continue;
        hu[i + nx * j] = c.v;
        lab[i + nx * j] = 0;
      }
    }
  }
  const level = (((z - sp.phase) % sp.period) + sp.period) % sp.period;
  const disc = level < sp.disc;
  const canalY = sp.y + sp.r + 8;
  const bx = box(ctx, -1.1 * sp.r - 25, 1.1 * sp.r + 25, sp.y - sp.r, sp.y + sp.r + 45);
  if (!bx) return;
  const cortex = (1 - 2.2 / sp.r) ** 2;
  const bone = an.hu.bone;
  for (let j = bx.j0; j < bx.j1; j++) {
    const y = Y[j];
    for (let i = bx.i0; i < bx.i1; i++) {
      const x = X[i];
      const k = i + nx * j;
      let v = NaN;
      const rho = (x / (1.1 * sp.r)) ** 2 + ((y - sp.y) / sp.r) ** 2;
      if (rho < 1) {
        v = disc
          ? an.hu.disc
          : rho > cortex
          ? bone
          : an.hu.cancellous + 30 * samplePlane(ctx.tex, x, y);
      } else {
        const dc = Math.hypot(x, y - canalY);
        if (dc < 7) v = an.hu.csf;
        else if (dc < 12 && y > sp.y + sp.r - 2) v = 0.8 * bone;
        else if ((x / 4) ** 2 + ((y - canalY - 22) / 13) ** 2 < 1) v = 0.7 * bone;
        else if (((Math.abs(x) - sp.r - 10) / 12) ** 2 + ((y - sp.y - sp.r - 4) / 4) ** 2 < 1) {
          v = 0.7 * bone;
        }
      }
      if (v === v) {
        hu[k] = v;
        lab[k] = 0;
      }
    }
  }
}

/** Ribs: each descends from the spine towards the front, so a slice cuts it in oblique arcs. */
function paintRibs(ctx: Ctx): void {
  const { an, nx, X, Y, z, hu, lab } = ctx;
  const { a, b, fat, muscle } = an.body;
  const ar = a - fat - 0.5 * muscle, br = b - fat - 0.5 * muscle;
  const rb = an.ribs;
  const spans: [number, number][] = [];
  rb.z0.forEach((z0, k) => {
    const lo = Math.max(0.12, (z0 - z - rb.halfHeight) / rb.slope);
    const hi = Math.min(rb.reach[k], (z0 - z + rb.halfHeight) / rb.slope);
    if (lo < hi) spans.push([lo, hi]);
  });
  if (spans.length === 0) return;
  const w = 3.5 / Math.min(ar, br);
  const lo2 = (1 - w) ** 2, hi2 = (1 + w) ** 2;
  const bx = box(ctx, -a, a, -b, b);
  if (!bx) return;
  const v = 0.6 * an.hu.bone;
  for (let j = bx.j0; j < bx.j1; j++) {
    const ey = Y[j] / br, ey2 = ey * ey;
    for (let i = bx.i0; i < bx.i1; i++) {
      const ex = X[i] / ar;
      const r2 = ex * ex + ey2;
      if (r2 < lo2 || r2 > hi2) continue;
      const theta = Math.atan2(Math.abs(ex), ey) / Math.PI;
      for (const [s0, s1] of spans) {
        if (theta >= s0 && theta <= s1) {
          hu[i + nx * j] = v;
          lab[i + nx * j] = 0;
          break;
        }
      }
    }
  }
}

/** [1 2 1]/4 blur along x then y: the scanner's partial-volume softening of edges. */
function blur(hu: Float32Array, nx: number, ny: number, tmp: Float32Array): void {
  for (let j = 0; j < ny; j++) {
    const o = j * nx;
    for (let i = 0; i < nx; i++) {
      const l = hu[o + (i > 0 ? i - 1 : i)], r = hu[o + (i < nx - 1 ? i + 1 : i)];
      tmp[o + i] = 0.25 * (l + r) + 0.5 * hu[o + i];
    }
  }
  for (let j = 0; j < ny; j++) {
    const u = (j > 0 ? j - 1 : j) * nx, d = (j < ny - 1 ? j + 1 : j) * nx, o = j * nx;
    for (let i = 0; i < nx; i++) hu[o + i] = 0.25 * (tmp[u + i] + tmp[d + i]) + 0.5 * tmp[o + i];
  }
}

/** Render the anatomy on a size x size x nz grid: HU (int16) and labels (0/1/2), canonical LPS order. */
export function renderAnatomy(
  an: Anatomy,
  size: number,
  rng: Rng,
): { hu: Int16Array; seg: Uint8Array; spacing: Vec3 } {
  if (!Number.isInteger(size) || size < 8) {
    throw new RangeError(`size must be an integer >= 8, got ${size}`);
  }
  const nx = size, ny = size, n = nx * ny;
  const s = an.fov / size;
  const X = new Float64Array(nx), Y = new Float64Array(ny);
  for (let i = 0; i < nx; i++) X[i] = (i + 0.5 - nx / 2) * s - an.cx;
  for (let j = 0; j < ny; j++) Y[j] = (j + 0.5 - ny / 2) * s - an.cy;
  const out = new Int16Array(n * an.nz);
  const seg = new Uint8Array(n * an.nz);
  const hu = new Float32Array(n), tmp = new Float32Array(n);
  const gauss = gaussianTable();
  const sigma = an.hu.noise;
  const ctx: Ctx = {
    an,
    nx,
    ny,
    s,
    X,
    Y,
    z: 0,
    hu,
    lab: seg.subarray(0, n),
    inner: new Float32Array(n),
    cav: new Float32Array(n),
    field: new Float32Array(n),
    shape: noisePlane(an.shapeNoise, 0),
    lump: noisePlane(an.tumorNoise, 0),
    tex: noisePlane(an.textureNoise, 0),
  };
  for (let kz = 0; kz < an.nz; kz++) {
    const z = an.zBottom + (kz + 0.5) * an.dz;
    ctx.z = z;
    ctx.lab = seg.subarray(kz * n, (kz + 1) * n);
    ctx.shape = noisePlane(an.shapeNoise, z);
    ctx.lump = noisePlane(an.tumorNoise, z);
    ctx.tex = noisePlane(an.textureNoise, z);
    paintBody(ctx);
    paintLungs(ctx);
    paintBowel(ctx);
    paintStomach(ctx);
    paintMuscles(ctx);
    paintOrgans(ctx);
    paintLiver(ctx);
    paintVesselsAndSpine(ctx);
    paintRibs(ctx);
    blur(hu, nx, ny, tmp);
    const o = kz * n;
    for (let k = 0; k < n; k += 2) {
      const r = rng.uint32();
      let v = Math.round(hu[k] + sigma * gauss[r & 0xffff]);
      out[o + k] = v < -1024 ? -1024 : v > 3071 ? 3071 : v;
      if (k + 1 < n) {
        v = Math.round(hu[k + 1] + sigma * gauss[r >>> 16]);
        out[o + k + 1] = v < -1024 ? -1024 : v > 3071 ? 3071 : v;
      }
    }
  }
  return { hu: out, seg, spacing: [s, s, an.dz] };
}
