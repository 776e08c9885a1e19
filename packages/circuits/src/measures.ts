/**
 * Translational-symmetry measures of a circuit M [r, c] (docs/science.md §3). The stage applies them to
 * the number tokens only (SEP excluded), and again without the edge tokens (circuit-measures.ts).
 *
 * The authors' measure (sums of absolute neighbour differences over all valid i, j):
 *   S_par  = Σ |M[i+1, j+1] − M[i, j]|          i < r−1, j < c−1      (along the diagonal)
 *   S_perp = Σ |M[i+1, j−1] − M[i, j]|          i < r−1, 1 ≤ j < c    (across it)
 *   T      = S_perp − S_par                      (> 0: more change across than along diagonals)
 *   T_norm = T / (S_par + S_perp) ∈ [−1, 1]      (0 when both are 0; invariant to the scale of M)
 * Exact Toeplitz (M[i, j] = f(i − j)) ⇒ S_par = 0, T_norm = 1 unless M is constant; constant M ⇒ T = 0.
 *
 * The std variant (lines with ≥ 2 entries; population std of a line's entries):
 *   std_par  = mean over diagonals i − j = const of std(entries on the line)
 *   std_perp = mean over anti-diagonals i + j = const of std(entries on the line)
 *   T_std = std_perp − std_par,  T_std_norm = T_std / (std_par + std_perp)  (0 when both are 0)
 *
 * Toeplitz explained variance (square M, n × n):
 *   M′ = M − mean(M);  Π(M′)[i, j] = mean of M′ over the diagonal i − j;
 *   EV = ‖Π(M′)‖²_F / ‖M′‖²_F ∈ [0, 1]   (0 when ‖M′‖ = 0)
 * Π is the orthogonal projection onto Toeplitz matrices, so EV is the fraction of M's variance
 * that depends on j − i alone. Its null distribution is in null.ts.
 */
import { ShapeError } from '@sortscope/core';
import { type Matrix, matrix } from './matrix.ts';

export interface Translational {
  s_par: number;
  s_perp: number;
  t: number;
  t_norm: number;
  std_par: number;
  std_perp: number;
  t_std: number;
  t_std_norm: number;
}

/** a / b, or 0 when both are 0 (a scale-free ratio of a matrix with no variation). */
function ratio(a: number, b: number): number {
  return a === 0 && b === 0 ? 0 : a / b;
}

/** S_par, S_perp, T, T_norm and the std variant of M [r, c]. */
export function translational(m: Matrix): Translational {
  const { rows: r, cols: c, data: M } = m;
  let sPar = 0;
  let sPerp = 0;
  for (let i = 0; i + 1 < r; i++) {
    for (let j = 0; j + 1 < c; j++) sPar += Math.abs(M[(i + 1) * c + j + 1] - M[i * c + j]);
    for (let j = 1; j < c; j++) sPerp += Math.abs(M[(i + 1) * c + j - 1] - M[i * c + j]);
  }
  const stdPar = meanLineStd(m, (i, j) => i - j + (c - 1), r + c - 1);
  const stdPerp = meanLineStd(m, (i, j) => i + j, r + c - 1);
  return {
    s_par: sPar,
    s_perp: sPerp,
    t: sPerp - sPar,
    t_norm: ratio(sPerp - sPar, sPar + sPerp),
    std_par: stdPar,
    std_perp: stdPerp,
    t_std: stdPerp - stdPar,
    t_std_norm: ratio(stdPerp - stdPar, stdPar + stdPerp),
  };
}

/** Mean over lines (entries grouped by `line(i, j)` ∈ [0, lines)) with ≥ 2 entries of the population std. */
function meanLineStd(m: Matrix, line: (i: number, j: number) => number, lines: number): number {
  const n = new Float64Array(lines);
  const s = new Float64Array(lines);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) {
      const k = line(i, j);
      n[k]++;
      s[k] += m.data[i * m.cols + j];
    }
  const ss = new Float64Array(lines); // Σ (x − mean_line)², two-pass for accuracy
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) {
      const k = line(i, j);
      ss[k] += (m.data[i * m.cols + j] - s[k] / n[k]) ** 2;
    }
  let total = 0;
  let used = 0;
  for (let k = 0; k < lines; k++) {
    if (n[k] < 2) continue;
    total += Math.sqrt(ss[k] / n[k]);
    used++;
  }
  return used ? total / used : NaN;
}

function assertSquare(m: Matrix, what: string): void {
  if (m.rows !== m.cols) throw new ShapeError(`${what}: the Toeplitz projection needs a square matrix, got [${m.rows}, ${m.cols}]`);
}

/** M′ = M − mean(M) (a copy). */
export function centred(m: Matrix): Matrix {
  let s = 0;
  for (const x of m.data) s += x;
  const mean = s / m.data.length;
  return matrix(m.rows, m.cols, m.data.map((x) => x - mean));
}

/** Π(M): each entry replaced by the mean of its diagonal i − j. */
export function toeplitzProjection(m: Matrix): Matrix {
  assertSquare(m, 'toeplitzProjection');
  const n = m.rows;
  const sums = new Float64Array(2 * n - 1); // index i − j + n − 1
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sums[i - j + n - 1] += m.data[i * n + j];
  const out = matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.data[i * n + j] = sums[i - j + n - 1] / (n - Math.abs(i - j));
  return out;
}

/** ‖M′‖²_F of an already centred matrix. */
export function sumSquares(m: Matrix): number {
  let s = 0;
  for (const x of m.data) s += x * x;
  return s;
}

/**
 * EV of an already centred square matrix under the relabeling `perm` (identity when null):
 * ‖Π(M′[π, π])‖² / ‖M′‖², with ‖Π(X)‖² = Σ_d (Σ over diagonal d of X)² / (entries on d).
 */
export function explainedVarianceCentred(mc: Matrix, total: number, perm: ArrayLike<number> | null = null): number {
  if (total === 0) return 0;
  const n = mc.rows;
  const sums = new Float64Array(2 * n - 1);
  const M = mc.data;
  if (perm) {
    for (let i = 0; i < n; i++) {
      const row = perm[i] * n;
      for (let j = 0; j < n; j++) sums[i - j + n - 1] += M[row + perm[j]];
    }
  } else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sums[i - j + n - 1] += M[i * n + j];
  let proj = 0;
  for (let k = 0; k < 2 * n - 1; k++) proj += (sums[k] * sums[k]) / (n - Math.abs(k - n + 1));
  return proj / total;
}

/** EV = ‖Π(M′)‖² / ‖M′‖² of a square matrix (0 when M is constant). */
export function toeplitzEV(m: Matrix): number {
  assertSquare(m, 'toeplitzEV');
  const mc = centred(m);
  return explainedVarianceCentred(mc, sumSquares(mc));
}
