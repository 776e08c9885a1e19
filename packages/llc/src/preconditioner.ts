/**
 * The fixed diagonal preconditioner of `preconditioner: rmsprop` (pSGLD, Li, Chen, Carlson & Carin,
 * AAAI 2016; devinterp's RMSprop-SGLD), measured once at the checkpoint and then frozen, so that the
 * chain keeps exactly the stationary distribution of plain SGLD (an adaptive P does not):
 *
 *   s_k² = B · Var_b( ∂_k L_b(w0) )         over K minibatches b of B rows at w0: the per-row variance
 *                                           of the gradient, the squared gradients RMSProp averages
 *   P_k ∝ 1 / sqrt( nβ·T·s_k² + γ )         normalised to mean 1 over the sampled coordinates
 *
 * For a well-fitted likelihood the per-token gradient covariance is the Fisher information ≈ the
 * Hessian, so nβ·T·s_k² ≈ nβ·H_kk (T scored tokens per row, whose per-row gradient averages T tokens)
 * and P_k ≈ 1 / sqrt(diag ∇²U(w0)_k): coordinates the loss holds stiffly take smaller steps, loose
 * ones (held only by the localizer γ) larger ones. The step size is then set from the preconditioned
 * curvature, ε = fraction · 4 / λ_max(P^½ (nβH + γ) P^½) (hessian.ts), so the stiffest direction has
 * the same stability margin as in plain SGLD while the loose ones relax faster.
 *
 * Symbols: K = `batches`, B = the rows per batch (`rows`), T = `tokensPerRow`, nβ = `nbeta`, γ = `gamma`.
 */
import type { SgldProblem } from './chain.ts';

export const PRECONDITIONER_BATCHES = 32;

export function rmspropPreconditioner<B>(problem: SgldProblem<B>, w0: Float32Array, indices: Uint32Array | null, nextBatch: () => B, opts: { batches: number; rows: number; tokensPerRow: number; nbeta: number; gamma: number }): Float64Array {
  const m = indices ? indices.length : w0.length;
  const sum = new Float64Array(m);
  const sum2 = new Float64Array(m);
  const K = opts.batches;
  if (K < 2) throw new RangeError(`rmspropPreconditioner: needs at least 2 minibatches, got ${K}`);
  for (let b = 0; b < K; b++) {
    const { grad } = problem.lossAndGrad(w0, nextBatch());
    for (let k = 0; k < m; k++) {
      const gk = grad[indices ? indices[k] : k];
      sum[k] += gk;
      sum2[k] += gk * gk;
    }
  }
  const radicand = new Float64Array(m);
  let floor = Infinity;
  for (let k = 0; k < m; k++) {
    const variance = Math.max(0, (sum2[k] - (sum[k] * sum[k]) / K) / (K - 1));
    radicand[k] = opts.nbeta * opts.tokensPerRow * opts.rows * variance + opts.gamma;
    if (radicand[k] > 0) floor = Math.min(floor, radicand[k]);
  }
  // γ = 0 and a coordinate no minibatch moves: give it the smallest positive curvature seen
  if (!Number.isFinite(floor)) floor = 1;
  const p = new Float64Array(m);
  let total = 0;
  for (let k = 0; k < m; k++) {
    p[k] = 1 / Math.sqrt(Math.max(radicand[k], floor));
    total += p[k];
  }
  const scale = m / total;
  for (let k = 0; k < m; k++) p[k] *= scale;
  return p;
}
