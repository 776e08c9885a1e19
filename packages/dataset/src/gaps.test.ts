import { describe, expect, it } from 'vitest';
import { Rng } from '@sortscope/core';
import { generateDataset } from './dataset.ts';
import { gapStats, sampleTilted, spanDistribution, tiltForMeanGap } from './gaps.ts';
import { DatasetConfigSchema } from './schema.ts';
import { config } from './testing.ts';

describe('tilted gap distribution', () => {
  it('θ = 1 is the uniform distribution: mean gap (R + 1)/(n + 1) = 4.7273', () => {
    expect(spanDistribution(10, 51, 0).meanGap).toBeCloseTo(52 / 11, 12);
  });

  it('finds the tilt for a target mean gap', () => {
    for (const target of [1.5, 3, 4.727, 5.2]) expect(tiltForMeanGap(10, 51, target).meanGap).toBeCloseTo(target, 9);
    expect(tiltForMeanGap(10, 51, 3).lnTheta).toBeLessThan(0);
    expect(tiltForMeanGap(10, 51, 5.2).lnTheta).toBeGreaterThan(0);
  });

  it('samples spans with the exact probabilities (chi-square) and valid lists', () => {
    const dist = spanDistribution(3, 8, Math.log(0.7)); // spans 2..7
    const rng = Rng.derive(0, 'gap-test');
    const counts = new Array(dist.probs.length).fill(0);
    const out = new Uint8Array(3);
    const N = 60_000;
    let valid = true;
    const interiorCounts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      sampleTilted(dist, 0, rng, out);
      valid &&= out[0] < out[1] && out[1] < out[2] && out[2] <= 7;
      counts[out[2] - out[0] - 2]++;
      if (out[2] - out[0] === 4) interiorCounts.set(out[1] - out[0], (interiorCounts.get(out[1] - out[0]) ?? 0) + 1);
    }
    expect(valid).toBe(true);
    const chi2 = counts.reduce((a, c, i) => a + (c - N * dist.probs[i]) ** 2 / (N * dist.probs[i]), 0);
    expect(chi2).toBeLessThan(20.5); // 5 d.o.f., p = 0.001
    // the interior number is uniform among the span's inner values
    const inner = [...interiorCounts.values()];
    expect(inner).toHaveLength(3);
    const total = inner.reduce((a, b) => a + b, 0);
    for (const c of inner) expect(Math.abs(c / total - 1 / 3)).toBeLessThan(4 * Math.sqrt(2 / 9 / total));
  });

  it('realised gap statistics of the generated data match the target', () => {
    for (const [gaps, target] of [[{ kind: 'uniform' }, 52 / 11], [{ kind: 'tilted', mean_gap: 3 }, 3], [{ kind: 'tilted', mean_gap: 5.3 }, 5.3]] as const) {
      const { facts } = generateDataset(config({ n_train: 20_000, gaps }));
      const g = facts.train.gaps;
      expect(Math.abs(g.mean! - target)).toBeLessThan((4 * g.std!) / Math.sqrt(20_000)); // conservative: lists' gaps are correlated
      expect(g.histogram.reduce((a, b) => a + b, 0)).toBe(20_000 * 9);
    }
  });

  it('gapStats on a hand example', () => {
    const s = gapStats(Uint8Array.from([0, 1, 4, 2, 3, 5]), 3);
    // gaps 1, 3 and 1, 2
    expect(s).toEqual({ mean: 1.75, std: Math.sqrt(2.75 / 3), min: 1, max: 3, histogram: [0, 2, 1, 1] });
  });

  it('has no statistics for an empty split', () => {
    expect(gapStats(new Uint8Array(0), 10)).toEqual({ mean: null, std: null, min: null, max: null, histogram: [] });
  });

  it('refuses an unreachable mean gap with the reachable range', () => {
    const r = DatasetConfigSchema.safeParse({ gaps: { kind: 'tilted', mean_gap: 7 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/expected a mean gap in \(1, 5\.5556\) for 10 distinct numbers in 0\.\.50/);
  });
});
