/**
 * A low-rank product kept as its factors, after TransformerLens' `FactoredMatrix`:
 *
 *   M = A · B,   A [ldim, mdim],  B [mdim, rdim]
 *
 * A head's circuits are such products through the head's d_head bottleneck:
 *   QK_h = (E · W_Q[h]) · (E · W_K[h])ᵀ      A [d_vocab, d_head], B [d_head, d_vocab]
 *   OV_h = (E · W_V[h]) · (W_O[h] · U)        A [d_vocab, d_head], B [d_head, d_vocab]
 * so the diagonal, a row, an entry or the Frobenius norm costs O(mdim) per value instead of a
 * dense product. `dense()` multiplies out when the full matrix is needed (the artifact).
 * Every operation is tested against the dense product (factored-matrix.test.ts).
 */
import { ShapeError } from '@sortscope/core';
import { fromFn, type Matrix, matmul, select, transpose } from './matrix.ts';

export class FactoredMatrix {
  /**
   * @param A [ldim, mdim]
   * @param B [mdim, rdim]
   */
  constructor(
    readonly A: Matrix,
    readonly B: Matrix,
  ) {
    if (A.cols !== B.rows) throw new ShapeError(`FactoredMatrix: A [${A.rows}, ${A.cols}] and B [${B.rows}, ${B.cols}] do not chain (A.cols must equal B.rows)`);
  }

  get ldim(): number {
    return this.A.rows;
  }

  get mdim(): number {
    return this.A.cols;
  }

  get rdim(): number {
    return this.B.cols;
  }

  /** A · B as a dense [ldim, rdim] matrix. */
  dense(): Matrix {
    return matmul(this.A, this.B);
  }

  /** (A · B)ᵀ = Bᵀ · Aᵀ, still factored: [rdim, ldim]. */
  transpose(): FactoredMatrix {
    return new FactoredMatrix(transpose(this.B), transpose(this.A));
  }

  /** (A · B) · M = A · (B · M): [ldim, M.cols]. */
  mul(m: Matrix): FactoredMatrix {
    return new FactoredMatrix(this.A, matmul(this.B, m));
  }

  /** M · (A · B) = (M · A) · B: [M.rows, rdim]. */
  lmul(m: Matrix): FactoredMatrix {
    return new FactoredMatrix(matmul(m, this.A), this.B);
  }

  /** (A · B) · (C · D), keeping the smaller of the two middle dimensions. */
  compose(other: FactoredMatrix): FactoredMatrix {
    if (this.rdim !== other.ldim) throw new ShapeError(`FactoredMatrix.compose: [${this.ldim}, ${this.rdim}] · [${other.ldim}, ${other.rdim}] do not chain`);
    return this.mdim <= other.mdim
      ? new FactoredMatrix(this.A, matmul(matmul(this.B, other.A), other.B)) // A [l, m1], (B·C)·D [m1, r]
      : new FactoredMatrix(matmul(this.dense(), other.A), other.B); // (A·B)·C [l, m2], D [m2, r]
  }

  /**
   * The same matrix with mdim ≤ min(ldim, rdim) (TransformerLens' collapse_l / collapse_r): when the
   * middle dimension is the larger one, multiply out into the smaller side and use an identity.
   */
  collapse(): FactoredMatrix {
    if (this.mdim <= Math.min(this.ldim, this.rdim)) return this;
    const full = this.dense();
    return this.ldim <= this.rdim
      ? new FactoredMatrix(fromFn(this.ldim, this.ldim, (i, j) => (i === j ? 1 : 0)), full) // I [l, l], A·B [l, r]
      : new FactoredMatrix(full, fromFn(this.rdim, this.rdim, (i, j) => (i === j ? 1 : 0))); // A·B [l, r], I [r, r]
  }

  /** M[i, j] = Σ_k A[i, k] · B[k, j]. */
  get(i: number, j: number): number {
    const { A, B } = this;
    let s = 0;
    for (let k = 0; k < A.cols; k++) s += A.data[i * A.cols + k] * B.data[k * B.cols + j];
    return s;
  }

  /** Row i of A · B: [rdim]. */
  row(i: number): Float64Array {
    const { A, B } = this;
    const out = new Float64Array(B.cols);
    for (let k = 0; k < A.cols; k++) {
      const a = A.data[i * A.cols + k];
      for (let j = 0; j < B.cols; j++) out[j] += a * B.data[k * B.cols + j];
    }
    return out;
  }

  /** M[i, i] for i < min(ldim, rdim). */
  diagonal(): Float64Array {
    const n = Math.min(this.ldim, this.rdim);
    return Float64Array.from({ length: n }, (_, i) => this.get(i, i));
  }

  /** The rows and columns named by `rowIdx`, `colIdx` (default all), still factored. */
  select(rowIdx: ArrayLike<number> | null, colIdx: ArrayLike<number> | null): FactoredMatrix {
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    return new FactoredMatrix(select(this.A, rowIdx ?? all(this.ldim), all(this.mdim)), select(this.B, all(this.mdim), colIdx ?? all(this.rdim)));
  }

  /** ‖A · B‖_F = sqrt(trace((AᵀA) · (B Bᵀ))), from two [mdim, mdim] Gram matrices. */
  frobeniusNorm(): number {
    const ata = matmul(transpose(this.A), this.A); // [mdim, mdim]
    const bbt = matmul(this.B, transpose(this.B)); // [mdim, mdim]
    let tr = 0;
    for (let i = 0; i < this.mdim; i++) for (let k = 0; k < this.mdim; k++) tr += ata.data[i * this.mdim + k] * bbt.data[k * this.mdim + i];
    return Math.sqrt(Math.max(0, tr));
  }
}
