/**
 * The LLC estimator, as devinterp's LLCEstimator (docs/science.md §4):
 *
 *   init_loss = mean minibatch loss at w0 over the first `num_chains` batches of a fresh stream
 *   λ_c       = nβ · ( (1/D) Σ_d L_c,d − init_loss )      per chain c over its D draws
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

export function chainLlc(trace: ChainTrace, init: number, nbeta: number): number {
  if (trace.nan) return NaN;
  let s = 0;
  for (const l of trace.loss) s += l;
  return nbeta * (s / trace.loss.length - init);
}

export function meanStd(xs: number[]): { mean: number; std: number; n: number } {
  const ok = xs.filter((x) => Number.isFinite(x));
  const n = ok.length;
  const mean = n ? ok.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std, n };
}
