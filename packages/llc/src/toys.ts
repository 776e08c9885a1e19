/**
 * Toy models whose LLC is known and which, like the transformer, have continuous symmetries —
 * so an estimator can be checked both for the right answer and for not depending on which point
 * of a symmetry orbit it is handed (known-answers-symmetry.test.ts). Gaussian noise of variance
 * 1 and loss ½·mean‖y − f(x)‖², so L is the negative log-likelihood up to a constant. Each toy
 * has `canonical(w)`: a fixed representative of w's orbit, as train/canonical.ts is for the
 * transformer.
 *
 *   rmsnorm   f(x) = b + √m·uᵀ(Wx)/‖Wx‖, W [m, k], u [m]: symmetries W → c·R·W, u → R·u
 *             (scale and rotations, dimension 1 + m(m−1)/2); with m = 2, k = 3 the 9 parameters
 *             carry 7 identifiable directions: λ = 7/2 at a generic truth.
 *   crossing  f(x) = u·v·x at a truth with u·v = 1: (u, v) → (t·u, v/t) moves along the minima,
 *             one direction is constrained: λ = 1/2.
 *   linear2   f(x) = B·A·x, A [h, k], B [m, h]: (A, B) → (G·A, B·G⁻¹), G ∈ GL(h); at a truth of
 *             rank h: λ = (m·h + h·k − h²)/2 (= 4 for k = m = 3, h = 2).
 */
import { Rng } from '@sortscope/core';
import { balancedFactors, svdSquare } from '@sortscope/model';
import type { SgldProblem } from './chain.ts';
import { topEigenvalue } from './hessian.ts';

export interface Toy {
  name: string;
  /** the LLC at the truth */
  lambda: number;
  problem: SgldProblem<Uint32Array>;
  /** the parameters the data were drawn from (a minimum of the population loss) */
  wStar: Float32Array;
  /** w moved along its symmetry orbit by the group element of "size" c (c = 1: unchanged) */
  move(w: Float32Array, c: number): Float32Array;
  canonical(w: Float32Array): Float32Array;
  n: number;
}

/**
 * a generic vector-output regression problem: loss ½·mean_r Σ_j (y_rj − f_j(x_r))². `f` reads row
 * r's inputs at x[xo … xo + k) and writes out [m] and, unless it is null (the loss alone), jac [m, size];
 * no allocation per row (the toys' chains take millions of rows in the known-answers tests).
 */
type ToyFn = (x: Float64Array, xo: number, w: Float32Array, out: Float64Array, jac: Float64Array | null) => void;

function regression(n: number, k: number, m: number, size: number, f: ToyFn, truth: Float32Array, seed: number): SgldProblem<Uint32Array> {
  const rng = Rng.derive(seed, 'toy-data');
  const x = Float64Array.from({ length: n * k }, () => rng.normal());
  const y = new Float64Array(n * m);
  const out = new Float64Array(m);
  const jac = new Float64Array(m * size);
  for (let r = 0; r < n; r++) {
    f(x, r * k, truth, out, jac);
    for (let j = 0; j < m; j++) y[r * m + j] = out[j] + rng.normal();
  }
  // the mean loss over `rows`, and with `g` its gradient summed into g (one pass, the same order with or without it)
  const pass = (w: Float32Array, rows: Uint32Array, g: Float64Array | null) => {
    let loss = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      f(x, r * k, w, out, g ? jac : null);
      for (let j = 0; j < m; j++) {
        const res = out[j] - y[r * m + j];
        loss += 0.5 * res * res;
        if (g) for (let p = 0; p < size; p++) g[p] += res * jac[j * size + p];
      }
    }
    return loss / rows.length;
  };
  return {
    size,
    lossAndGrad(w, rows) {
      const g = new Float64Array(size);
      const loss = pass(w, rows, g);
      const grad = new Float32Array(size);
      for (let p = 0; p < size; p++) grad[p] = g[p] / rows.length;
      return { loss, grad };
    },
    // the loss alone (the control variate takes it at w0 every draw): no Jacobian
    loss: (w, rows) => pass(w, rows, null),
  };
}

export function rmsnormToy(n = 2000, seed = 1): Toy {
  const m = 2;
  const k = 3;
  const size = m * k + m + 1; // W, u, b
  // the same operations, in the same order, as the textbook form (h = W·x, z = √2·h/‖h‖, f = b + u·z),
  // on scalars: m = 2 is fixed, and every jac entry is written
  const f: ToyFn = (x, xo, w, out, jac) => {
    let h0 = 0;
    let h1 = 0;
    for (let j = 0; j < k; j++) h0 += w[j] * x[xo + j];
    for (let j = 0; j < k; j++) h1 += w[k + j] * x[xo + j];
    const norm = Math.hypot(h0, h1);
    const u0 = w[m * k];
    const u1 = w[m * k + 1];
    const z0 = (Math.SQRT2 * h0) / norm;
    const z1 = (Math.SQRT2 * h1) / norm;
    out[0] = w[size - 1] + u0 * z0 + u1 * z1;
    if (!jac) return;
    // d z_i / d h_l = √2 (δ_il / ‖h‖ − h_i h_l / ‖h‖³)
    const inv = 1 / norm;
    const n3 = norm ** 3;
    let d0 = 0;
    d0 += u0 * Math.SQRT2 * (inv - (h0 * h0) / n3);
    d0 += u1 * Math.SQRT2 * (0 - (h1 * h0) / n3);
    let d1 = 0;
    d1 += u0 * Math.SQRT2 * (0 - (h0 * h1) / n3);
    d1 += u1 * Math.SQRT2 * (inv - (h1 * h1) / n3);
    for (let j = 0; j < k; j++) jac[j] = d0 * x[xo + j];
    for (let j = 0; j < k; j++) jac[k + j] = d1 * x[xo + j];
    jac[m * k] = z0;
    jac[m * k + 1] = z1;
    jac[size - 1] = 1;
  };
  const truth = Float32Array.from([0.9, -0.4, 0.3, 0.2, 0.7, -0.6, 1.5, -1.2, 0.3]);
  const canonical = (w: Float32Array) => {
    const W = Float64Array.from(w.subarray(0, m * k));
    const scale = Math.sqrt(W.reduce((a, v) => a + v * v, 0));
    for (let i = 0; i < W.length; i++) W[i] /= scale;
    // rotate so that W·Wᵀ is diagonal, descending; then each row's largest |entry| positive
    const g = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) for (let j = 0; j < k; j++) g[a * m + b] += W[a * k + j] * W[b * k + j];
    const R = svdSquare(g, m).u; // columns: eigenvectors
    const out = new Float32Array(size);
    for (let i = 0; i < m; i++) {
      const row = new Float64Array(k);
      let ui = 0;
      for (let a = 0; a < m; a++) {
        for (let j = 0; j < k; j++) row[j] += R[a * m + i] * W[a * k + j];
        ui += R[a * m + i] * w[m * k + a];
      }
      let big = 0;
      for (const v of row) if (Math.abs(v) > Math.abs(big)) big = v;
      const sgn = big < 0 ? -1 : 1;
      for (let j = 0; j < k; j++) out[i * k + j] = sgn * row[j];
      out[m * k + i] = sgn * ui;
    }
    out[size - 1] = w[size - 1];
    return out;
  };
  const move = (w: Float32Array, c: number) => {
    const th = 0.7 * Math.log(c); // a rotation that grows with the scale too
    const R = [Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)];
    const out = w.slice();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) out[i * k + j] = c * (R[i * 2] * w[j] + R[i * 2 + 1] * w[k + j]);
      out[m * k + i] = R[i * 2] * w[m * k] + R[i * 2 + 1] * w[m * k + 1];
    }
    return out;
  };
  return { name: 'rmsnorm', lambda: 3.5, problem: regression(n, k, 1, size, f, truth, seed), wStar: truth, move, canonical, n };
}

export function crossingToy(n = 2000, seed = 2): Toy {
  const f: ToyFn = (x, xo, w, out, jac) => {
    out[0] = w[0] * w[1] * x[xo];
    if (!jac) return;
    jac[0] = w[1] * x[xo];
    jac[1] = w[0] * x[xo];
  };
  const truth = Float32Array.of(1, 1);
  const canonical = (w: Float32Array) => {
    const p = w[0] * w[1];
    const r = Math.sqrt(Math.abs(p));
    return Float32Array.of(Math.sign(p) * r, r);
  };
  return { name: 'crossing', lambda: 0.5, problem: regression(n, 1, 1, 2, f, truth, seed), wStar: truth, move: (w, c) => Float32Array.of(c * w[0], w[1] / c), canonical, n };
}

export function linear2Toy(n = 2000, seed = 3): Toy {
  const [k, h, m] = [3, 2, 3];
  const size = h * k + m * h;
  const ax = new Float64Array(h); // A·x of the current row
  const f: ToyFn = (x, xo, w, out, jac) => {
    ax.fill(0);
    for (let i = 0; i < h; i++) for (let j = 0; j < k; j++) ax[i] += w[i * k + j] * x[xo + j];
    jac?.fill(0);
    for (let o = 0; o < m; o++) {
      out[o] = 0;
      for (let i = 0; i < h; i++) {
        const b = w[h * k + o * h + i];
        out[o] += b * ax[i];
        if (!jac) continue;
        jac[o * size + h * k + o * h + i] = ax[i];
        for (let j = 0; j < k; j++) jac[o * size + i * k + j] = b * x[xo + j];
      }
    }
  };
  const truth = Float32Array.from([0.8, -0.5, 0.3, 0.1, 0.9, -0.7, 1.1, 0.2, -0.4, 0.8, 0.6, -0.9]);
  const canonical = (w: Float32Array) => {
    // B·A = B̃·Ã with Ã, B̃ the balanced factors of the product
    const At = new Float64Array(k * h);
    for (let i = 0; i < h; i++) for (let j = 0; j < k; j++) At[j * h + i] = w[i * k + j];
    const f2 = balancedFactors(Float64Array.from(w.subarray(h * k)), m, At, k, h);
    const out = new Float32Array(size);
    for (let i = 0; i < h; i++) for (let j = 0; j < k; j++) out[i * k + j] = f2.b[j * h + i];
    out.set(f2.a, h * k);
    return out;
  };
  const move = (w: Float32Array, c: number) => {
    // G = c·(a fixed invertible matrix); A → G·A, B → B·G⁻¹
    const G = [c * 1.1, c * 0.3, c * -0.2, c * 0.9];
    const det = G[0] * G[3] - G[1] * G[2];
    const Gi = [G[3] / det, -G[1] / det, -G[2] / det, G[0] / det];
    const out = new Float32Array(size);
    for (let i = 0; i < h; i++) for (let j = 0; j < k; j++) out[i * k + j] = G[i * 2] * w[j] + G[i * 2 + 1] * w[k + j];
    for (let o = 0; o < m; o++) for (let i = 0; i < h; i++) out[h * k + o * h + i] = w[h * k + o * h] * Gi[i] + w[h * k + o * h + 1] * Gi[2 + i];
    return out;
  };
  return { name: 'linear2', lambda: (m * h + h * k - h * h) / 2, problem: regression(n, k, m, size, f, truth, seed), wStar: truth, move, canonical, n };
}

/** the empirical minimum near w: full-batch gradient descent with momentum, step 0.5/λ_max (deterministic) */
export function fitToy(toy: Toy, w: Float32Array, steps = 3000): Float32Array {
  const all = Uint32Array.from({ length: toy.n }, (_, i) => i);
  const lr = 0.5 / Math.max(1e-6, topEigenvalue(toy.problem, w, null, all, 0));
  const x = w.slice();
  const v = new Float64Array(x.length);
  for (let t = 0; t < steps; t++) {
    const { grad } = toy.problem.lossAndGrad(x, all);
    for (let i = 0; i < x.length; i++) {
      v[i] = 0.9 * v[i] - lr * grad[i];
      x[i] += v[i];
    }
  }
  return x;
}
