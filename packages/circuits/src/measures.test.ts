/**
 * Translational-symmetry measures: a hand-checked 3 × 3 example, the defining cases (exact
 * Toeplitz, constant, Hankel), scale invariance of the scale-free versions, and the projection's
 * algebra. Tolerances: 1e-12 for exact float64 arithmetic.
 */
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { fromFn, matrix, maxAbsDiff } from './matrix.ts';
import { centred, explainedVarianceCentred, sumSquares, toeplitzEV, toeplitzProjection, translational } from './measures.ts';
import { syntheticMatrices } from './testing.ts';

const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(tol);
const popStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
};

describe('translational measures', () => {
  // M = [[1, 2, 3], [4, 5, 6], [7, 8, 10]]
  const M = matrix(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 10]);

  it('match a hand computation on a 3 × 3 matrix', () => {
    const t = translational(M);
    close(t.s_par, 4 + 4 + 4 + 5); // |5−1| |6−2| |8−4| |10−5|
    close(t.s_perp, 2 + 2 + 2 + 2); // |4−2| |5−3| |7−5| |8−6|
    close(t.t, 8 - 17);
    close(t.t_norm, -9 / 25);
    // diagonals {1,5,10} {4,8} {2,6}; anti-diagonals {2,4} {3,5,7} {6,8}; single entries are skipped
    close(t.std_par, (popStd([1, 5, 10]) + popStd([4, 8]) + popStd([2, 6])) / 3);
    close(t.std_perp, (popStd([2, 4]) + popStd([3, 5, 7]) + popStd([6, 8])) / 3);
    close(t.t_std, t.std_perp - t.std_par);
    close(t.t_std_norm, (t.std_perp - t.std_par) / (t.std_perp + t.std_par));
    // EV: M′ = M − 46/9; diagonal sums of M′: d=0 16−3m, d=1 12−2m, d=2 7−m, d=−1 8−2m, d=−2 3−m
    const m = 46 / 9;
    const proj = (16 - 3 * m) ** 2 / 3 + (12 - 2 * m) ** 2 / 2 + (7 - m) ** 2 + (8 - 2 * m) ** 2 / 2 + (3 - m) ** 2;
    close(toeplitzEV(M), proj / (304 - 9 * m * m));
  });

  it('exact Toeplitz: S_par = 0, std_par = 0, T_norm = T_std_norm = 1, EV = 1', () => {
    const { toeplitz } = syntheticMatrices(51);
    const t = translational(toeplitz);
    expect(t.s_par).toBe(0);
    expect(t.std_par).toBeLessThan(1e-12);
    expect(t.s_perp).toBeGreaterThan(0);
    close(t.t_norm, 1);
    close(t.t_std_norm, 1);
    close(toeplitzEV(toeplitz), 1);
  });

  it('constant: T = 0, T_norm = 0 (defined as 0 for 0/0), EV = 0', () => {
    const t = translational(syntheticMatrices(51).constant);
    expect([t.s_par, t.s_perp, t.t, t.t_norm, t.std_par, t.std_perp, t.t_std, t.t_std_norm]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(toeplitzEV(syntheticMatrices(51).constant)).toBe(0);
  });

  it('Hankel (constant along anti-diagonals): S_perp = 0, T_norm = −1', () => {
    const rng = Rng.derive(1, 'circuits-test', 'hankel');
    const g = Array.from({ length: 2 * 20 - 1 }, () => rng.normal());
    const t = translational(fromFn(20, 20, (i, j) => g[i + j]));
    expect(t.s_perp).toBe(0);
    close(t.t_norm, -1);
    close(t.t_std_norm, -1);
  });

  it('the scale-free versions do not change when the circuit is scaled (weight decay); T scales', () => {
    const { random, toeplitz } = syntheticMatrices(21, 3);
    for (const m of [random, toeplitz]) {
      const a = translational(m);
      const b = translational(matrix(m.rows, m.cols, m.data.map((x) => 7 * x)));
      close(b.t, 7 * a.t, 1e-9);
      close(b.t_norm, a.t_norm);
      close(b.t_std_norm, a.t_std_norm);
      close(toeplitzEV(matrix(m.rows, m.cols, m.data.map((x) => 7 * x))), toeplitzEV(m));
    }
  });

  it('rectangular matrices: lines with one entry are skipped, no EV', () => {
    const t = translational(matrix(2, 3, [1, 2, 3, 5, 7, 9]));
    close(t.s_par, Math.abs(7 - 1) + Math.abs(9 - 2));
    close(t.s_perp, Math.abs(5 - 2) + Math.abs(7 - 3));
    close(t.std_par, (popStd([1, 7]) + popStd([2, 9])) / 2); // diagonals i−j = 0, −1 (1 and −2 have one entry)
    close(t.std_perp, (popStd([2, 5]) + popStd([3, 7])) / 2);
    expect(() => toeplitzEV(matrix(2, 3, [1, 2, 3, 5, 7, 9]))).toThrowError(/needs a square matrix, got \[2, 3\]/);
  });
});

describe('Toeplitz projection', () => {
  const { random } = syntheticMatrices(17, 5);

  it('is an orthogonal projection: idempotent and Pythagorean', () => {
    const p = toeplitzProjection(random);
    expect(maxAbsDiff(toeplitzProjection(p), p)).toBeLessThan(1e-12);
    const resid = matrix(17, 17, random.data.map((x, i) => x - p.data[i]));
    close(sumSquares(p) + sumSquares(resid), sumSquares(random), 1e-9);
    let inner = 0;
    for (let i = 0; i < p.data.length; i++) inner += p.data[i] * resid.data[i];
    close(inner, 0, 1e-9);
  });

  it('EV under a relabeling equals the EV of the explicitly relabelled matrix', () => {
    const perm = Rng.derive(2, 'circuits-test', 'perm').permutation(17);
    const mc = centred(random);
    const explicit = fromFn(17, 17, (i, j) => random.data[perm[i] * 17 + perm[j]]);
    close(explainedVarianceCentred(mc, sumSquares(mc), perm), toeplitzEV(explicit));
    close(explainedVarianceCentred(mc, sumSquares(mc)), toeplitzEV(random));
  });

  it('an i.i.d. random matrix has EV ≈ (2n − 2)/(n² − 1), the Toeplitz subspace’s share of dimensions', () => {
    // mean over 20 seeded 51 × 51 matrices; the std of one EV is ≈ 0.005, so of the mean ≈ 0.0012
    const evs = Array.from({ length: 20 }, (_, s) => toeplitzEV(syntheticMatrices(51, 100 + s).random));
    const mean = evs.reduce((a, b) => a + b, 0) / evs.length;
    close(mean, 100 / (51 * 51 - 1), 0.004);
  });
});
