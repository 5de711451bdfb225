/**
 * Draws one synthetic patient: every organ's position, size and intensity, in
 * mm around the body centre (X to the patient's left, Y posterior, Z superior,
 * Z = 0 at the liver dome). Rendering is in `render.ts`; this module only
 * decides what is where, so the same anatomy renders at any resolution.
 * @module
 */
import type { Vec3 } from "../volume.ts";
import type { Rng } from "../../util/prng.ts";
import { createNoiseGrid, type NoiseGrid, sampleGrid } from "./noise.ts";

/** An axis-aligned ellipsoid (mm). */
export interface Ellipsoid {
  c: Vec3;
  r: Vec3;
}

/** A tube between two points (mm): a vessel or a bowel loop. */
export interface Capsule {
  a: Vec3;
  b: Vec3;
  r: number;
}

/** A liver tumor: a lumpy ellipsoid darker (or brighter) than the liver. */
export interface Tumor extends Ellipsoid {
  /** HU added to the liver (negative: hypodense). */
  delta: number;
  /** Shape perturbation amplitude (fraction of the radius). */
  lump: number;
  /** Darker necrotic core (large tumors). */
  necrosis: boolean;
  /** Enhancing rim. */
  rim: boolean;
}

/** Tissue intensities (HU) of one patient and contrast phase. */
export interface Intensities {
  air: number;
  fat: number;
  muscle: number;
  skin: number;
  liver: number;
  spleen: number;
  vessel: number;
  aorta: number;
  ivc: number;
  kidney: number;
  myocardium: number;
  blood: number;
  gall: number;
  bone: number;
  cancellous: number;
  disc: number;
  csf: number;
  lung: number;
  bowel: number;
  stomach: number;
  couch: number;
  /** Standard deviation of the Gaussian image noise. */
  noise: number;
}

/** One synthetic patient, independent of the voxel grid it is rendered on. */
export interface Anatomy {
  /** In-plane field of view (mm, square). */
  fov: number;
  /** z (mm) of slice 0 and slice spacing; slices run superior. */
  zBottom: number;
  dz: number;
  nz: number;
  /** Body centre offset from the image centre (mm). */
  cx: number;
  cy: number;
  body: { a: number; b: number; fat: number; muscle: number };
  hu: Intensities;
  liver: { right: Ellipsoid; left: Ellipsoid; taper: number; amp: number; height: number };
  spleen: Ellipsoid;
  heart: Ellipsoid;
  kidneys: Ellipsoid[];
  gall: Ellipsoid | null;
  stomach: Ellipsoid;
  bowel: Capsule[];
  liverVessels: Capsule[];
  aorta: { x: number; y: number; r: number };
  ivc: { x: number; y: number; rx: number; ry: number };
  spine: { y: number; r: number; period: number; disc: number; phase: number };
  ribs: { z0: number[]; reach: number[]; slope: number; halfHeight: number };
  lungBase: number;
  couchY: number;
  tumors: Tumor[];
  /** Organ shape perturbation (12 mm), tumor lumpiness (5 mm), tissue texture (3 mm). */
  shapeNoise: NoiseGrid;
  tumorNoise: NoiseGrid;
  textureNoise: NoiseGrid;
}

/** What a case may override; everything else is drawn from the seed. */
export interface AnatomyOptions {
  /** Number of slices; default 40..90 drawn per case. */
  slices?: number;
  /** Number of tumors; default 0..6 drawn per case (0 with probability 0.1). */
  tumorCount?: number;
}

/** Smooth minimum: unites two implicit shapes without a crease. */
export function smin(a: number, b: number, k: number): number {
  const h = Math.max(k - Math.abs(a - b), 0) / k;
  return Math.min(a, b) - h * h * k / 4;
}

/** Normalised distance of a liver lobe: < 1 inside; narrower towards its inferior tip. */
export function lobeField(e: Ellipsoid, taper: number, x: number, y: number, z: number): number {
  const dz = (z - e.c[2]) / e.r[2];
  const s = dz < 0 ? Math.max(0.2, 1 + taper * dz) : 1;
  const dx = (x - e.c[0]) / (e.r[0] * s), dy = (y - e.c[1]) / (e.r[1] * s);
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/** In-plane offsets so that different organs read different parts of the same noise grid. */
export const NOISE_OFFSET = { liver: 0, spleen: 57, kidney: 113, heart: 171, stomach: 229 };

/** The liver's implicit field at one point (< 1 inside, ignoring the body wall clip). */
export function liverFieldAt(an: Anatomy, x: number, y: number, z: number): number {
  const l = an.liver;
  const f = smin(lobeField(l.right, l.taper, x, y, z), lobeField(l.left, l.taper, x, y, z), 0.25);
  return f + l.amp * sampleGrid(an.shapeNoise, x + NOISE_OFFSET.liver, y, z);
}

/** Semi-axes of the abdominal cavity (inside fat and muscle). */
export function cavity(an: Anatomy): { a: number; b: number } {
  const { a, b, fat, muscle } = an.body;
  return { a: a - fat - muscle, b: b - fat - muscle };
}

/** A random point inside the liver, at least a margin from its surface (field < maxField). */
function pointInLiver(an: Anatomy, rng: Rng, maxField: number): Vec3 | null {
  const { right, left } = an.liver;
  const cav = cavity(an);
  const lo = [
    Math.min(right.c[0] - right.r[0], left.c[0] - left.r[0]),
    Math.min(right.c[1] - right.r[1], left.c[1] - left.r[1]),
    -an.liver.height,
  ];
  const hi = [
    Math.max(right.c[0] + right.r[0], left.c[0] + left.r[0]),
    Math.max(right.c[1] + right.r[1], left.c[1] + left.r[1]),
    0,
  ];
  for (let tries = 0; tries < 400; tries++) {
    const p: Vec3 = [
      rng.uniform(lo[0], hi[0]),
      rng.uniform(lo[1], hi[1]),
      rng.uniform(lo[2], hi[2]),
    ];
    const inCavity = (p[0] / (cav.a - 15)) ** 2 + (p[1] / (cav.b - 15)) ** 2 < 1;
    if (inCavity && liverFieldAt(an, p[0], p[1], p[2]) < maxField) return p;
  }
  return null;
}

function drawTumors(an: Anatomy, rng: Rng, count: number): Tumor[] {
  const tumors: Tumor[] = [];
  for (let i = 0; i < count; i++) {
    const c = pointInLiver(an, rng, 0.8);
    if (!c) break;
    // Mostly >= 5 mm radius (>= 1 cm across) so they survive 4x down-sampling; a few small ones.
    const radius = rng.next() < 0.15
      ? rng.uniform(2.5, 5)
      : Math.exp(rng.uniform(Math.log(6), Math.log(35)));
    const u = rng.next();
    const delta = u < 0.7
      ? -rng.uniform(20, 60)
      : u < 0.9
      ? -rng.uniform(8, 18)
      : rng.uniform(20, 40);
    tumors.push({
      c,
      r: [
        radius * rng.uniform(0.75, 1.25),
        radius * rng.uniform(0.75, 1.25),
        radius * rng.uniform(0.7, 1.2),
      ],
      delta,
      lump: Math.min(0.35, 0.1 + radius / 80),
      necrosis: radius > 15 && rng.next() < 0.6,
      rim: rng.next() < 0.25,
    });
  }
  return tumors;
}

/** Vessels inside the liver: hepatic veins converging on the IVC, portal branches from the hilum. */
function drawLiverVessels(an: Anatomy, rng: Rng): Capsule[] {
  const vessels: Capsule[] = [];
  const h = an.liver.height;
  const ivcTop: Vec3 = [an.ivc.x, an.ivc.y, -0.1 * h];
  for (let i = 0; i < 3; i++) {
    const p = pointInLiver(an, rng, 0.85);
    if (p) vessels.push({ a: ivcTop, b: p, r: rng.uniform(3.5, 6) });
  }
  const r = an.liver.right;
  const hilum: Vec3 = [r.c[0] + 0.45 * r.r[0], r.c[1] + 0.1 * r.r[1], -0.6 * h];
  for (let i = 0; i < 2; i++) {
    const p = pointInLiver(an, rng, 0.8);
    if (!p) continue;
    vessels.push({ a: hilum, b: p, r: rng.uniform(4.5, 7) });
    for (let j = 0; j < 2; j++) {
      const q = pointInLiver(an, rng, 0.9);
      if (q) vessels.push({ a: p, b: q, r: rng.uniform(2.5, 4) });
    }
  }
  return vessels;
}

/** Bowel loops in the lower abdomen: random walks of tubes, some with gas. */
function drawBowel(an: Anatomy, rng: Rng): Capsule[] {
  const cav = cavity(an);
  const loops: Capsule[] = [];
  const zTop = -0.45 * an.liver.height;
  const zLow = an.zBottom;
  if (zTop <= zLow) return loops;
  for (let i = 0; i < 8; i++) {
    let p: Vec3 = [
      rng.uniform(-0.6, 0.6) * cav.a,
      rng.uniform(-0.7, 0.2) * cav.b,
      rng.uniform(zLow, zTop),
    ];
    const r = rng.uniform(9, 17);
    for (let s = 0; s < 3; s++) {
      const q: Vec3 = [
        Math.max(-0.65 * cav.a, Math.min(0.65 * cav.a, p[0] + rng.uniform(-40, 40))),
        Math.max(-0.75 * cav.b, Math.min(0.25 * cav.b, p[1] + rng.uniform(-30, 30))),
        Math.min(zTop, p[2] + rng.uniform(-30, 30)),
      ];
      loops.push({ a: p, b: q, r });
      p = q;
    }
  }
  return loops;
}

/** Draw a whole patient from a seeded generator. */
export function drawAnatomy(rng: Rng, opts: AnatomyOptions = {}): Anatomy {
  const fov = 512 * rng.uniform(0.6, 0.9);
  const nz = opts.slices ?? rng.int(40, 90);
  if (!Number.isInteger(nz) || nz < 1) {
    throw new RangeError(`slices must be a positive integer, got ${nz}`);
  }
  // Physical z extent stays plausible (an abdominal scan, chest to pelvis) whatever the slice count.
  const wanted = rng.uniform(230, 400);
  const dz = opts.slices === undefined ? Math.min(5, Math.max(1.5, wanted / nz)) : wanted / nz;
  const extent = nz * dz;
  const height = Math.min(rng.uniform(110, 170), 0.65 * extent);
  const topMargin = Math.min(rng.uniform(20, 70), 0.85 * extent - height);
  const zTop = topMargin;
  const zBottom = zTop - extent;

  const a = rng.uniform(0.8, 0.92) * fov / 2;
  const b = a * rng.uniform(0.62, 0.8);
  const cxMax = Math.max(0, 0.97 * fov / 2 - a);
  const cx = rng.uniform(-1, 1) * Math.min(cxMax, 0.03 * fov);
  const cy = rng.uniform(-0.5, 1) * Math.min(Math.max(0, 0.9 * fov / 2 - b), 0.04 * fov);
  const fat = rng.uniform(8, 32), muscle = rng.uniform(8, 14);
  const cav = { a: a - fat - muscle, b: b - fat - muscle };

  const liverHU = rng.uniform(60, 120);
  const aorta = rng.uniform(150, 280);
  const hu: Intensities = {
    air: -1000,
    fat: rng.uniform(-110, -85),
    muscle: rng.uniform(40, 60),
    skin: rng.uniform(10, 40),
    liver: liverHU,
    spleen: liverHU + rng.uniform(-5, 25),
    vessel: liverHU + rng.uniform(50, 100),
    aorta,
    ivc: aorta * rng.uniform(0.7, 0.9),
    kidney: rng.uniform(140, 220),
    myocardium: rng.uniform(50, 80),
    blood: aorta * rng.uniform(0.8, 0.95),
    gall: rng.uniform(0, 20),
    bone: rng.uniform(500, 900),
    cancellous: rng.uniform(150, 250),
    disc: rng.uniform(70, 100),
    csf: rng.uniform(5, 20),
    lung: rng.uniform(-880, -820),
    bowel: rng.uniform(20, 45),
    stomach: rng.uniform(5, 25),
    couch: rng.uniform(80, 200),
    noise: rng.uniform(10, 20),
  };

  const rv = rng.uniform(15, 20);
  const spineY = Math.max(0.15 * b, b - fat - rng.uniform(55, 70));
  const jx = () => rng.uniform(-0.06, 0.06) * cav.a;
  const jy = () => rng.uniform(-0.06, 0.06) * cav.b;
  const right: Ellipsoid = {
    c: [-0.45 * cav.a + jx(), -0.08 * cav.b + jy(), -0.5 * height],
    r: [rng.uniform(0.45, 0.55) * cav.a, rng.uniform(0.65, 0.8) * cav.b, 0.5 * height],
  };
  const leftScale = rng.uniform(0.6, 1.2);
  const left: Ellipsoid = {
    c: [rng.uniform(-0.05, 0.15) * cav.a, -0.5 * cav.b + jy(), -0.3 * height],
    r: [0.38 * cav.a * leftScale, 0.28 * cav.b, 0.25 * height],
  };
  const kidneyZ = -height * rng.uniform(0.8, 0.95);
  const kidneyX = rv + rng.uniform(35, 50);
  const kidney = (side: number, z: number): Ellipsoid => ({
    c: [side * kidneyX, spineY - 5, z],
    r: [rng.uniform(22, 28), rng.uniform(25, 32), rng.uniform(45, 58)],
  });

  const ribSpacing = rng.uniform(22, 28);
  const rib12 = -height * rng.uniform(0.7, 0.9);
  const z0: number[] = [], reach: number[] = [];
  for (let k = 0; k < 12; k++) {
    z0.push(rib12 + k * ribSpacing);
    reach.push(k === 0 ? 0.45 : k === 1 ? 0.6 : k < 5 ? 0.8 : 0.9);
  }

  const gridLo: Vec3 = [-fov / 2 - 100, -fov / 2 - 100, zBottom - 20];
  const gridHi: Vec3 = [fov / 2 + 300, fov / 2 + 100, zTop + 20];
  const an: Anatomy = {
    fov,
    zBottom,
    dz,
    nz,
    cx,
    cy,
    body: { a, b, fat, muscle },
    hu,
    liver: { right, left, taper: rng.uniform(0.3, 0.5), amp: rng.uniform(0.08, 0.16), height },
    spleen: {
      c: [0.6 * cav.a + jx(), 0.3 * cav.b + jy(), -height * rng.uniform(0.2, 0.4)],
      r: [rng.uniform(0.16, 0.24) * cav.a, rng.uniform(0.3, 0.4) * cav.b, rng.uniform(40, 60)],
    },
    heart: {
      c: [rng.uniform(0, 0.15) * cav.a, -0.25 * cav.b, rng.uniform(45, 60)],
      r: [rng.uniform(0.35, 0.45) * cav.a, rng.uniform(0.45, 0.55) * cav.b, rng.uniform(55, 65)],
    },
    kidneys: [kidney(-1, kidneyZ), kidney(1, kidneyZ + rng.uniform(10, 25))],
    gall: rng.next() < 0.85
      ? {
        c: [right.c[0] + 0.55 * right.r[0], -0.45 * cav.b, -height * rng.uniform(0.65, 0.8)],
        r: [rng.uniform(12, 18), rng.uniform(16, 24), rng.uniform(28, 40)],
      }
      : null,
    stomach: {
      c: [0.35 * cav.a, -0.2 * cav.b, -height * rng.uniform(0.25, 0.4)],
      r: [rng.uniform(0.2, 0.28) * cav.a, rng.uniform(0.25, 0.35) * cav.b, rng.uniform(40, 60)],
    },
    bowel: [],
    liverVessels: [],
    aorta: { x: rng.uniform(0.3, 0.6) * rv, y: spineY - rv - 14, r: rng.uniform(10, 14) },
    ivc: {
      x: -(0.6 * rv + 14),
      y: spineY - rv - 10,
      rx: rng.uniform(11, 15),
      ry: rng.uniform(8, 11),
    },
    spine: {
      y: spineY,
      r: rv,
      period: rng.uniform(28, 34),
      disc: rng.uniform(5, 8),
      phase: rng.uniform(0, 30),
    },
    ribs: { z0, reach, slope: rng.uniform(90, 130), halfHeight: rng.uniform(4, 5.5) },
    lungBase: -height * rng.uniform(0.2, 0.35),
    couchY: Math.min(b + rng.uniform(4, 15), fov / 2 - cy - 8),
    tumors: [],
    shapeNoise: createNoiseGrid(rng, gridLo, gridHi, 12),
    tumorNoise: createNoiseGrid(rng, gridLo, gridHi, 5),
    textureNoise: createNoiseGrid(rng, [-fov / 2 - cx - 10, -fov / 2 - cy - 10, zBottom - 10], [
      fov / 2 - cx + 10,
      fov / 2 - cy + 10,
      zTop + 10,
    ], 3),
  };
  an.liverVessels = drawLiverVessels(an, rng);
  an.bowel = drawBowel(an, rng);
  const count = opts.tumorCount ?? (rng.next() < 0.1 ? 0 : rng.int(1, 6));
  an.tumors = drawTumors(an, rng, count);
  return an;
}
