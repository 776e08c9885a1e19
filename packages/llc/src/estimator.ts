/**
 * The LLC estimator, as devinterp's LLCEstimator (science.md §4):
 *
 *   init_loss = mean minibatch loss at w0 over the first `num_chains` batches of a fresh stream
 *   λ_c       = nβ · ( (1/D) Σ_d L_c,d − init_loss )      per chain c over its D draws
 *   λ̂         = mean_c λ_c,   std = unbiased standard deviation over chains
 *
 * Chains stopped by a NaN are left out of the mean and std (and reported).
 */
import type { ChainTrace } from './chain.ts';

export function initLoss<B>(lossAt: (batch: B) => number, nextBatch: () => B, numBatches: number): number {
  let s = 0;
  for (let i = 0; i < numBatches; i++) s += lossAt(nextBatch());
  return s / numBatches;
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
