/**
 * Small dense matrices in float64, row-major: the circuits are at most d_vocab × d_vocab
 * (52 × 52 by default), so plain loops are fast enough and exact to float64.
 *
 *   Matrix { rows, cols, data }   data[i·cols + j] = M[i, j]
 */
import { ShapeError } from '@sortscope/core';

export interface Matrix {
  rows: number;
  cols: number;
  /** [rows, cols] row-major */
  data: Float64Array;
}

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (data && data.length !== rows * cols) throw new ShapeError(`matrix: ${data.length} values do not fill [${rows}, ${cols}]`);
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

/** A matrix from a function of (i, j). */
export function fromFn(rows: number, cols: number, f: (i: number, j: number) => number): Matrix {
  const m = matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.data[i * cols + j] = f(i, j);
  return m;
}

/** Throw a ShapeError naming `what` unless `m` is [rows, cols]. */
export function assertShape(m: Matrix, rows: number, cols: number, what: string): void {
  if (m.rows !== rows || m.cols !== cols || m.data.length !== rows * cols) {
    throw new ShapeError(`${what} must be [${rows}, ${cols}], got [${m.rows}, ${m.cols}] with ${m.data.length} values`);
  }
}

/** A · B: [l, m] · [m, r] → [l, r]. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new ShapeError(`matmul: inner dimensions differ: [${a.rows}, ${a.cols}] · [${b.rows}, ${b.cols}]`);
  const out = matrix(a.rows, b.cols);
  const { data: A } = a;
  const { data: B } = b;
  const O = out.data;
  const m = a.cols;
  const r = b.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < m; k++) {
      const x = A[i * m + k];
      if (x === 0) continue;
      const bo = k * r;
      const oo = i * r;
      for (let j = 0; j < r; j++) O[oo + j] += x * B[bo + j];
    }
  }
  return out;
}

/** Mᵀ: [r, c] → [c, r]. */
export function transpose(m: Matrix): Matrix {
  const out = matrix(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j];
  return out;
}

/** The submatrix M[rowIdx, colIdx]: [rowIdx.length, colIdx.length]. */
export function select(m: Matrix, rowIdx: ArrayLike<number>, colIdx: ArrayLike<number>): Matrix {
  const out = matrix(rowIdx.length, colIdx.length);
  for (let a = 0; a < rowIdx.length; a++) {
    const i = rowIdx[a];
    if (i < 0 || i >= m.rows) throw new ShapeError(`select: row ${i} outside [0, ${m.rows})`);
    for (let b = 0; b < colIdx.length; b++) {
      const j = colIdx[b];
      if (j < 0 || j >= m.cols) throw new ShapeError(`select: column ${j} outside [0, ${m.cols})`);
      out.data[a * colIdx.length + b] = m.data[i * m.cols + j];
    }
  }
  return out;
}

/** The integers lo, lo + 1, …, hi − 1. */
export function range(lo: number, hi: number): number[] {
  return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
}

/** Rows [row0, row0 + rows) of a row-major [*, cols] array (e.g. a parameter view) as a float64 Matrix. */
export function slab(values: ArrayLike<number>, offset: number, rows: number, cols: number): Matrix {
  if (offset + rows * cols > values.length) throw new ShapeError(`slab: [${rows}, ${cols}] at offset ${offset} runs past ${values.length} values`);
  const m = matrix(rows, cols);
  for (let i = 0; i < rows * cols; i++) m.data[i] = values[offset + i];
  return m;
}

/** max |a − b| over entries (shapes must agree). */
export function maxAbsDiff(a: Matrix, b: Matrix): number {
  assertShape(b, a.rows, a.cols, 'maxAbsDiff: second matrix');
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

/** The main diagonal of a square (or the leading square part of a rectangular) matrix. */
export function diagonal(m: Matrix): Float64Array {
  const n = Math.min(m.rows, m.cols);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = m.data[i * m.cols + i];
  return out;
}
