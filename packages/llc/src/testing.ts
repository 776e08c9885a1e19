/** Analytic test problems for the SGLD / LLC machinery (no transformer involved). */
import { Rng } from '@sortscope/core';
import type { SgldProblem } from './chain.ts';

/** L(w) = ½ Σ h_i w_i², the same on every "minibatch". */
export function quadratic(h: number[]): SgldProblem<null> {
  return {
    size: h.length,
    lossAndGrad(w) {
      let loss = 0;
      const grad = new Float32Array(h.length);
      h.forEach((hi, i) => {
        loss += 0.5 * hi * w[i] * w[i];
        grad[i] = hi * w[i];
      });
      return { loss, grad };
    },
  };
}

export interface Regression {
  x: Float64Array;
  y: Float64Array;
  n: number;
  d: number;
}

/** n points, x ~ N(0, I_d), y = x·w* + N(0, 1). */
export function regressionData(n: number, d: number, seed: number): Regression & { wStar: Float64Array } {
  const rng = Rng.derive(seed, 'regression');
  const wStar = Float64Array.from({ length: d }, () => rng.normal());
  const x = Float64Array.from({ length: n * d }, () => rng.normal());
  const y = Float64Array.from({ length: n }, (_, i) => {
    let s = rng.normal();
    for (let j = 0; j < d; j++) s += x[i * d + j] * wStar[j];
    return s;
  });
  return { x, y, n, d, wStar };
}

/** Minibatch streams over row indices, reshuffled each epoch; `skip` batches already drawn. */
export function rowStream(n: number, batch: number, rng: (epoch: number) => Rng, skip = 0): () => Uint32Array {
  const perEpoch = Math.floor(n / batch);
  let epoch = Math.floor(skip / perEpoch);
  let order = rng(epoch).permutation(n);
  let pos = (skip % perEpoch) * batch;
  return () => {
    if (pos + batch > n) {
      epoch++;
      order = rng(epoch).permutation(n);
      pos = 0;
    }
    const b = order.subarray(pos, pos + batch);
    pos += batch;
    return b;
  };
}

/** Mean squared error ½(y − f(x; w))² with f given with its gradient. */
export function mseProblem(data: Regression, size: number, f: (xRow: Float64Array, w: Float32Array, grad: Float64Array) => number): SgldProblem<Uint32Array> {
  const xRow = new Float64Array(data.d);
  const g = new Float64Array(size);
  return {
    size,
    lossAndGrad(w, rows) {
      let loss = 0;
      const grad = new Float32Array(size);
      for (const r of rows) {
        xRow.set(data.x.subarray(r * data.d, (r + 1) * data.d));
        const pred = f(xRow, w, g);
        const res = pred - data.y[r];
        loss += (0.5 * res * res) / rows.length;
        for (let j = 0; j < size; j++) grad[j] += (res * g[j]) / rows.length;
      }
      return { loss, grad };
    },
  };
}

/** Linear regression f = x·w (regular: λ = d/2). */
export function linearModel(data: Regression): SgldProblem<Uint32Array> {
  return mseProblem(data, data.d, (x, w, g) => {
    let s = 0;
    for (let j = 0; j < data.d; j++) {
      s += x[j] * w[j];
      g[j] = x[j];
    }
    return s;
  });
}

/** Normal crossing f = x · Π w_i^{k_i} on scalar x (λ = 1 / (2 max k_i) at w* = 0). */
export function normalCrossing(data: Regression, powers: number[]): SgldProblem<Uint32Array> {
  return mseProblem(data, powers.length, (x, w, g) => {
    let prod = 1;
    for (let i = 0; i < powers.length; i++) prod *= w[i] ** powers[i];
    for (let i = 0; i < powers.length; i++) {
      let others = 1;
      for (let j = 0; j < powers.length; j++) if (j !== i) others *= w[j] ** powers[j];
      g[i] = x[0] * powers[i] * w[i] ** (powers[i] - 1) * others;
    }
    return x[0] * prod;
  });
}

/** Ordinary least squares w = (XᵀX)⁻¹Xᵀy by Gaussian elimination (small d). */
export function ols(data: Regression): Float32Array {
  const { d, n, x, y } = data;
  const A = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) A[a][b] += x[i * d + a] * x[i * d + b];
      A[a][d] += x[i * d + a] * y[i];
    }
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < d; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= d; k++) A[r][k] -= f * A[c][k];
    }
  }
  const w = new Float64Array(d);
  for (let r = d - 1; r >= 0; r--) {
    let s = A[r][d];
    for (let k = r + 1; k < d; k++) s -= A[r][k] * w[k];
    w[r] = s / A[r][r];
  }
  return Float32Array.from(w);
}
