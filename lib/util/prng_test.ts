import assert from "node:assert/strict";
import { createRng, mixSeed } from "./prng.ts";

Deno.test("same seed gives the same sequence, different seeds differ", () => {
  const a = createRng(7), b = createRng(7), c = createRng(8);
  const sa = Array.from({ length: 5 }, () => a.uint32());
  assert.deepEqual(sa, Array.from({ length: 5 }, () => b.uint32()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.uint32()));
});

Deno.test("state/restore continues exactly", () => {
  const a = createRng(3);
  a.next();
  const s = a.state();
  const want = [a.next(), a.int(0, 9), a.normal()];
  const b = createRng(99);
  b.restore(s);
  assert.deepEqual([b.next(), b.int(0, 9), b.normal()], want);
  assert.throws(
    () => b.restore([1, 2] as unknown as [number, number, number, number]),
    /PRNG state/,
  );
});

Deno.test("uniform, int ranges and rough moments", () => {
  const r = createRng(1);
  let sum = 0, sq = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    const k = r.int(2, 4);
    assert.ok(k >= 2 && k <= 4 && Number.isInteger(k));
    const g = r.normal();
    sum += g;
    sq += g * g;
  }
  assert.ok(Math.abs(sum / n) < 0.05);
  assert.ok(Math.abs(sq / n - 1) < 0.05);
});

Deno.test("mixSeed separates ids", () => {
  assert.notEqual(mixSeed(1, 0), mixSeed(1, 1));
  assert.notEqual(mixSeed(1, 0), mixSeed(2, 0));
  assert.equal(mixSeed(5, 3), mixSeed(5, 3));
});
