/**
 * One SGLD chain, devinterp-style (sample_single_chain): for step i = 0 … burnin + draws·between − 1,
 * compute the minibatch loss and gradient at the current w, record a draw when
 * i ≥ burnin and (i − burnin) mod between = 0 (so with no burn-in draw 0 is the loss at w0),
 * then take the SGLD step. Minibatches come from the chain's own stream (the training set,
 * reshuffled each epoch). A NaN loss stops the chain; the trace says at which draw and step.
 *
 * Per draw the trace keeps: the loss, the MALA acceptance (mean over the checked transitions since
 * the previous draw, else the last value), ‖w − w0‖, the drift norm ‖(ε/2)·g‖ and the noise norm
 * ‖sqrt(ε)·ξ‖ of its step. The acceptance of a transition w → w′ is computed with U and ∇U at both
 * ends on the same minibatch (every `acceptanceEvery` steps, one extra gradient): across two
 * different minibatches, as devinterp does, nβ·(L_B′ − L_B) is dominated by batch-to-batch noise
 * once nβ is large (at nβ = n/ln n ≈ 12,600 it is tens of nats) and the number says nothing.
 */
import type { Rng } from '@sortscope/core';
import { malaAcceptance } from './mala.ts';
import { chainBuffers, chainPoint, chainStep } from './chain-step.ts';
import type { SgldParams } from './sgld.ts';

export interface SgldProblem<B = unknown> {
  /** number of parameters */
  size: number;
  /** mean minibatch loss and its gradient (length `size`) */
  lossAndGrad(w: Float32Array, batch: B): { loss: number; grad: Float32Array };
}

export interface ChainSettings {
  sgld: SgldParams;
  draws: number;
  burnin: number;
  stepsBetweenDraws: number;
  /** coordinates to sample (weight-restricted LLC); null = all */
  indices: Uint32Array | null;
  /** every this many steps, the MALA acceptance of the step on its own batch (one extra gradient; 0: never) */
  acceptanceEvery?: number;
}

/** default of ChainSettings.acceptanceEvery: 10% more gradient evaluations */
export const ACCEPTANCE_EVERY = 10;

export interface ChainTrace {
  /** [draws] minibatch loss at each draw (NaN after a NaN stop) */
  loss: Float64Array;
  /** [draws] mean MALA acceptance of the transitions leading to each draw (NaN for none) */
  acceptance: Float64Array;
  /** [draws] ‖w − w0‖ over the sampled coordinates */
  distance: Float64Array;
  /** [draws] ‖(ε/2)·g‖ and ‖sqrt(ε)·σ·ξ‖ of the step taken at the draw */
  driftNorm: Float64Array;
  noiseNorm: Float64Array;
  /** mean acceptance over every transition of the chain */
  acceptanceMean: number;
  /** where a NaN loss stopped the chain */
  nan: { draw: number; step: number } | null;
}

export function totalSteps(s: ChainSettings): number {
  return s.burnin + s.draws * s.stepsBetweenDraws;
}

export function runChain<B>(problem: SgldProblem<B>, w0: Float32Array, s: ChainSettings, nextBatch: () => B, noise: Rng | null, onDraw?: (draw: number) => void): ChainTrace {
  const { draws } = s;
  const trace: ChainTrace = {
    loss: new Float64Array(draws).fill(NaN),
    acceptance: new Float64Array(draws).fill(NaN),
    distance: new Float64Array(draws).fill(NaN),
    driftNorm: new Float64Array(draws).fill(NaN),
    noiseNorm: new Float64Array(draws).fill(NaN),
    acceptanceMean: NaN,
    nan: null,
  };
  const m = s.indices ? s.indices.length : problem.size;
  const idx = s.indices;
  const every = s.acceptanceEvery ?? ACCEPTANCE_EVERY;
  const w = w0.slice();
  const buf = chainBuffers(m);
  const g2 = new Float64Array(m);
  const after = new Float64Array(m);
  let accSum = 0;
  let accCount = 0;
  let intervalSum = 0;
  let intervalCount = 0;
  let lastAcc = NaN;
  const { nbeta, gamma, weight_decay: wd } = s.sgld;
  const potentialOf = (loss: number, dist2: number, wd2: number) => nbeta * loss + (gamma / 2) * dist2 + (wd / 2) * wd2;
  const total = totalSteps(s);
  for (let i = 0; i < total; i++) {
    const batch = nextBatch();
    const { loss, grad } = problem.lossAndGrad(w, batch);
    const isDraw = i >= s.burnin && (i - s.burnin) % s.stepsBetweenDraws === 0;
    const draw = isDraw ? (i - s.burnin) / s.stepsBetweenDraws : -1;
    if (!Number.isFinite(loss)) {
      trace.nan = { draw: isDraw ? draw : Math.max(0, Math.ceil((i - s.burnin) / s.stepsBetweenDraws)), step: i };
      break;
    }
    const paired = every > 0 && i % every === 0;
    // drift at w, ‖w − w0‖² and ‖w‖² (the potential U), then the step: one pass (chain-step.ts)
    const { dist2, wd2, driftNorm, noiseNorm } = chainStep(s.sgld, w, w0, grad, idx, noise, buf, paired);
    const U = potentialOf(loss, dist2, wd2);
    if (paired) {
      // the MALA acceptance of this transition, with U and its gradient at both ends on this step's batch
      const next = problem.lossAndGrad(w, batch);
      if (Number.isFinite(next.loss)) {
        const far = chainPoint(s.sgld, w, w0, next.grad, idx, g2, after);
        const a = malaAcceptance(buf.before, buf.g, U, after, g2, potentialOf(next.loss, far.dist2, far.wd2), s.sgld.epsilon);
        accSum += a;
        accCount++;
        intervalSum += a;
        intervalCount++;
      }
    }
    if (isDraw) {
      if (intervalCount) lastAcc = intervalSum / intervalCount;
      trace.loss[draw] = loss;
      trace.distance[draw] = Math.sqrt(dist2);
      trace.acceptance[draw] = lastAcc;
      trace.driftNorm[draw] = driftNorm;
      trace.noiseNorm[draw] = noiseNorm;
      intervalSum = 0;
      intervalCount = 0;
      onDraw?.(draw);
    }
  }
  trace.acceptanceMean = accCount ? accSum / accCount : NaN;
  return trace;
}
