/**
 * Small dense linear algebra in float64 for the weight canonicalisation (canonical.ts): thin QR
 * and the SVD of a small square matrix, enough to factor a product A·Bᵀ of two [n, r] matrices
 * canonically. Matrices are row-major Float64Arrays with explicit sizes.
 *
 *   qr(A [n, r])            A = Q·R, Q [n, r] with orthonormal columns, R [r, r] upper triangular
 *                           (modified Gram–Schmidt, twice: accurate to ~1e-15 for well-scaled A);
 *                           a column dependent on the earlier ones gets a zero R diagonal and a
 *                           zero Q column.
 *   svdSquare(M [r, r])     M = U·diag(s)·Vᵀ, s ≥ 0 descending (one-sided Jacobi on the columns).
 *   balancedFactors(A, B)   A·Bᵀ = Ã·B̃ᵀ with Ã = U·√S, B̃ = V·√S from the SVD of A·Bᵀ (rank ≤ r),
 *                           signs fixed so that each column of B̃ has its largest |entry| positive.
 */

/** A [n, r] = Q R; returns Q [n, r] and R [r, r]. */
export function qr(a: Float64Array, n: number, r: number): { q: Float64Array; r: Float64Array } {
  const q = Float64Array.from(a);
  const R = new Float64Array(r * r);
  for (let j = 0; j < r; j++) {
    const norm0 = colNorm(a, n, r, j);
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * r + k] * q[i * r + j];
        R[k * r + j] += dot;
        for (let i = 0; i < n; i++) q[i * r + j] -= dot * q[i * r + k];
      }
    }
    const nrm = colNorm(q, n, r, j);
    if (nrm <= 1e-13 * Math.max(norm0, 1e-300)) {
      for (let i = 0; i < n; i++) q[i * r + j] = 0;
      R[j * r + j] = 0;
      continue;
    }
    R[j * r + j] = nrm;
    for (let i = 0; i < n; i++) q[i * r + j] /= nrm;
  }
  return { q, r: R };
}

function colNorm(a: Float64Array, n: number, r: number, j: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * r + j] ** 2;
  return Math.sqrt(s);
}

/** M [r, r] = U diag(s) Vᵀ by one-sided Jacobi; s descending. */
export function svdSquare(m: Float64Array, r: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const w = Float64Array.from(m); // columns rotated until orthogonal: W = M V
  const v = new Float64Array(r * r);
  for (let i = 0; i < r; i++) v[i * r + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < r - 1; p++)
      for (let q = p + 1; q < r; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < r; i++) {
          const x = w[i * r + p];
          const y = w[i * r + q];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < r; i++) {
          const x = w[i * r + p];
          const y = w[i * r + q];
          w[i * r + p] = c * x - s * y;
          w[i * r + q] = s * x + c * y;
          const vx = v[i * r + p];
          const vy = v[i * r + q];
          v[i * r + p] = c * vx - s * vy;
          v[i * r + q] = s * vx + c * vy;
        }
      }
    if (!rotated) break;
  }
  const sv = Array.from({ length: r }, (_, j) => colNorm(w, r, r, j));
  const order = sv.map((_, j) => j).sort((a, b) => sv[b] - sv[a]);
  const u = new Float64Array(r * r);
  const vs = new Float64Array(r * r);
  const s = new Float64Array(r);
  order.forEach((j, k) => {
    s[k] = sv[j];
    for (let i = 0; i < r; i++) {
      u[i * r + k] = sv[j] > 0 ? w[i * r + j] / sv[j] : 0;
      vs[i * r + k] = v[i * r + j];
    }
  });
  return { u, s, v: vs };
}

/**
 * A [n, r], B [m, r] → Ã [n, r], B̃ [m, r] with Ã·B̃ᵀ = A·Bᵀ, Ã = U√S and B̃ = V√S (balanced: column
 * k of each has norm √s_k). The result depends only on the product A·Bᵀ (up to the order of equal
 * singular values), which is what makes it a canonical representative of the orbit
 * (A·G, B·G⁻ᵀ), G invertible.
 */
export function balancedFactors(a: Float64Array, n: number, b: Float64Array, m: number, r: number): { a: Float64Array; b: Float64Array; s: Float64Array } {
  const qa = qr(a, n, r);
  const qb = qr(b, m, r);
  // core = Ra · Rbᵀ  [r, r]
  const core = new Float64Array(r * r);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += qa.r[i * r + k] * qb.r[j * r + k];
      core[i * r + j] = s;
    }
  const { u, s, v } = svdSquare(core, r);
  const outA = new Float64Array(n * r);
  const outB = new Float64Array(m * r);
  for (let k = 0; k < r; k++) {
    const root = Math.sqrt(s[k]);
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let l = 0; l < r; l++) x += qa.q[i * r + l] * u[l * r + k];
      outA[i * r + k] = x * root;
    }
    for (let i = 0; i < m; i++) {
      let x = 0;
      for (let l = 0; l < r; l++) x += qb.q[i * r + l] * v[l * r + k];
      outB[i * r + k] = x * root;
    }
    // sign: the largest |entry| of B̃'s column k is positive
    let big = 0;
    for (let i = 0; i < m; i++) if (Math.abs(outB[i * r + k]) > Math.abs(big)) big = outB[i * r + k];
    if (big < 0) {
      for (let i = 0; i < n; i++) outA[i * r + k] = -outA[i * r + k];
      for (let i = 0; i < m; i++) outB[i * r + k] = -outB[i * r + k];
    }
  }
  return { a: outA, b: outB, s };
}
