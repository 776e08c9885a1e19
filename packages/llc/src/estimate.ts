/**
 * Estimating the LLC of one parameter vector w0: init_loss, then independent chains, then the
 * estimator and the flags. Chains are independent given their streams, so a caller may run them
 * anywhere (worker threads) and combine them with `combineChains`: the result does not depend on
 * where or in what order they ran. `estimateLlc` runs everything in this thread (tests, toys).
 */
import type { Rng } from '@sortscope/core';
import { type ChainSettings, type ChainTrace, runChain, type SgldProblem } from './chain.ts';
import type { Convergence } from './convergence.ts';
import type { Decrement } from './decrement.ts';
import { type ChainFlags, chainFlags, NOT_MINIMUM } from './diagnostics.ts';
import { chainLlc, type DrawWindow, increments, initLossStats, meanStd, windowStart } from './estimator.ts';
import type { SamplerSettings } from './prepare.ts';

export interface Streams<B> {
  /** chain c's minibatch stream, after `skip` batches already drawn */
  batches(chain: number, skip?: number): () => B;
  /** chain c's noise */
  noise(chain: number): Rng;
  /** the stream whose first `chains` batches define init_loss */
  init(): () => B;
}

export interface ChainResult {
  chain: number;
  llc: number;
  /** mean minibatch loss (tilted, when the loss is) over the draws λ_c reads */
  mean_loss: number;
  flags: ChainFlags;
  trace: ChainTrace;
}

/** How far w0 is from a minimum of the loss, and whether the sampled loss was tilted to make it one. */
export interface Stationarity extends Decrement {
  /** ‖∇L_n(w0)‖ over the sampled coordinates, on the whole training set */
  gradient_norm: number;
  tilt: boolean;
  /** where the estimate was taken, when not at the checkpoint (relax.ts); null: at the checkpoint */
  relaxation?: RelaxationRecord | null;
}

export interface RelaxationRecord {
  iterations: number;
  /** how many of those iterations took the gradient step after negative curvature (relax.ts; llc 7) */
  gradient_steps: number;
  /** U(w0) − U(w*), in λ̂'s units */
  drop: number;
  /** ‖w* − w0‖ over the sampled coordinates */
  distance: number;
  converged: boolean;
  /** L_n at the checkpoint and at the relaxed point */
  loss0: number;
  loss: number;
}

export interface LlcEstimate {
  /** the step size, temperature and preparation actually used (set by the runner) */
  sampler?: SamplerSettings;
  init_loss: number;
  /** standard error of init_loss over its batches (NaN: one batch, or the whole training set) */
  init_loss_se: number;
  mean: number;
  /** spread of λ_c over chains (sample std) */
  std: number;
  /** standard error of λ̂: the chains' spread and the error of init_loss shared by every chain */
  se: number;
  /** chains that finished (no NaN) */
  n_ok: number;
  acceptance_mean: number;
  chains: ChainResult[];
  /** the chains' convergence numbers (null: not assessed) */
  convergence?: Convergence | null;
  /** rounds the chains ran (1 + the times they were lengthened) */
  rounds?: number;
  stationarity?: Stationarity | null;
}

export function estimateInitLoss<B>(problem: SgldProblem<B>, w0: Float32Array, streams: Streams<B>, batches: number): InitLoss {
  return initLossStats((b: B) => problem.lossAndGrad(w0, b).loss, streams.init(), batches);
}

export interface InitLoss {
  mean: number;
  se: number;
}

/** ‖w0‖ over the sampled coordinates. */
export function sampledNorm(w0: Float32Array, indices: Uint32Array | null): number {
  let s = 0;
  if (indices) for (const i of indices) s += w0[i] * w0[i];
  else for (const v of w0) s += v * v;
  return Math.sqrt(s);
}

/** λ_c, the mean loss increment and the flags of a finished chain. */
export function chainResult(chain: number, trace: ChainTrace, init: number, nbeta: number, w0Norm: number, window: DrawWindow = 'all'): ChainResult {
  const llc = chainLlc(trace, init, nbeta, window);
  const x = increments(trace, init);
  const from = windowStart(trace.loss.length, window);
  let mean = 0;
  for (let d = from; d < trace.loss.length; d++) mean += trace.loss[d] / (trace.loss.length - from);
  return { chain, llc, mean_loss: mean, flags: chainFlags(trace, llc, x, w0Norm, from), trace };
}

export function runOneChain<B>(problem: SgldProblem<B>, w0: Float32Array, s: ChainSettings, streams: Streams<B>, chain: number, init: number, onDraw?: (draw: number) => void): ChainResult {
  const trace = runChain(problem, w0, s, streams.batches(chain), streams.noise(chain), onDraw);
  return chainResult(chain, trace, init, s.sgld.nbeta, sampledNorm(w0, s.indices));
}

export function combineChains(init: number | InitLoss, results: ChainResult[], nbeta = NaN): LlcEstimate {
  const { mean: initMean, se: initSe } = typeof init === 'number' ? { mean: init, se: NaN } : init;
  const sorted = [...results].sort((a, b) => a.chain - b.chain);
  const { mean, std, n } = meanStd(sorted.map((r) => r.llc));
  const acc = meanStd(sorted.map((r) => r.trace.acceptanceMean)).mean;
  const initPart = Number.isFinite(initSe) && Number.isFinite(nbeta) ? (nbeta * initSe) ** 2 : 0;
  const se = n > 1 ? Math.sqrt((std * std) / n + initPart) : NaN;
  return { init_loss: initMean, init_loss_se: initSe, mean, std, se, n_ok: n, acceptance_mean: acc, chains: sorted };
}

/**
 * The estimate-level flags, set on every chain: not_converged (the chains' convergence did not pass)
 * and not_minimum (a relaxation that did not converge, or an untilted, unrelaxed loss whose Newton
 * decrement exceeds NOT_MINIMUM of |λ̂|).
 */
export function markEstimate(est: LlcEstimate): LlcEstimate {
  const notConverged = est.convergence ? !est.convergence.stable : false;
  const st = est.stationarity;
  const notMinimum = st ? (st.relaxation ? !st.relaxation.converged : !st.tilt && st.decrement > NOT_MINIMUM * Math.abs(est.mean)) : false;
  for (const c of est.chains) {
    if (c.flags.nan) continue;
    c.flags.not_converged = notConverged;
    c.flags.not_minimum = notMinimum;
  }
  return est;
}

/** All chains in this thread, devinterp's way (fixed length, every draw read). */
export function estimateLlc<B>(problem: SgldProblem<B>, w0: Float32Array, s: ChainSettings, streams: Streams<B>, chains: number, onDraw?: (chain: number, draw: number) => void): LlcEstimate {
  const init = estimateInitLoss(problem, w0, streams, chains);
  const results = Array.from({ length: chains }, (_, c) => runOneChain(problem, w0, s, streams, c, init.mean, onDraw && ((d) => onDraw(c, d))));
  return combineChains(init, results, s.sgld.nbeta);
}
