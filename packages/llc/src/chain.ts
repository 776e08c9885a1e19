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
 *
 * With `controlVariate`, each draw also records L_B(w0) on the draw's own minibatch (`baseline`):
 * λ_c then averages L_B(w) − L_B(w0), whose minibatch noise is several times smaller than that of
 * L_B(w) (the two losses share the batch), and whose mean is the same, since every training row is
 * drawn equally often (estimate.ts).
 *
 * A chain can be continued: `start` gives the weights and the steps already taken (`end` of the
 * previous segment); the caller continues the minibatch and noise streams where they stopped. Draw
 * d of the whole chain is the same whether it was run in one segment or several.
 */
import type { Rng, RngSnapshot } from '@sortscope/core';
import { malaAcceptance } from './mala.ts';
import { chainBuffers, chainPoint, type Preconditioning, referenceStep, type StepArgs, type StepOutcome } from './chain-step.ts';
import type { SgldParams } from './sgld.ts';

export interface SgldProblem<B = unknown> {
  /** number of parameters */
  size: number;
  /** mean minibatch loss and its gradient (length `size`) */
  lossAndGrad(w: Float32Array, batch: B): { loss: number; grad: Float32Array };
  /** the mean minibatch loss alone (a forward pass; the control variate); default: lossAndGrad's */
  loss?(w: Float32Array, batch: B): number;
  /**
   * lossAndGrad at w and the SGLD step on it in one engine call, bit for bit chain-step.ts's
   * referenceStep (the fused engine; `tilt` = g0 of tilt.ts, which passes it); default: referenceStep
   */
  step?(w: Float32Array, batch: B, a: StepArgs, tilt?: Float32Array | null): StepOutcome;
}

/** Where a chain segment starts: its weights and the number of SGLD steps already taken. */
export interface ChainStart {
  w: Float32Array;
  step: number;
  /** the per-draw acceptance last recorded (carried into a draw with no check since) */
  lastAcceptance: number;
  /** the noise stream's state (Rng.snapshot) */
  rng?: RngSnapshot;
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
  /** a fixed diagonal preconditioner over the sampled coordinates (chain-step.ts); null: none */
  precondition?: Preconditioning | null;
  /** record L_B(w0) at each draw, on the draw's batch (one forward pass) */
  controlVariate?: boolean;
  /** L_B(w0) of a batch without a forward pass (the per-row losses of the whole-set pass, problem.ts); bit for bit problem.loss(w0, batch) */
  baseline?: ((batch: unknown) => number) | null;
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
  /** [draws] L_B(w0) on each draw's minibatch (the control variate), or null */
  baseline: Float64Array | null;
  /** mean acceptance over every transition of the chain, and the sum and count it is made of */
  acceptanceMean: number;
  acceptanceSum: number;
  acceptanceCount: number;
  /** where a NaN loss stopped the chain (draw and step counted from the chain's start) */
  nan: { draw: number; step: number } | null;
  /** where the chain stopped: what a further segment starts from */
  end?: ChainStart;
}

/** SGLD steps of a chain segment that starts at step `from` (the burn-in belongs to the first). */
export function totalSteps(s: ChainSettings, from = 0): number {
  return (from < s.burnin ? s.burnin - from : 0) + s.draws * s.stepsBetweenDraws;
}

/** Draws recorded before step `step` of a chain (steps taken so far). */
export function drawsBefore(s: ChainSettings, step: number): number {
  return step <= s.burnin ? 0 : Math.ceil((step - s.burnin) / s.stepsBetweenDraws);
}

export function runChain<B>(problem: SgldProblem<B>, w0: Float32Array, s: ChainSettings, nextBatch: () => B, noise: Rng | null, onDraw?: (draw: number) => void, start?: ChainStart): ChainTrace {
  const { draws } = s;
  const from = start?.step ?? 0;
  const firstDraw = drawsBefore(s, from);
  const cv = Boolean(s.controlVariate);
  const trace: ChainTrace = {
    loss: new Float64Array(draws).fill(NaN),
    acceptance: new Float64Array(draws).fill(NaN),
    distance: new Float64Array(draws).fill(NaN),
    driftNorm: new Float64Array(draws).fill(NaN),
    noiseNorm: new Float64Array(draws).fill(NaN),
    baseline: cv ? new Float64Array(draws).fill(NaN) : null,
    acceptanceMean: NaN,
    acceptanceSum: 0,
    acceptanceCount: 0,
    nan: null,
  };
  const m = s.indices ? s.indices.length : problem.size;
  const idx = s.indices;
  const every = s.acceptanceEvery ?? ACCEPTANCE_EVERY;
  const w = (start?.w ?? w0).slice();
  const pre = s.precondition ?? null;
  const baseline = s.baseline ?? (problem.loss ? (b: B) => problem.loss!(w0, b) : (b: B) => problem.lossAndGrad(w0, b).loss);
  const buf = chainBuffers(m);
  const g2 = new Float64Array(m);
  const after = new Float64Array(m);
  let accSum = 0;
  let accCount = 0;
  let intervalSum = 0;
  let intervalCount = 0;
  let lastAcc = start?.lastAcceptance ?? NaN;
  const { nbeta, gamma, weight_decay: wd } = s.sgld;
  const potentialOf = (loss: number, dist2: number, wd2: number) => nbeta * loss + (gamma / 2) * dist2 + (wd / 2) * wd2;
  const total = from + totalSteps(s, from);
  const args: StepArgs = { sgld: s.sgld, w0, indices: idx, noise, pre, buf, keepBefore: false };
  const step = problem.step ? (b: B) => problem.step!(w, b, args) : (b: B) => referenceStep(problem, w, b, args);
  let i = from;
  for (; i < total; i++) {
    const batch = nextBatch();
    const paired = every > 0 && i % every === 0;
    args.keepBefore = paired;
    // the loss at w, the drift, ‖w − w0‖² and ‖w‖² (the potential U), then the step (chain-step.ts)
    const { loss, dist2, wd2, driftNorm, noiseNorm } = step(batch);
    const isDraw = i >= s.burnin && (i - s.burnin) % s.stepsBetweenDraws === 0;
    const draw = isDraw ? (i - s.burnin) / s.stepsBetweenDraws - firstDraw : -1;
    if (!Number.isFinite(loss)) {
      trace.nan = { draw: firstDraw + (isDraw ? draw : Math.max(0, drawsBefore(s, i) - firstDraw)), step: i };
      break;
    }
    const base = isDraw && cv ? baseline(batch) : NaN;
    const U = potentialOf(loss, dist2, wd2);
    if (paired) {
      // the MALA acceptance of this transition, with U and its gradient at both ends on this step's batch
      const next = problem.lossAndGrad(w, batch);
      if (Number.isFinite(next.loss)) {
        const far = chainPoint(s.sgld, w, w0, next.grad, idx, g2, after);
        const a = malaAcceptance(buf.before, buf.g, U, after, g2, potentialOf(next.loss, far.dist2, far.wd2), s.sgld.epsilon, pre?.p ?? null);
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
      if (trace.baseline) trace.baseline[draw] = base;
      intervalSum = 0;
      intervalCount = 0;
      onDraw?.(draw);
    }
  }
  trace.acceptanceSum = accSum;
  trace.acceptanceCount = accCount;
  trace.acceptanceMean = accCount ? accSum / accCount : NaN;
  if (!trace.nan) trace.end = { w, step: i, lastAcceptance: lastAcc, ...(noise ? { rng: noise.snapshot() } : {}) };
  return trace;
}

/** One chain's trace from its segments, in order (a NaN stop ends it). */
export function concatTraces(parts: ChainTrace[]): ChainTrace {
  if (parts.length === 1) return parts[0];
  const cat = (f: (t: ChainTrace) => Float64Array) => {
    const out = new Float64Array(parts.reduce((n, t) => n + f(t).length, 0));
    let o = 0;
    for (const t of parts) (out.set(f(t), o), (o += f(t).length));
    return out;
  };
  const sum = parts.reduce((a, t) => a + t.acceptanceSum, 0);
  const count = parts.reduce((a, t) => a + t.acceptanceCount, 0);
  const last = parts.at(-1)!;
  return {
    loss: cat((t) => t.loss),
    acceptance: cat((t) => t.acceptance),
    distance: cat((t) => t.distance),
    driftNorm: cat((t) => t.driftNorm),
    noiseNorm: cat((t) => t.noiseNorm),
    baseline: parts[0].baseline ? cat((t) => t.baseline!) : null,
    acceptanceSum: sum,
    acceptanceCount: count,
    acceptanceMean: count ? sum / count : NaN,
    nan: parts.find((t) => t.nan)?.nan ?? null,
    ...(last.end ? { end: last.end } : {}),
  };
}
