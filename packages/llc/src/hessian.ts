/**
 * Curvature of the loss at w0 on a fixed batch, restricted to the sampled coordinates S:
 *
 *   H·v ≈ (∇L(w0 + h·v) − ∇L(w0 − h·v)) / (2h)          central differences of the engine's
 *                                                        gradient, h = HVP_STEP / ‖v‖ (error O(h²))
 *   λ_max  by power iteration on H (POWER_ITERATIONS steps from a seeded Gaussian start)
 *   tr(H)  by Hutchinson: mean over K Rademacher probes z of zᵀHz
 *
 * λ_max bounds SGLD's step: the drift ε/2·(nβ·H + γ) is stable only for ε < 4 / (nβ·λ_max + γ)
 * (the stability limit of gradient descent on the quadratic nβ·½wᵀHw + γ/2‖w‖², with ε/2 as its
 * learning rate). The Gaussian sharpness nβ·E_ξ[L(w0 + ξ) − L(w0)], ξ ~ N(0, I_S/γ), is what an
 * SGLD "LLC" reduces to when the localization, not the loss, holds the chain: for a quadratic it is
 * nβ·tr(H)/(2γ).
 */
import { Rng } from '@sortscope/core';
import type { SgldProblem } from './chain.ts';

export const HVP_STEP = 1e-3;
export const POWER_ITERATIONS = 30;

function norm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** H·v on the coordinates `indices` (null: all), at w0, on one fixed batch */
export function hessianVector<B>(problem: SgldProblem<B>, w0: Float32Array, indices: Uint32Array | null, batch: B, v: Float64Array): Float64Array {
  const { wp, wm, h } = hvpPoints(w0, indices, v);
  return hvpFromGradients(problem.lossAndGrad(wp, batch).grad, problem.lossAndGrad(wm, batch).grad, indices, v.length, h);
}

/** The two points hessianVector takes the gradient at, w0 ± h·v, and h (so the gradients may be taken elsewhere: run.ts). */
export function hvpPoints(w0: Float32Array, indices: Uint32Array | null, v: Float64Array): { wp: Float32Array; wm: Float32Array; h: number } {
  const m = v.length;
  const h = HVP_STEP / Math.max(norm(v), 1e-300);
  const wp = w0.slice();
  const wm = w0.slice();
  for (let k = 0; k < m; k++) {
    const i = indices ? indices[k] : k;
    wp[i] += h * v[k];
    wm[i] -= h * v[k];
  }
  return { wp, wm, h };
}

/** H·v from the gradients at hvpPoints' two points. */
export function hvpFromGradients(gp: Float32Array, gm: Float32Array, indices: Uint32Array | null, m: number, h: number): Float64Array {
  const out = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = indices ? indices[k] : k;
    out[k] = (gp[i] - gm[i]) / (2 * h);
  }
  return out;
}

/** the largest eigenvalue of H restricted to `indices` (power iteration) */
export function topEigenvalue<B>(problem: SgldProblem<B>, w0: Float32Array, indices: Uint32Array | null, batch: B, seed = 0): number {
  const m = indices ? indices.length : w0.length;
  const rng = Rng.derive(seed, 'llc', 'hessian', 'power');
  let v: Float64Array = new Float64Array(m);
  for (let k = 0; k < m; k++) v[k] = rng.normal();
  let lambda = 0;
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    const n = norm(v);
    for (let k = 0; k < m; k++) v[k] /= n;
    const hv = hessianVector(problem, w0, indices, batch, v);
    lambda = 0;
    for (let k = 0; k < m; k++) lambda += v[k] * hv[k];
    v = hv;
  }
  return lambda;
}

/**
 * The largest eigenvalue of P^½ (nβH + γ) P^½ (power iteration), P = diag(sqrtP²): the stability limit
 * of the preconditioned SGLD drift is ε < 4 / λ_max (preconditioner.ts).
 */
export function preconditionedTopEigenvalue<B>(problem: SgldProblem<B>, w0: Float32Array, indices: Uint32Array | null, batch: B, sqrtP: Float64Array, nbeta: number, gamma: number, seed = 0): number {
  const m = indices ? indices.length : w0.length;
  if (sqrtP.length !== m) throw new RangeError(`preconditionedTopEigenvalue: preconditioner of length ${sqrtP.length}, expected ${m}`);
  const rng = Rng.derive(seed, 'llc', 'hessian', 'power');
  let v: Float64Array = new Float64Array(m);
  for (let k = 0; k < m; k++) v[k] = rng.normal();
  let lambda = 0;
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    const n = norm(v);
    for (let k = 0; k < m; k++) v[k] /= n;
    const u = v.map((x, k) => sqrtP[k] * x);
    const hu = hessianVector(problem, w0, indices, batch, u);
    const out = new Float64Array(m);
    lambda = 0;
    for (let k = 0; k < m; k++) {
      out[k] = sqrtP[k] * (nbeta * hu[k] + gamma * u[k]);
      lambda += v[k] * out[k];
    }
    v = out;
  }
  return lambda;
}

/** Hutchinson's estimate of tr(H) restricted to `indices`, with its standard error */
export function hessianTrace<B>(problem: SgldProblem<B>, w0: Float32Array, indices: Uint32Array | null, batch: B, probes = 16, seed = 0): { trace: number; stderr: number } {
  const m = indices ? indices.length : w0.length;
  const rng = Rng.derive(seed, 'llc', 'hessian', 'hutchinson');
  const vals: number[] = [];
  for (let p = 0; p < probes; p++) {
    const z = Float64Array.from({ length: m }, () => (rng.float() < 0.5 ? -1 : 1));
    const hz = hessianVector(problem, w0, indices, batch, z);
    let s = 0;
    for (let k = 0; k < m; k++) s += z[k] * hz[k];
    vals.push(s);
  }
  const mean = vals.reduce((a, b) => a + b, 0) / probes;
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, probes - 1));
  return { trace: mean, stderr: sd / Math.sqrt(probes) };
}

/**
 * nβ·(mean over draws of L_b(w0 + ξ) − L_b(w0)), ξ ~ N(0, I/γ) on `indices`, each draw on its own
 * batch b from `batches` (the same batch for w0 and w0 + ξ): the Gaussian-sharpness baseline.
 */
export function gaussianSharpness<B>(problem: SgldProblem<B>, w0: Float32Array, indices: Uint32Array | null, batches: () => B, nbeta: number, gamma: number, draws = 32, seed = 0): { value: number; stderr: number } {
  const rng = Rng.derive(seed, 'llc', 'sharpness');
  const m = indices ? indices.length : w0.length;
  const sd = 1 / Math.sqrt(gamma);
  const diffs: number[] = [];
  for (let d = 0; d < draws; d++) {
    const b = batches();
    const w = w0.slice();
    for (let k = 0; k < m; k++) w[indices ? indices[k] : k] += sd * rng.normal();
    diffs.push(problem.lossAndGrad(w, b).loss - problem.lossAndGrad(w0, b).loss);
  }
  const mean = diffs.reduce((a, b) => a + b, 0) / draws;
  const s = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, draws - 1));
  return { value: nbeta * mean, stderr: (nbeta * s) / Math.sqrt(draws) };
}

/** the drift-stability limit of the SGLD step: ε < 4 / (nβ·λ_max + γ) */
export function epsilonLimit(nbeta: number, gamma: number, lambdaMax: number): number {
  return 4 / (nbeta * Math.max(lambdaMax, 0) + gamma);
}
