/**
 * One SGLD transition of a chain in a single pass over the sampled coordinates: the drift
 * (sgld.ts `drift`), the potential's two norms (chain.ts) and the step (sgld.ts `sgldStep`),
 * bit for bit the numbers of those three calls made one after another, which stay the reference
 * semantics (chain-step.test.ts holds this function to them). Per sampled coordinate k (i = the
 * coordinate's index in w):
 *
 *   g[k]   = nβ·grad[i] + γ·(w[i] − w0[i]) + λ_wd·w[i]         (the drift, float64)
 *   dist2 += (w[i] − w0[i])²,  wd2 += w[i]²                     (before the step)
 *   w[i]  ← w[i] − (ε/2)·g[k] + sqrt(ε)·σ·ξ_k                   (float32 store)
 *
 * `chainPoint` gives the same three quantities at a point without stepping (the far end of a
 * transition, for the MALA acceptance).
 *
 * With a diagonal preconditioner P (pSGLD, Li et al. 2016, with P fixed for the whole chain so that
 * the chain keeps its stationary distribution; preconditioner.ts) the step is
 *
 *   w[i]  ← w[i] − (ε/2)·P[k]·g[k] + sqrt(ε·P[k])·σ·ξ_k
 *
 * and without one (P = null) exactly the line above, bit for bit.
 *
 * The sums run over fixed blocks of SUM_BLOCK sampled coordinates, each block from 0 in order, the
 * block sums then added in block order: the engine's step (packages/engine/fused-src/sgld.h) sums
 * its threads' blocks the same way, so it reproduces these numbers bit for bit on any number of
 * threads. Only the sums (the trace's distance and norms, the MALA potential) depend on it, never w.
 *
 * ξ comes from `noise`, drawn beforehand with Rng.normals (the same values, in the same order,
 * as the per-coordinate Rng.normal() calls of sgldStep), or with `noise_stream: 'ziggurat'` by
 * zigguratNormals (another stream of the same generator, 3–5× cheaper to draw). One pass
 * instead of three, no closures per coordinate and the generator inlined make an LLC chain
 * step's JavaScript part about 2× cheaper (packages/engine/src/fused/README.md, "Measured speed").
 */
import { type Rng, zigguratNormals } from '@sortscope/core';
import type { SgldParams } from './sgld.ts';

/** coordinates per block of the sums (packages/engine/fused-src/sgld.h SUM_BLOCK) */
export const SUM_BLOCK = 4096;

export interface ChainStepResult {
  /** ‖w − w0‖² and ‖w‖² before the step, over the sampled coordinates */
  dist2: number;
  wd2: number;
  /** ‖(ε/2)·g‖ and ‖sqrt(ε)·σ·ξ‖ */
  driftNorm: number;
  noiseNorm: number;
}

/** Buffers of one chain (length = number of sampled coordinates). */
export interface ChainBuffers {
  /** the drift at w before the step */
  g: Float64Array;
  /** ξ of the step (standard normal) */
  xi: Float64Array;
  /** w before the step (filled only when asked, for the MALA acceptance) */
  before: Float64Array;
}

export function chainBuffers(m: number): ChainBuffers {
  return { g: new Float64Array(m), xi: new Float64Array(m), before: new Float64Array(m) };
}

/** A fixed diagonal preconditioner over the sampled coordinates: P and sqrt(P). */
export interface Preconditioning {
  p: Float64Array;
  sqrt: Float64Array;
}

export function preconditioning(p: Float64Array): Preconditioning {
  return { p, sqrt: p.map(Math.sqrt) };
}

/** Take the step in place; with `keepBefore`, buf.before receives w at the sampled coordinates first. */
export function chainStep(p: SgldParams, w: Float32Array, w0: Float32Array, grad: Float32Array, indices: Uint32Array | null, rng: Rng | null, buf: ChainBuffers, keepBefore: boolean, pre: Preconditioning | null = null): ChainStepResult {
  const m = indices ? indices.length : w.length;
  if (pre && pre.p.length !== m) throw new RangeError(`chainStep: preconditioner of length ${pre.p.length}, expected ${m}`);
  const { g, xi, before } = buf;
  if (g.length !== m || xi.length !== m || before.length !== m) throw new RangeError(`chainStep: buffers of length ${g.length}, expected ${m}`);
  const half = p.epsilon / 2;
  const scale = Math.sqrt(p.epsilon) * p.noise_level;
  const noisy = rng !== null && scale !== 0;
  if (noisy) {
    if (p.noise_stream === 'ziggurat') zigguratNormals(rng, xi);
    else rng.normals(xi);
  }
  const { nbeta, gamma, weight_decay: wd } = p;
  let dist2 = 0;
  let wd2 = 0;
  let d2 = 0;
  let z2 = 0;
  for (let k0 = 0; k0 < m; k0 += SUM_BLOCK) {
    const k1 = Math.min(m, k0 + SUM_BLOCK);
    let bDist2 = 0;
    let bWd2 = 0;
    let bD2 = 0;
    let bZ2 = 0;
    for (let k = k0; k < k1; k++) {
      const i = indices ? indices[k] : k;
      const wi = w[i];
      const d = wi - w0[i];
      const gk = nbeta * grad[i] + gamma * d + wd * wi;
      g[k] = gk;
      bDist2 += d * d;
      if (wd) bWd2 += wi * wi;
      if (keepBefore) before[k] = wi;
      const step = pre ? half * pre.p[k] * gk : half * gk;
      const noise = noisy ? (pre ? scale * pre.sqrt[k] * xi[k] : scale * xi[k]) : 0;
      w[i] = wi - step + noise;
      bD2 += step * step;
      bZ2 += noise * noise;
    }
    dist2 += bDist2;
    wd2 += bWd2;
    d2 += bD2;
    z2 += bZ2;
  }
  return { dist2, wd2, driftNorm: Math.sqrt(d2), noiseNorm: Math.sqrt(z2) };
}

/**
 * At w, without stepping: the drift into `g`, w at the sampled coordinates into `copy`, and the
 * potential's norms — chainStep's numbers before its step (chain-step.test.ts holds them equal).
 */
export function chainPoint(p: SgldParams, w: Float32Array, w0: Float32Array, grad: Float32Array, indices: Uint32Array | null, g: Float64Array, copy: Float64Array): { dist2: number; wd2: number } {
  const m = indices ? indices.length : w.length;
  if (g.length !== m || copy.length !== m) throw new RangeError(`chainPoint: buffers of length ${g.length}, expected ${m}`);
  const { nbeta, gamma, weight_decay: wd } = p;
  let dist2 = 0;
  let wd2 = 0;
  for (let k0 = 0; k0 < m; k0 += SUM_BLOCK) {
    const k1 = Math.min(m, k0 + SUM_BLOCK);
    let bDist2 = 0;
    let bWd2 = 0;
    for (let k = k0; k < k1; k++) {
      const i = indices ? indices[k] : k;
      const wi = w[i];
      const d = wi - w0[i];
      g[k] = nbeta * grad[i] + gamma * d + wd * wi;
      copy[k] = wi;
      bDist2 += d * d;
      if (wd) bWd2 += wi * wi;
    }
    dist2 += bDist2;
    wd2 += bWd2;
  }
  return { dist2, wd2 };
}

/** What a whole step needs besides w and the batch (SgldProblem.step). */
export interface StepArgs {
  sgld: SgldParams;
  w0: Float32Array;
  indices: Uint32Array | null;
  noise: Rng | null;
  pre: Preconditioning | null;
  buf: ChainBuffers;
  /** fill buf.before and buf.g (the MALA acceptance of this step) */
  keepBefore: boolean;
}

/** the sampled loss at w before the step, and chainStep's numbers */
export type StepOutcome = { loss: number } & ChainStepResult;

/**
 * The reference of a whole chain step: the loss and gradient at w, then chainStep (no step after a
 * non-finite loss: the chain stops there). An engine that takes the step whole (the fused engine's
 * sgldStep, through problem.ts) gives the same numbers bit for bit (chain-step.test.ts).
 */
export function referenceStep<B>(problem: { lossAndGrad(w: Float32Array, batch: B): { loss: number; grad: Float32Array } }, w: Float32Array, batch: B, a: StepArgs): StepOutcome {
  const { loss, grad } = problem.lossAndGrad(w, batch);
  if (!Number.isFinite(loss)) return { loss, dist2: NaN, wd2: NaN, driftNorm: NaN, noiseNorm: NaN };
  return { loss, ...chainStep(a.sgld, w, a.w0, grad, a.indices, a.noise, a.buf, a.keepBefore, a.pre) };
}
