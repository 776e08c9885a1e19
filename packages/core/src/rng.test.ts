import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('is deterministic per (seed, labels) and independent across labels', () => {
    const a = Rng.derive(7, 'x', 1);
    const b = Rng.derive(7, 'x', 1);
    const c = Rng.derive(7, 'x', 2);
    const seqA = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(seqA);
  });

  it('is xoshiro128** (reference test vector from state 1,2,3,4)', () => {
    const r = Rng.fromState([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => r.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('pins the stream (a change here changes every artifact)', () => {
    const r = Rng.derive(0, 'pin');
    expect(Array.from({ length: 3 }, () => r.nextU32())).toEqual([3301104416, 4284398203, 1036772623]);
  });

  it('snapshot/restore continues the stream exactly (the spare normal included, through JSON)', () => {
    const a = Rng.derive(5, 'snap');
    a.nextU32();
    a.normal(); // leaves a spare normal
    const b = Rng.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect([b.normal(), b.nextU32(), b.float()]).toEqual([a.normal(), a.nextU32(), a.float()]);
    const xa = new Float64Array(7), xb = new Float64Array(7);
    a.normals(xa);
    const c = Rng.restore(a.snapshot());
    a.normals(xa);
    c.normals(xb);
    expect(Array.from(xb)).toEqual(Array.from(xa));
  });

  it('float is in [0,1) with mean 1/2 and variance 1/12', () => {
    const r = Rng.derive(1, 'float');
    const N = 200_000;
    let s = 0;
    let s2 = 0;
    let inRange = true;
    for (let i = 0; i < N; i++) {
      const x = r.float();
      inRange &&= x >= 0 && x < 1;
      s += x;
      s2 += x * x;
    }
    const mean = s / N;
    expect(inRange).toBe(true);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(s2 / N - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('int(n) is uniform over 0..n-1 (chi-square, 9 degrees of freedom)', () => {
    const r = Rng.derive(2, 'int');
    const counts = new Array(10).fill(0);
    const N = 100_000;
    for (let i = 0; i < N; i++) counts[r.int(10)]++;
    const chi2 = counts.reduce((a, c) => a + (c - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001
    expect(() => r.int(0)).toThrow(/n must be an integer/);
  });

  it('normal has mean 0 and variance 1', () => {
    const r = Rng.derive(3, 'normal');
    const N = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < N; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / N)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(s2 / N - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
  });

  it('fillNormal draws N(0, std²) (mean, variance, tails) and is deterministic', () => {
    const a = new Float64Array(400_001);
    Rng.derive(5, 'fill').fillNormal(a, 2);
    const b = new Float64Array(400_001);
    Rng.derive(5, 'fill').fillNormal(b, 2);
    expect(b).toEqual(a);
    let s = 0;
    let s2 = 0;
    let beyond2 = 0;
    for (const x of a) {
      s += x;
      s2 += x * x;
      if (Math.abs(x) > 4) beyond2++; // |z| > 2 has probability 0.0455
    }
    const N = a.length;
    expect(Math.abs(s / N)).toBeLessThan((4 * 2) / Math.sqrt(N));
    expect(Math.abs(s2 / N - 4)).toBeLessThan(4 * 4 * Math.sqrt(2 / N));
    expect(Math.abs(beyond2 / N - 0.0455)).toBeLessThan(4 * Math.sqrt((0.0455 * 0.9545) / N));
  });

  it('permutation is a permutation, and every position is uniform', () => {
    const r = Rng.derive(4, 'perm');
    const firstCounts = new Array(5).fill(0);
    let allPermutations = true;
    for (let i = 0; i < 50_000; i++) {
      const p = r.permutation(5);
      allPermutations &&= [...p].sort().join() === '0,1,2,3,4';
      firstCounts[p[0]]++;
    }
    expect(allPermutations).toBe(true);
    for (const c of firstCounts) expect(Math.abs(c - 10_000)).toBeLessThan(4 * Math.sqrt(50_000 * 0.2 * 0.8));
  });

  it('normals() gives exactly the values of successive normal() calls, spare value included', () => {
    const [a, b] = [Rng.derive(5, 'normals'), Rng.derive(5, 'normals')];
    for (const len of [1, 2, 3, 0, 4097, 7, 1, 2]) {
      const out = new Float64Array(len);
      a.normals(out);
      const want = Float64Array.from({ length: len }, () => b.normal());
      expect(Buffer.from(out.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      expect(a.nextU32()).toBe(b.nextU32()); // the same state afterwards (a pending spare is kept)
    }
    expect(a.normal()).toBe(b.normal());
  });
});
