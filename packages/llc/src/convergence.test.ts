import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { assessConvergence, effectiveSampleSize, firstUsed, runningLlc, splitRhat, trending } from './convergence.ts';

const iid = (n: number, seed: number, mu = 0) => {
  const r = Rng.derive(seed, 'conv-test');
  return Float64Array.from({ length: n }, () => mu + r.normal());
};
/** AR(1): x_t = φ x_{t−1} + sqrt(1 − φ²) ξ_t (stationary, unit variance) */
const ar1 = (n: number, phi: number, seed: number) => {
  const r = Rng.derive(seed, 'conv-test-ar');
  const x = new Float64Array(n);
  x[0] = r.normal();
  for (let t = 1; t < n; t++) x[t] = phi * x[t - 1] + Math.sqrt(1 - phi * phi) * r.normal();
  return x;
};

describe('convergence', () => {
  it('running λ̂ is nβ × the mean of the last half of the draws so far', () => {
    const x = [1, 2, 3, 4, 5, 6];
    const r = runningLlc(x, 10);
    // t = 0: [0,0] → 1; t = 1: [1,1] → 2; t = 2: [1,2] → 2.5; t = 3: [2,3] → 3.5; t = 5: [3,5] → 5
    expect(Array.from(r)).toEqual([10, 20, 25, 35, 40, 50]);
    expect(firstUsed(1000)).toBe(500);
  });

  it('split-R̂ is ≈ 1 for chains from one distribution and large when their means differ', () => {
    const same = [0, 1, 2, 3].map((c) => iid(2000, c));
    expect(Math.abs(splitRhat(same, 0, 2000) - 1)).toBeLessThan(0.01);
    const apart = [0, 1, 2, 3].map((c) => iid(2000, c, c));
    expect(splitRhat(apart, 0, 2000)).toBeGreaterThan(1.2);
    // a trend inside each chain shows between its two halves
    const trend = [0, 1].map((c) => iid(2000, c).map((v, t) => v + t / 500));
    expect(splitRhat(trend, 0, 2000)).toBeGreaterThan(1.2);
  });

  it('ESS is ≈ n for independent draws and ≈ n(1 − φ)/(1 + φ) for an AR(1) chain', () => {
    expect(effectiveSampleSize(iid(20000, 7)) / 20000).toBeGreaterThan(0.85);
    expect(effectiveSampleSize(iid(20000, 7)) / 20000).toBeLessThan(1.15);
    const phi = 0.9;
    const ratio = effectiveSampleSize(ar1(40000, phi, 3)) / (40000 * ((1 - phi) / (1 + phi)));
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.3);
  });

  it('stationary chains are stable; chains still relaxing are not, and the drift is the quarters\' difference', () => {
    const flat = [0, 1, 2, 3].map((c) => iid(4000, 10 + c, 5));
    const a = assessConvergence(flat, 2, 0.05);
    expect(a.stable).toBe(true);
    expect(a.first_used).toBe(2000);
    // relaxing toward 5 with time constant 1,500 draws: λ̂ still moves between the quarters
    const relaxing = [0, 1, 2, 3].map((c) => iid(4000, 20 + c, 0).map((v, t) => 0.1 * v + 5 * (1 - Math.exp(-t / 1500))));
    const b = assessConvergence(relaxing, 2, 0.05);
    expect(b.stable).toBe(false);
    const exact = 2 * (5 / 1000) * Array.from({ length: 1000 }, (_, i) => Math.exp(-(2000 + i) / 1500) - Math.exp(-(3000 + i) / 1500)).reduce((s, v) => s + v, 0);
    expect(b.drift).toBeCloseTo(exact, 1);
    // one chain of four still trending while the pooled quarters agree: not stable, and counted
    const oneTrends = [0, 1, 2, 3].map((c) => iid(4000, 40 + c, 5).map((v, t) => (c === 0 ? v + (t > 2000 ? (t - 2000) / 400 : 0) : v)));
    const o = assessConvergence(oneTrends, 2, 0.5);
    expect(o.trending_chains).toBe(1);
    expect(o.stable).toBe(false);
    expect(a.trending_chains).toBe(0);
    // the same with noise much larger than the drift: the rule cannot tell, so it does not block
    const noisy = [0, 1, 2, 3].map((c) => iid(400, 30 + c, 0).map((v, t) => 50 * v + t * 1e-4));
    expect(assessConvergence(noisy, 1, 0.05).stable).toBe(true);
  });

  it('a stationary chain with a slow mode is not trending; a chain still relaxing across its used draws is', () => {
    // level 5, white noise 1.6 (the minibatch), a slow AR(1) mode of sd 0.3 relaxing over 300 draws: as the
    // llc draws at step 887 of the baseline. A t on the raw draws flagged about a third of such chains.
    const chain = (seed: number, n: number, relax: number) => {
      const slow = ar1(n, 1 - 1 / 300, seed);
      const white = iid(n, seed + 1000);
      return Float64Array.from({ length: n }, (_, t) => 5 + 0.3 * slow[t] + 1.6 * white[t] - relax * Math.exp(-t / 6000));
    };
    const flagged = (n: number, relax: number) => Array.from({ length: 20 }, (_, s) => trending(chain(s, n, relax), n / 2)).filter(Boolean).length;
    expect(flagged(12_000, 0)).toBeLessThanOrEqual(1);
    // relaxing by 1.5 with time constant 6,000: the mean moves by 0.35 (7%) across the used draws of
    // 12,000: below TREND_MIN_CHANGE, so not a trend; by 5, it moves 23%: a trend in most chains
    expect(flagged(12_000, 1.5)).toBeLessThanOrEqual(2);
    expect(flagged(12_000, 5)).toBeGreaterThanOrEqual(15);
    // a chain descending by 28% across the used draws of 1,500, as chain 2 of seed 2 at step 887 (t −2.85)
    const descending = (seed: number) => {
      const white = iid(1500, seed + 2000);
      return Float64Array.from({ length: 1500 }, (_, t) => 5 - (t >= 750 ? (1.4 * (t - 750)) / 750 : 0) + 1.6 * white[t]);
    };
    expect(Array.from({ length: 20 }, (_, s) => trending(descending(s), 750)).filter(Boolean).length).toBeGreaterThanOrEqual(18);
  });
});
