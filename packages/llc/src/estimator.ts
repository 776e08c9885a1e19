/**
 * The LLC estimator, as devinterp's LLCEstimator (docs/science.md §4), with two refinements of the
 * canonical method (docs/llc.md):
 *
 *   init_loss = mean minibatch loss at w0 over the first `num_chains` batches of a fresh stream
 *               (canonical: the mean loss over every training sequence, exactly)
 *   x_c,d     = L_c,d − init_loss, or L_c,d − L_{B_d}(w0) with the control variate (the draw's own
 *               minibatch at w0: same expectation, much less minibatch noise)
 *   λ_c       = nβ · (1/|W|) Σ_{d ∈ W} x_c,d   per chain c over the draws W it reads: all D draws
 *               (devinterp) or the last half [⌊D/2⌋, D) (canonical)
 *   se(λ̂)     = sqrt( std_c(λ_c)² / n_chains + (nβ · se(init_loss))² ): the chains' spread and the
 *               error of init_loss, which every chain shares
 *   λ̂         = mean_c λ_c,   std = unbiased standard deviation over chains
 *
 * Chains stopped by a NaN are left out of the mean and std (and reported).
 */
import type { ChainTrace } from './chain.ts';

export function initLoss<B>(lossAt: (batch: B) => number, nextBatch: () => B, numBatches: number): number {
  return initLossStats(lossAt, nextBatch, numBatches).mean;
}

/** init_loss and its standard error over the batches (NaN for one batch) */
export function initLossStats<B>(lossAt: (batch: B) => number, nextBatch: () => B, numBatches: number): { mean: number; se: number } {
  const xs = Array.from({ length: numBatches }, () => lossAt(nextBatch()));
  const mean = xs.reduce((a, b) => a + b, 0) / numBatches;
  const se = numBatches > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (numBatches - 1) / numBatches) : NaN;
  return { mean, se };
}

/** The draws an estimate reads: all of them, or the last half. */
export type DrawWindow = 'all' | 'last-half';

export function windowStart(draws: number, window: DrawWindow): number {
  return window === 'all' ? 0 : Math.floor(draws / 2);
}

/** Per-draw loss increments x_d over w0 (against init_loss, or against the draw's own batch at w0). */
export function increments(trace: ChainTrace, init: number): Float64Array {
  const b = trace.baseline;
  return trace.loss.map((l, d) => l - (b ? b[d] : init));
}

export function chainLlc(trace: ChainTrace, init: number, nbeta: number, window: DrawWindow = 'all'): number {
  if (trace.nan) return NaN;
  const x = increments(trace, init);
  const from = windowStart(x.length, window);
  let s = 0;
  for (let d = from; d < x.length; d++) s += x[d];
  return nbeta * (s / (x.length - from));
}

export function meanStd(xs: number[]): { mean: number; std: number; n: number } {
  const ok = xs.filter((x) => Number.isFinite(x));
  const n = ok.length;
  const mean = n ? ok.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std, n };
}
