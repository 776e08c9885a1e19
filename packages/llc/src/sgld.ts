/**
 * One SGLD step on the flat parameter vector, with exactly the semantics of devinterp v1.x's
 * `SGLD` optimizer (docs/science.md §4):
 *
 *   w ← w − (ε/2) · ( nβ·∇L_B(w) + γ·(w − w0) + λ_wd·w ) + sqrt(ε)·σ·ξ,    ξ ~ N(0, I)
 *
 *   ε = epsilon (devinterp `lr`), γ = gamma (`localization`), nβ = nbeta, λ_wd = weight_decay,
 *   σ = noise_level (1 for posterior sampling; anything else breaks SGLD's guarantees),
 *   ∇L_B = gradient of the MEAN loss on the minibatch B, w0 = the checkpoint.
 * The noise is not scaled by nβ. With `indices` only those coordinates move (weight-restricted
 * SGLD: the others stay at w0 and their gradient is ignored).
 *
 * The drift g(w) = nβ·∇L_B(w) + γ·(w − w0) + λ_wd·w is returned for the MALA acceptance test.
 */
import type { Rng } from '@sortscope/core';

export interface SgldParams {
  epsilon: number;
  gamma: number;
  nbeta: number;
  weight_decay: number;
  noise_level: number;
  /** how ξ is drawn from the chain's stream: Box–Muller (Rng.normals; the default) or the ziggurat (zigguratNormals) */
  noise_stream?: NoiseStream;
}

/** the ways a chain turns its stream into Gaussian noise (llc `noise_stream`; chain-step.ts) */
export const NOISE_STREAMS = ['box-muller', 'ziggurat'] as const;
export type NoiseStream = (typeof NOISE_STREAMS)[number];

export interface SgldStepResult {
  /** ‖(ε/2)·g‖ restricted to the sampled coordinates */
  driftNorm: number;
  /** ‖sqrt(ε)·σ·ξ‖ */
  noiseNorm: number;
}

/** The drift g(w) on the sampled coordinates, into `out` (same length as `indices` or `w`). */
export function drift(p: SgldParams, w: Float32Array, w0: Float32Array, grad: Float32Array, indices: Uint32Array | null, out: Float64Array): void {
  const n = indices ? indices.length : w.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    out[k] = p.nbeta * grad[i] + p.gamma * (w[i] - w0[i]) + p.weight_decay * w[i];
  }
}

/** Apply one step in place, given the drift at w; `noise` receives ξ (for tests and diagnostics). */
export function sgldStep(p: SgldParams, w: Float32Array, g: Float64Array, indices: Uint32Array | null, rng: Rng | null): SgldStepResult {
  const n = indices ? indices.length : w.length;
  const half = p.epsilon / 2;
  const scale = Math.sqrt(p.epsilon) * p.noise_level;
  let d2 = 0;
  let z2 = 0;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    const step = half * g[k];
    const noise = rng && scale !== 0 ? scale * rng.normal() : 0;
    w[i] = w[i] - step + noise;
    d2 += step * step;
    z2 += noise * noise;
  }
  return { driftNorm: Math.sqrt(d2), noiseNorm: Math.sqrt(z2) };
}

/** devinterp's default inverse temperature: nβ = B / ln B for SGLD batch size B. */
export function defaultNbeta(batchSize: number): number {
  if (batchSize < 2) throw new RangeError(`default nβ needs a batch size >= 2, got ${batchSize}`);
  return batchSize / Math.log(batchSize);
}
