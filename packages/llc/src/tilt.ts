/**
 * The tilted loss (docs/llc.md, "At a minimum"): the loss with its slope at the checkpoint removed,
 *
 *   L̃(w) = L(w) − g0ᵀ(w − w0),      g0 = ∇L_n(w0), the gradient over the whole training set,
 *
 * so that w0 is a stationary point of the sampled potential nβ·L̃(w) + γ/2·‖w − w0‖² whatever
 * training left behind: a checkpoint trained with L2 weight decay sits where ∇L_n = −λ_wd·w, not
 * where ∇L_n = 0, and one taken mid-training sits on a slope. L̃ has the Hessian of L, so in the
 * quadratic approximation λ̂ of L̃ at w0 is exactly what λ̂ of L would be at a minimum with that
 * Hessian; without the tilt the chain first descends, and λ̂ falls by up to the Newton decrement
 * (decrement.ts). The minibatch version subtracts the same g0: E_B[∇L_B − g0] = ∇L̃_n.
 *
 * With an engine that takes the whole SGLD step (problem.ts), the tilt goes into it: the engine
 * subtracts g0 from the gradient in float32 and sums the slope in the same blocks, so the numbers are
 * this wrapper's followed by chainStep, bit for bit.
 *
 * Symbols: g0 = `g0` (over every coordinate; only the sampled ones ever differ from w0), w0 = `w0`.
 */
import type { SgldProblem } from './chain.ts';
import { SUM_BLOCK } from './chain-step.ts';

export function tiltedProblem<B>(problem: SgldProblem<B>, w0: Float32Array, g0: Float32Array, indices: Uint32Array | null): SgldProblem<B> {
  if (g0.length !== problem.size || w0.length !== problem.size) throw new RangeError(`tiltedProblem: g0 has ${g0.length} values and w0 ${w0.length}; the problem has ${problem.size}`);
  // g0ᵀ(w − w0) over the sampled coordinates, in chain-step.ts's blocks (as the engine's step sums it)
  const m = indices ? indices.length : w0.length;
  const slope = (w: Float32Array) => {
    let s = 0;
    for (let k0 = 0; k0 < m; k0 += SUM_BLOCK) {
      let b = 0;
      for (let k = k0, k1 = Math.min(m, k0 + SUM_BLOCK); k < k1; k++) {
        const i = indices ? indices[k] : k;
        b += g0[i] * (w[i] - w0[i]);
      }
      s += b;
    }
    return s;
  };
  return {
    size: problem.size,
    lossAndGrad(w, batch) {
      const r = problem.lossAndGrad(w, batch);
      const grad = new Float32Array(r.grad.length);
      for (let i = 0; i < grad.length; i++) grad[i] = r.grad[i] - g0[i];
      return { loss: r.loss - slope(w), grad };
    },
    // the whole step in the engine, with the tilt (problem.ts), when the engine takes it
    ...(problem.step ? { step: (w, batch, a) => problem.step!(w, batch, a, g0) } : {}),
    loss(w, batch) {
      return (problem.loss ? problem.loss(w, batch) : problem.lossAndGrad(w, batch).loss) - slope(w);
    },
  };
}
