/**
 * Smooth value noise on a coarse 3D grid (in mm), sliced to a 2D plane once
 * per axial slice so that per-pixel sampling is a cheap bilinear lookup.
 * Used for organ shape perturbation and tissue texture of synthetic CT.
 * @module
 */
import { createRng, type Rng } from "../../util/prng.ts";

/** Random values in [-1, 1] on a regular grid starting at (x0, y0, z0) mm. */
export interface NoiseGrid {
  step: number;
  x0: number;
  y0: number;
  z0: number;
  nx: number;
  ny: number;
  nz: number;
  data: Float32Array;
}

/** One z of a {@link NoiseGrid}: a 2D grid sampled bilinearly. */
export interface NoisePlane {
  step: number;
  x0: number;
  y0: number;
  nx: number;
  ny: number;
  data: Float32Array;
}

/** A grid of spacing `step` mm covering [lo, hi] (mm, per axis). */
export function createNoiseGrid(
  rng: Rng,
  lo: [number, number, number],
  hi: [number, number, number],
  step: number,
): NoiseGrid {
  const n = lo.map((l, i) => Math.max(2, Math.ceil((hi[i] - l) / step) + 2));
  const data = new Float32Array(n[0] * n[1] * n[2]);
  for (let i = 0; i < data.length; i++) data[i] = 2 * rng.next() - 1;
  return { step, x0: lo[0], y0: lo[1], z0: lo[2], nx: n[0], ny: n[1], nz: n[2], data };
}

/** Smoothstep weight: removes the grid's visible creases of plain linear interpolation. */
function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** The grid at height z (mm), interpolated between its two nearest layers. */
export function noisePlane(g: NoiseGrid, z: number): NoisePlane {
  const fz = Math.min(Math.max((z - g.z0) / g.step, 0), g.nz - 1.000001);
  const k = Math.floor(fz);
  const t = smooth(fz - k);
  const n = g.nx * g.ny;
  const data = new Float32Array(n);
  const a = k * n, b = (k + 1) * n;
  for (let i = 0; i < n; i++) data[i] = g.data[a + i] * (1 - t) + g.data[b + i] * t;
  return { step: g.step, x0: g.x0, y0: g.y0, nx: g.nx, ny: g.ny, data };
}

/** Bilinear (smoothstep-weighted) sample of a plane at (x, y) mm, clamped to its edges. */
export function samplePlane(p: NoisePlane, x: number, y: number): number {
  let fx = (x - p.x0) / p.step, fy = (y - p.y0) / p.step;
  fx = fx < 0 ? 0 : fx > p.nx - 1.000001 ? p.nx - 1.000001 : fx;
  fy = fy < 0 ? 0 : fy > p.ny - 1.000001 ? p.ny - 1.000001 : fy;
  const i = fx | 0, j = fy | 0;
  const tx = smooth(fx - i), ty = smooth(fy - j);
  const o = i + p.nx * j;
  const d = p.data;
  const top = d[o] + (d[o + 1] - d[o]) * tx;
  const bot = d[o + p.nx] + (d[o + p.nx + 1] - d[o + p.nx]) * tx;
  return top + (bot - top) * ty;
}

/** Sample a grid at one 3D point (for the few point queries, e.g. placing tumors). */
export function sampleGrid(g: NoiseGrid, x: number, y: number, z: number): number {
  const fz = Math.min(Math.max((z - g.z0) / g.step, 0), g.nz - 1.000001);
  const k = Math.floor(fz);
  const t = smooth(fz - k);
  const plane = (kk: number): NoisePlane => ({
    step: g.step,
    x0: g.x0,
    y0: g.y0,
    nx: g.nx,
    ny: g.ny,
    data: g.data.subarray(kk * g.nx * g.ny, (kk + 1) * g.nx * g.ny),
  });
  return samplePlane(plane(k), x, y) * (1 - t) + samplePlane(plane(k + 1), x, y) * t;
}

let table: Float32Array | undefined;

/**
 * 65536 standard-normal values (fixed seed). Indexing it with random 16-bit
 * numbers gives Gaussian image noise far faster than Box-Muller per voxel.
 */
export function gaussianTable(): Float32Array {
  if (table) return table;
  const rng = createRng(0x5eed);
  table = new Float32Array(65536);
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  return table;
}
