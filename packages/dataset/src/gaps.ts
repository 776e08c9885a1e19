/**
 * Gap-distribution control: the "tilted" family of sorted lists.
 *
 * For n distinct numbers from a range of R consecutive values, write a list by its span
 * s = max − min (so the n − 1 adjacent gaps sum to s). The tilted distribution gives every
 * list probability ∝ θ^s. θ = 1 is the uniform distribution over sets (ARENA's data, mean gap
 * (R + 1)/(n + 1) = 4.727 for 10 of 0..50); θ < 1 favours small gaps, θ > 1 large ones. It is
 * the maximum-entropy distribution over lists with a given mean span, so it changes the gap
 * statistics and nothing else.
 *
 * The number of lists with span s is N(s) = (R − s) · C(s − 1, n − 2)  (start positions ×
 * choices of the n − 2 interior numbers), so
 *     P(span = s) ∝ (R − s) · C(s − 1, n − 2) · θ^s,   s = n − 1 … R − 1,
 *     mean gap(θ) = E[s] / (n − 1),
 * which is increasing in θ; θ is found by bisection on ln θ. Sampling is exact: draw s from
 * P(span), the minimum uniformly from the R − s starts, the interior uniformly.
 */
import type { Rng } from '@sortscope/core';

const lnFactCache: number[] = [0];
function lnFact(k: number): number {
  for (let i = lnFactCache.length; i <= k; i++) lnFactCache[i] = lnFactCache[i - 1] + Math.log(i);
  return lnFactCache[k];
}
export function lnChoose(a: number, b: number): number {
  if (b < 0 || b > a) return -Infinity;
  return lnFact(a) - lnFact(b) - lnFact(a - b);
}

export interface SpanDistribution {
  n: number;
  range: number;
  lnTheta: number;
  /** spans[i] = n − 1 + i */
  probs: Float64Array;
  meanGap: number;
}

export function spanDistribution(n: number, range: number, lnTheta: number): SpanDistribution {
  const sMin = n - 1;
  const count = range - 1 - sMin + 1;
  const logw = new Float64Array(count);
  let maxLog = -Infinity;
  for (let i = 0; i < count; i++) {
    const s = sMin + i;
    logw[i] = Math.log(range - s) + lnChoose(s - 1, n - 2) + s * lnTheta;
    if (logw[i] > maxLog) maxLog = logw[i];
  }
  const probs = new Float64Array(count);
  let z = 0;
  for (let i = 0; i < count; i++) z += probs[i] = Math.exp(logw[i] - maxLog);
  let meanSpan = 0;
  for (let i = 0; i < count; i++) {
    probs[i] /= z;
    meanSpan += probs[i] * (sMin + i);
  }
  return { n, range, lnTheta, probs, meanGap: meanSpan / (n - 1) };
}

/** The ln θ in [lo, hi] at which an increasing `meanGapAt(ln θ)` equals `meanGap` (bisection to 1e-12). */
export function bisectLnTheta(meanGapAt: (lnTheta: number) => number, meanGap: number, lo: number, hi: number): number {
  for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    if (meanGapAt(mid) < meanGap) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The tilt whose mean gap equals `meanGap` (bisection on ln θ to 1e-12). */
export function tiltForMeanGap(n: number, range: number, meanGap: number): SpanDistribution {
  return spanDistribution(n, range, bisectLnTheta((l) => spanDistribution(n, range, l).meanGap, meanGap, -60, 60));
}

/** Draw a span index i from `probs` (one uniform from `rng`): the span is n − 1 + i. */
export function drawSpanIndex(probs: Float64Array, rng: Rng): number {
  let u = rng.float();
  let i = 0;
  while (i < probs.length - 1 && u >= probs[i]) u -= probs[i++];
  return i;
}

/** `count` distinct offsets from 1 … s − 1 (Floyd's algorithm, in its insertion order). */
export function interiorOffsets(rng: Rng, s: number, count: number): number[] {
  const chosen = new Set<number>();
  for (let j = s - 1 - count; j < s - 1; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].map((c) => 1 + c);
}

/** Draw one sorted list (ascending, length n) from the tilted distribution. */
export function sampleTilted(dist: SpanDistribution, min_number: number, rng: Rng, out: Uint8Array): void {
  const { n, range, probs } = dist;
  const s = n - 1 + drawSpanIndex(probs, rng);
  const start = min_number + rng.int(range - s);
  out[0] = start;
  if (n === 1) return;
  out[n - 1] = start + s;
  // n − 2 distinct interior values from start+1 .. start+s−1, then sort
  const interior = interiorOffsets(rng, s, n - 2).sort((a, b) => a - b);
  for (let k = 0; k < interior.length; k++) out[k + 1] = start + interior[k];
}

export interface GapStats {
  /** null when there are no gaps (an empty split, or lists of one number) */
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** histogram[g] = number of adjacent gaps equal to g */
  histogram: number[];
}

/** Statistics of the adjacent gaps of sorted rows (row-major, `n` numbers per row). */
export function gapStats(sorted: Uint8Array, n: number): GapStats {
  const rows = sorted.length / n;
  const hist: number[] = [];
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < rows; r++) {
    for (let j = 1; j < n; j++) {
      const g = sorted[r * n + j] - sorted[r * n + j - 1];
      hist[g] = (hist[g] ?? 0) + 1;
      sum += g;
      sumSq += g * g;
      count++;
      if (g < min) min = g;
      if (g > max) max = g;
    }
  }
  const mean = count ? sum / count : null;
  return {
    mean,
    std: count > 1 ? Math.sqrt((sumSq - count * mean! * mean!) / (count - 1)) : null,
    min: count ? min : null,
    max: count ? max : null,
    histogram: Array.from(hist, (h) => h ?? 0),
  };
}
