/**
 * How far a checkpoint is from a minimum of the sampled potential (docs/llc.md, "At a minimum"):
 * the Newton decrement of U(w) = nβ·L(w) + γ/2·‖w − w0‖² at w0,
 *
 *   D = ½ · ∇U(w0)ᵀ (∇²U(w0))⁻¹ ∇U(w0) = ½ · nβ · gᵀ (H + γ/nβ · I)⁻¹ g,    g = ∇L(w0), H = ∇²L(w0),
 *
 * the drop of U from w0 to the minimum of its quadratic model, in the units of λ̂. A chain started at
 * w0 descends to that minimum before it samples, so an estimate taken without removing the slope
 * (tilt: false) is low by between D (curvature well above γ/nβ) and 2D (well below): nβ·E[L − L(w0)]
 * moves by nβ·gᵀx* + ½·nβ·x*ᵀHx*, x* = −(H + γ/nβ)⁻¹g. Solved by conjugate gradients on the Hessian-vector products of
 * hessian.ts (on the fixed curvature batch): x_k → (H + γ/nβ)⁻¹g, and ½·nβ·gᵀx_k rises monotonically
 * to D, so a truncated solve is a lower bound (`converged` says whether the residual reached
 * `CG_TOLERANCE` of ‖g‖). A direction of curvature ≤ 0 of H + γ/nβ ends the solve with the bound
 * reached so far (`negative_curvature`): on the small curvature batch that is as often the batch's
 * noise as the loss's shape, so it is reported, not acted on; a real descent shows in the chains.
 *
 * Symbols: g = `g` (the gradient over the whole training set, restricted to the sampled coordinates),
 * nβ = `nbeta`, γ = `gamma`, H·v = `hvp(v)`.
 */

export const CG_TOLERANCE = 1e-2;
export const CG_ITERATIONS = 60;

export interface Decrement {
  /** ½·nβ·gᵀ(H + γ/nβ)⁻¹g (a lower bound when not converged) */
  decrement: number;
  /** the same with γ = 0 dropped: ½·nβ·‖g‖²/(gᵀHg/‖g‖²), the decrease along g alone */
  steepest: number;
  iterations: number;
  converged: boolean;
  negative_curvature: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The decrement and the solve it came from: y ≈ (H + γ/nβ)⁻¹g, so −y is the Newton step of U/nβ (relax.ts). */
export interface NewtonSolve extends Decrement {
  y: Float64Array;
}

export function newtonDecrement(g: Float64Array, hvp: (v: Float64Array) => Float64Array, nbeta: number, gamma: number, opts: { tolerance?: number; iterations?: number } = {}): Decrement {
  return decrementOf(newtonSolve(g, hvp, nbeta, gamma, opts));
}

/** The decrement of a solve, without its step (what an estimate records). */
export function decrementOf(s: NewtonSolve): Decrement {
  const { y: _y, ...d } = s;
  return d;
}

type SolveOptions = { tolerance?: number; iterations?: number };

export function newtonSolve(g: Float64Array, hvp: (v: Float64Array) => Float64Array, nbeta: number, gamma: number, opts: SolveOptions = {}): NewtonSolve {
  const cg = conjugateGradients(g, nbeta, gamma, opts);
  for (let step = cg.next(); ; ) {
    if (step.done) return step.value;
    step = cg.next(hvp(step.value));
  }
}

/** newtonSolve with H·v computed elsewhere (e.g. on worker threads: relax.ts through run.ts); the same numbers. */
export async function newtonSolveAsync(g: Float64Array, hvp: (v: Float64Array) => Promise<Float64Array>, nbeta: number, gamma: number, opts: SolveOptions = {}): Promise<NewtonSolve> {
  const cg = conjugateGradients(g, nbeta, gamma, opts);
  for (let step = cg.next(); ; ) {
    if (step.done) return step.value;
    step = cg.next(await hvp(step.value));
  }
}

/** The solve itself: yields each vector v whose H·v it needs and is resumed with it. */
function* conjugateGradients(g: Float64Array, nbeta: number, gamma: number, opts: SolveOptions): Generator<Float64Array, NewtonSolve, Float64Array> {
  const tol = opts.tolerance ?? CG_TOLERANCE;
  const maxIt = opts.iterations ?? CG_ITERATIONS;
  const shift = gamma / nbeta;
  const gg = dot(g, g);
  if (gg === 0) return { decrement: 0, steepest: 0, iterations: 0, converged: true, negative_curvature: false, y: new Float64Array(g.length) };
  const x = new Float64Array(g.length);
  const r = g.slice();
  const p = g.slice();
  let rr = gg;
  let steepest = NaN;
  for (let k = 0; k < maxIt; k++) {
    const Ap = yield p;
    for (let i = 0; i < Ap.length; i++) Ap[i] += shift * p[i];
    const pAp = dot(p, Ap);
    if (k === 0) steepest = pAp > 0 ? (0.5 * nbeta * gg * gg) / pAp : Infinity;
    if (!(pAp > 0)) return { decrement: 0.5 * nbeta * dot(g, x), steepest, iterations: k + 1, converged: false, negative_curvature: true, y: x };
    const a = rr / pAp;
    for (let i = 0; i < x.length; i++) {
      x[i] += a * p[i];
      r[i] -= a * Ap[i];
    }
    const rr2 = dot(r, r);
    if (Math.sqrt(rr2 / gg) < tol) return { decrement: 0.5 * nbeta * dot(g, x), steepest, iterations: k + 1, converged: true, negative_curvature: false, y: x };
    const b = rr2 / rr;
    rr = rr2;
    for (let i = 0; i < p.length; i++) p[i] = r[i] + b * p[i];
  }
  return { decrement: 0.5 * nbeta * dot(g, x), steepest, iterations: maxIt, converged: false, negative_curvature: false, y: x };
}
