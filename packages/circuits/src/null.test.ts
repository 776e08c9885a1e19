/**
 * The relabeling null of the Toeplitz explained variance: exact Toeplitz structure is far above
 * chance, a random matrix and a relabelled Toeplitz matrix are not; the permutations are seeded.
 */
import { describe, expect, it } from 'vitest';
import { toeplitzEV } from './measures.ts';
import { nullEVs, relabelings, toeplitzTest } from './null.ts';
import { syntheticMatrices } from './testing.ts';

const K = 200;
const s = syntheticMatrices(51);
const perms = relabelings(0, 51, K);

describe('Toeplitz null', () => {
  it('exact Toeplitz: EV 1, z ≫ 10, p = 1/(K + 1) (no relabeling reaches it)', () => {
    const t = toeplitzTest(s.toeplitz, perms);
    expect(t.ev).toBeCloseTo(1, 12);
    expect(t.ev_z).toBeGreaterThan(100);
    expect(t.ev_p).toBeCloseTo(1 / (K + 1), 15);
    expect(t.ev_null_mean).toBeLessThan(0.15);
  });

  it('random matrix: EV small and not significant', () => {
    const t = toeplitzTest(s.random, perms);
    expect(t.ev).toBeLessThan(0.06);
    expect(Math.abs(t.ev_z)).toBeLessThan(2);
    expect(t.ev_p).toBeGreaterThan(0.05);
  });

  it('a random relabeling destroys Toeplitz structure: EV falls from 1 to chance', () => {
    const t = toeplitzTest(s.relabelled, perms);
    expect(toeplitzEV(s.toeplitz) - t.ev).toBeGreaterThan(0.8);
    expect(Math.abs(t.ev_z)).toBeLessThan(2);
    expect(t.ev_p).toBeGreaterThan(0.05);
  });

  it('constant matrix: EV 0, null std 0, z undefined (NaN), p = 1', () => {
    const t = toeplitzTest(s.constant, perms);
    expect([t.ev, t.ev_null_mean, t.ev_null_std]).toEqual([0, 0, 0]);
    expect(t.ev_z).toBeNaN();
    expect(t.ev_p).toBe(1);
  });

  it('K = 0 gives EV without a null; statistics are NaN', () => {
    const t = toeplitzTest(s.toeplitz, []);
    expect(t.ev).toBeCloseTo(1, 12);
    expect([t.ev_null_mean, t.ev_null_std, t.ev_z, t.ev_p].every(Number.isNaN)).toBe(true);
  });

  it('permutations are seeded, valid, and the same for the same (seed, n, K)', () => {
    expect(relabelings(0, 51, K)).toBe(perms); // cached
    for (const p of perms) expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    const other = relabelings(1, 51, K);
    expect(other[0]).not.toEqual(perms[0]);
    expect(relabelings(0, 51, 3).map((p) => [...p])).toEqual(perms.slice(0, 3).map((p) => [...p])); // a prefix of the same stream
    const a = nullEVs(s.random, perms);
    const b = nullEVs(s.random, relabelings(0, 51, K));
    expect(a).toEqual(b);
  });
});
