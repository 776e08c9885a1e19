/**
 * The relaxation (docs/llc.md, "At a minimum"): the point the estimate is taken at is the minimum
 * w* of the sampled potential near the checkpoint w0,
 *
 *   U(w) = nβ·L_n(w) + γ/2·‖w − w0‖²        (the sampled coordinates S only; the others stay at w0)
 *
 * found by Newton–CG with a backtracking line search:
 *
 *   b_k = ∇U(w_k)/nβ = g_k + (γ/nβ)·(w_k − w0),   g_k = ∇L_n(w_k) on every training sequence
 *   y_k ≈ (H_k + γ/nβ)⁻¹ b_k                       conjugate gradients on Hessian-vector products of
 *                                                  the fixed curvature batch (decrement.ts newtonSolve)
 *   w_{k+1} = w_k − t·y_k,  t = 1, ½, ¼, …         the first t with U(w_{k+1}) < U(w_k) on every
 *                                                  training sequence (at most LINE_SEARCH halvings)
 *
 * When conjugate gradients meet curvature ≤ 0 of H + γ/nβ on the curvature batch (`negative_curvature`),
 * the solve stops with what it has, which is y = 0 if that happens on its first direction (b itself).
 * Where the Newton step finds no lower U after such a stop (or there is no Newton step at all), the
 * iteration takes the gradient step instead (llc 7):
 *
 *   w_{k+1} = w_k − t·(nβ/γ)·b_k,   t = 1, ½, ¼, …         (at most GRADIENT_HALVINGS halvings)
 *
 * (nβ/γ)·b is the step that minimises U's model with the loss's curvature dropped; along a direction
 * of negative curvature the true model has no minimum, so the line search on every training sequence
 * sets the length. An iteration stops the relaxation when
 *   - its drop of U is at most RELAX_TOLERANCE of the drop so far (converged);
 *   - no t lowers U along a Newton step whose solve ended with positive curvature, after a first
 *     accepted step (converged: what is left is below what the curvature batch resolves);
 *   - no t lowers U along either step after negative curvature (not converged: the point may be a
 *     saddle; before llc 7 this counted as converged after a first step, docs/llc.md);
 *   - or after RELAX_ITERATIONS (not converged).
 * Not converged flags the estimate `not_minimum`.
 *
 * Why (measured, docs/llc.md): a checkpoint trained with weight decay and a finite learning rate is
 * not a minimum of U; the tilt alone makes it a stationary point of a changed potential, and reads
 * the curvature at w0, which differs from the curvature at w* beyond the quadratic approximation —
 * by −0.5% to −12% of λ̂ along the baseline's training (seed 1). The first Newton iteration's predicted drop
 * ½·nβ·b_0ᵀy_0 is the Newton decrement at the checkpoint (decrement.ts), recorded as before.
 *
 * Symbols: `nbeta` nβ, `gamma` γ, `w0` w0 (full parameter vector), `indices` S, `ops.full(w)` L_n and
 * g on S, `ops.loss(w)` L_n, `ops.solve(w, b)` y, `t` the line-search step.
 */
import type { NewtonSolve } from './decrement.ts';
import type { RelaxationRecord } from './estimate.ts';

export const RELAX_ITERATIONS = 30;
export const RELAX_TOLERANCE = 0.02;
export const LINE_SEARCH = 6;
export const GRADIENT_HALVINGS = 20;

export interface RelaxOps {
  /** L_n(w) and ∇L_n(w) restricted to S, on every training sequence */
  full(w: Float32Array): Promise<{ loss: number; grad: Float64Array }>;
  /** L_n(w) on every training sequence */
  loss(w: Float32Array): Promise<number>;
  /** (H(w) + γ/nβ)⁻¹ b by conjugate gradients on the curvature batch */
  solve(w: Float32Array, b: Float64Array): Promise<NewtonSolve>;
  /** after each accepted step, Newton or gradient (for progress): its number, the drop of U so far, ‖w − w0‖ */
  onStep?(iteration: number, drop: number, distance: number): void;
}

/** What an estimate records of its relaxation (estimate.ts RelaxationRecord), with the point and the first solve. */
export interface Relaxation extends RelaxationRecord {
  /** the relaxed point (a copy of w0 with the coordinates S moved) */
  w: Float32Array;
  /** the first iteration's solve: the Newton decrement at the checkpoint */
  atCheckpoint: NewtonSolve;
}

export function relaxationRecord(r: Relaxation): RelaxationRecord {
  const { w: _w, atCheckpoint: _s, ...record } = r;
  return record;
}

export async function relax(w0: Float32Array, indices: Uint32Array, nbeta: number, gamma: number, ops: RelaxOps): Promise<Relaxation> {
  const shift = gamma / nbeta;
  const dist2 = (w: Float32Array) => {
    let s = 0;
    for (const i of indices) s += (w[i] - w0[i]) ** 2;
    return s;
  };
  const U = (w: Float32Array, loss: number) => nbeta * loss + (gamma / 2) * dist2(w);
  let w: Float32Array = w0.slice();
  let f = await ops.full(w);
  const loss0 = f.loss;
  let u = U(w, f.loss);
  const u0 = u;
  let lossNow = f.loss;
  let atCheckpoint: NewtonSolve | null = null;
  let iterations = 0;
  let gradientSteps = 0;
  let converged = false;
  for (let k = 0; k < RELAX_ITERATIONS && !converged; k++) {
    const b = new Float64Array(indices.length);
    for (let j = 0; j < indices.length; j++) b[j] = f.grad[j] + shift * (w[indices[j]] - w0[indices[j]]);
    const s = await ops.solve(w, b);
    atCheckpoint ??= s;
    const along = async (dir: Float64Array, scale: number, halvings: number) => {
      for (let h = 0, t = scale; h <= halvings; h++, t /= 2) {
        const wt = w.slice();
        for (let j = 0; j < indices.length; j++) wt[indices[j]] -= t * dir[j];
        const lt = await ops.loss(wt);
        if (U(wt, lt) < u) return { w: wt, loss: lt };
      }
      return null;
    };
    let accepted = s.decrement > 0 ? await along(s.y, 1, LINE_SEARCH) : null;
    // (nβ/γ)·b needs γ > 0; at γ = 0 there is no scale for it and no gradient step is taken
    const gradient = !accepted && s.negative_curvature && shift > 0;
    if (gradient) accepted = await along(b, 1 / shift, GRADIENT_HALVINGS);
    if (!accepted) {
      // no lower U: nothing left that the curvature batch resolves after a first step, or w0 already a minimum
      // (a zero gradient) — but not where the curvature batch saw negative curvature: that point may be a saddle
      converged = !s.negative_curvature && (iterations > 0 || s.decrement === 0);
      break;
    }
    if (gradient) gradientSteps++;
    const drop = u - U(accepted.w, accepted.loss);
    w = accepted.w;
    lossNow = accepted.loss;
    u -= drop;
    iterations++;
    ops.onStep?.(iterations, u0 - u, Math.sqrt(dist2(w)));
    // a gradient step's small drop says nothing about the distance to a minimum: only a Newton step's ends it
    converged = !gradient && drop <= RELAX_TOLERANCE * (u0 - u);
    if (!converged && k + 1 < RELAX_ITERATIONS) f = await ops.full(w);
  }
  return { w, iterations, gradient_steps: gradientSteps, drop: u0 - u, distance: Math.sqrt(dist2(w)), converged, atCheckpoint: atCheckpoint!, loss0, loss: lossNow };
}
