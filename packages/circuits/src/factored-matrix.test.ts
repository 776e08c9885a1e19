/**
 * The factored product against the dense one (TransformerLens' FactoredMatrix tests): every
 * operation on random seeded shapes with ldim greater than, less than and equal to mdim.
 * Tolerance 1e-12: float64 sums of ≤ 20 products of N(0, 1) values.
 */
import { Rng, ShapeError } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { FactoredMatrix } from './factored-matrix.ts';
import { diagonal, fromFn, type Matrix, matmul, maxAbsDiff, select, transpose } from './matrix.ts';

const TOL = 1e-12;

function randomMatrix(rows: number, cols: number, rng: Rng): Matrix {
  return fromFn(rows, cols, () => rng.normal());
}

/** [ldim, mdim, rdim]: ldim > mdim, ldim < mdim, ldim = mdim, and a wide middle. */
const SHAPES: [number, number, number][] = [
  [7, 3, 5],
  [3, 7, 5],
  [4, 4, 6],
  [5, 9, 2],
  [1, 3, 1],
];

describe('FactoredMatrix', () => {
  it.each(SHAPES)('agrees with the dense product for [%i, %i] · [%i, r]', (l, m, r) => {
    const rng = Rng.derive(l * 100 + m * 10 + r, 'circuits-test', 'factored');
    const A = randomMatrix(l, m, rng);
    const B = randomMatrix(m, r, rng);
    const fm = new FactoredMatrix(A, B);
    const dense = matmul(A, B);
    expect([fm.ldim, fm.mdim, fm.rdim]).toEqual([l, m, r]);
    expect(maxAbsDiff(fm.dense(), dense)).toBeLessThan(TOL);
    expect(maxAbsDiff(fm.transpose().dense(), transpose(dense))).toBeLessThan(TOL);
    // entries, rows, the diagonal
    for (let i = 0; i < l; i++) {
      for (let j = 0; j < r; j++) expect(Math.abs(fm.get(i, j) - dense.data[i * r + j])).toBeLessThan(TOL);
      const row = fm.row(i);
      for (let j = 0; j < r; j++) expect(Math.abs(row[j] - dense.data[i * r + j])).toBeLessThan(TOL);
    }
    const d = fm.diagonal();
    expect(d).toHaveLength(Math.min(l, r));
    diagonal(dense).forEach((x, i) => expect(Math.abs(d[i] - x)).toBeLessThan(TOL));
    // products with dense matrices on either side
    const R = randomMatrix(r, 4, rng);
    const L = randomMatrix(3, l, rng);
    expect(maxAbsDiff(fm.mul(R).dense(), matmul(dense, R))).toBeLessThan(TOL);
    expect(maxAbsDiff(fm.lmul(L).dense(), matmul(L, dense))).toBeLessThan(TOL);
    // selection of rows and columns
    const rows = [l - 1, 0];
    const cols = [0, r - 1];
    expect(maxAbsDiff(fm.select(rows, cols).dense(), select(dense, rows, cols))).toBeLessThan(TOL);
    expect(maxAbsDiff(fm.select(null, cols).dense(), select(dense, Array.from({ length: l }, (_, i) => i), cols))).toBeLessThan(TOL);
    // the Frobenius norm from Gram matrices
    const frob = Math.sqrt(dense.data.reduce((a, x) => a + x * x, 0));
    expect(Math.abs(fm.frobeniusNorm() - frob)).toBeLessThan(1e-10 * Math.max(1, frob));
    // collapse keeps the matrix and brings mdim down to min(ldim, rdim) when it was larger
    const c = fm.collapse();
    expect(c.mdim).toBe(Math.min(m, l, r));
    expect(maxAbsDiff(c.dense(), dense)).toBeLessThan(TOL);
  });

  it.each([
    [4, 2, 5, 6, 3],
    [4, 6, 5, 2, 3],
  ])('composes two factored matrices, keeping the smaller middle ([%i,%i]·[%i,·] then [%i·%i])', (l, m1, r1, m2, r2) => {
    const rng = Rng.derive(l + m1 + m2, 'circuits-test', 'compose');
    const f = new FactoredMatrix(randomMatrix(l, m1, rng), randomMatrix(m1, r1, rng));
    const g = new FactoredMatrix(randomMatrix(r1, m2, rng), randomMatrix(m2, r2, rng));
    const fg = f.compose(g);
    expect(fg.mdim).toBe(Math.min(m1, m2));
    expect(maxAbsDiff(fg.dense(), matmul(f.dense(), g.dense()))).toBeLessThan(TOL);
  });

  it('refuses factors that do not chain, naming the shapes', () => {
    expect(() => new FactoredMatrix(fromFn(3, 2, () => 1), fromFn(3, 2, () => 1))).toThrowError(ShapeError);
    expect(() => new FactoredMatrix(fromFn(3, 2, () => 1), fromFn(3, 2, () => 1))).toThrowError(/A \[3, 2\] and B \[3, 2\] do not chain/);
    const f = new FactoredMatrix(fromFn(3, 2, () => 1), fromFn(2, 4, () => 1));
    expect(() => f.compose(f)).toThrowError(/\[3, 4\] · \[3, 4\] do not chain/);
    expect(() => f.mul(fromFn(3, 3, () => 1))).toThrowError(/matmul: inner dimensions differ/);
  });
});
