/**
 * The Metropolis-adjusted Langevin (MALA) acceptance probability of one SGLD transition w → w′,
 * the diagnostic devinterp reports (docs/science.md §4). SGLD never rejects; this says how often an
 * exact MALA sampler would have accepted the step (≈ 0.9 is healthy; low values mean ε is too big).
 *
 *   U(w) = nβ·L_B(w) + (γ/2)·‖w − w0‖²        (the potential)
 *   g(w) = ∇U(w)                               (the drift, as in sgld.ts)
 *   log q(w′|w) = −‖w′ − w + (ε/2)·g(w)‖² / (2ε)
 *   A = min(1, exp( log q(w|w′) − log q(w′|w) + U(w) − U(w′) ))
 *
 * chain.ts evaluates U and g at both w and w′ on the same minibatch (devinterp uses the minibatches
 * of their own steps, which at large nβ measures batch noise rather than the step).
 *
 * With a diagonal preconditioner P (chain-step.ts) the proposal is N(w − (ε/2)·P·g(w), ε·P):
 *   log q(w′|w) = −Σ_i (w′_i − w_i + (ε/2)·P_i·g_i(w))² / (2ε·P_i).
 */
export function malaAcceptance(prevW: ArrayLike<number>, prevG: ArrayLike<number>, prevU: number, curW: ArrayLike<number>, curG: ArrayLike<number>, curU: number, epsilon: number, precond: ArrayLike<number> | null = null): number {
  let fwd = 0; // ‖w′ − w + (ε/2) P g(w)‖²_P⁻¹
  let back = 0; // ‖w − w′ + (ε/2) P g(w′)‖²_P⁻¹
  for (let i = 0; i < prevW.length; i++) {
    const dw = curW[i] - prevW[i];
    const pi = precond ? precond[i] : 1;
    const a = dw + (epsilon / 2) * pi * prevG[i];
    const b = -dw + (epsilon / 2) * pi * curG[i];
    fwd += (a * a) / pi;
    back += (b * b) / pi;
  }
  const logA = -back / (2 * epsilon) + fwd / (2 * epsilon) + prevU - curU;
  return logA >= 0 ? 1 : Math.exp(logA);
}
