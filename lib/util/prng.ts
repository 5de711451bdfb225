/**
 * A small seeded PRNG (sfc32) whose whole state is four 32-bit words, so a
 * sampler can save it in a checkpoint and resume exactly. Never `Math.random`:
 * every synthetic volume and every training batch must be reproducible.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * const u = rng.next(); // [0, 1)
 * const saved = rng.state();
 * const again = createRng(0); again.restore(saved); // again.next() === rng.next()
 * ```
 * @module
 */

/** The four sfc32 state words. */
export type RngState = [number, number, number, number];

/** A seeded generator of uniform numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A copy of the state. */
  state(): RngState;
  /** Continue from a state returned by {@link Rng.state}. */
  restore(s: RngState): void;
}

/** splitmix32 step: spreads a seed over the state words. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Mix several integers (e.g. a seed and a case id) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = splitmix32(h ^ (p >>> 0));
    h = splitmix32(h ^ Math.floor(p / 2 ** 32));
  }
  return h;
}

/** A generator seeded from any integer (the data path: splits, sampler, synthetic CT). */
export function createRng(seed: number): Rng {
  const s = seed >>> 0;
  const a = splitmix32(s);
  const b = splitmix32(a ^ (s + 1));
  return sfc32(a, b, splitmix32(b ^ (s + 2)));
}

/**
 * A generator keyed on several integers (the dropout masks: run seed, layer, step). Its own
 * mixer and seeding, not {@link mixSeed} and {@link createRng}'s: the two diverged before
 * they met here, and checkpoints of runs with dropout depend on this stream (a resumed run
 * must draw the masks its first part would have), as synthetic data sets depend on the other.
 */
export function createKeyedRng(keys: readonly number[]): Rng {
  let h = 0x811c9dc5;
  for (const k of keys) h = splitmix32(h ^ (k >>> 0)) ^ splitmix32(Math.floor(k / 2 ** 32));
  const a = splitmix32(h), b = splitmix32(a ^ 1);
  return sfc32(a, b, splitmix32(b ^ 2));
}

/** sfc32 from its first three state words (the counter starts at 1), warmed up. */
function sfc32(a: number, b: number, c: number): Rng {
  let d = 1;
  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up: the first outputs of sfc32 are weakly mixed.
  for (let i = 0; i < 12; i++) uint32();
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    normal: () => {
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
    restore: (st) => {
      if (!Array.isArray(st) || st.length !== 4 || st.some((v) => !Number.isInteger(v))) {
        throw new Error(`invalid PRNG state ${JSON.stringify(st)}: expected four integers`);
      }
      [a, b, c, d] = st.map((v) => v | 0);
    },
  };
}
