import { describe, expect, it } from 'vitest';
import { Rng } from '@sortscope/core';
import { circularGapRange, circularTilt, circularTiltForMeanGap, sampleCircular } from './circular-gaps.ts';
import { generateDataset } from './dataset.ts';
import { sampleTilted, tiltForMeanGap } from './gaps.ts';
import { DatasetConfigSchema } from './schema.ts';
import { config } from './testing.ts';

/** Sorted-list statistics of `N` draws: the mean adjacent gap and each number's frequency. */
function draw(sample: (rng: Rng, out: Uint8Array) => void, n: number, range: number, N: number) {
  const rng = Rng.derive(7, 'circular-gap-test');
  const out = new Uint8Array(n);
  const freq = new Array(range).fill(0);
  let gaps = 0;
  let valid = true;
  for (let i = 0; i < N; i++) {
    sample(rng, out);
    const s = Array.from(out).sort((a, b) => a - b);
    valid &&= new Set(s).size === n && s[0] >= 0 && s[n - 1] < range;
    for (const x of s) freq[x]++;
    gaps += (s[n - 1] - s[0]) / (n - 1);
  }
  return { meanGap: gaps / N, freq, valid };
}

describe('circular-tilted gap distribution', () => {
  it('θ = 1 is the uniform distribution over sets: ρ̄ = (R + 1)/(n + 1), and its largest', () => {
    for (const [n, R] of [[10, 51], [5, 51], [3, 8], [2, 7]]) expect(circularTilt(n, R, 0).meanGap).toBeCloseTo((R + 1) / (n + 1), 12);
    const [lo, hi] = circularGapRange(10, 51);
    expect(hi).toBeCloseTo(52 / 11, 9);
    expect(lo).toBeCloseTo(1.8039, 4); // 10 consecutive numbers, cut inside the cluster 9 times in 51
    for (const l of [-1, -0.1, 0.1, 1, 5]) expect(circularTilt(10, 51, l).meanGap).toBeLessThan(hi);
  });

  it('finds the tilt for a target ρ̄ on the rising branch', () => {
    for (const target of [1.9, 2.91, 3.82, 4.7]) expect(circularTiltForMeanGap(10, 51, target).meanGap).toBeCloseTo(target, 9);
    expect(circularTiltForMeanGap(10, 51, 2.91).lnTheta).toBeLessThan(0);
  });

  it('sampling is exact: the realised ρ̄ matches the formula (which counts the wrapped lists), for a tight and a loose tilt', () => {
    for (const l of [-1.5, -0.5, 0.7]) {
      const dist = circularTilt(10, 51, l);
      const r = draw((rng, out) => sampleCircular(dist, 0, rng, out), 10, 51, 40_000);
      expect(r.valid).toBe(true);
      expect(Math.abs(r.meanGap - dist.meanGap)).toBeLessThan(0.01 * dist.meanGap);
    }
  });

  it('every number is equally likely at any tilt, where the linear tilt favours the middle', () => {
    const N = 60_000;
    const c = circularTiltForMeanGap(10, 51, 2.91);
    const t = tiltForMeanGap(10, 51, 2.91);
    const circ = draw((rng, out) => sampleCircular(c, 0, rng, out), 10, 51, N);
    const lin = draw((rng, out) => sampleTilted(t, 0, rng, out), 10, 51, N);
    const expected = (N * 10) / 51;
    const spread = (f: number[]) => Math.max(...f.map((x) => Math.abs(x / expected - 1)));
    expect(spread(circ.freq)).toBeLessThan(0.05);
    expect(spread(lin.freq)).toBeGreaterThan(0.3); // the test can tell: the linear family's edges are rare
  });

  it('the dataset stage draws it; an unreachable ρ̄ is refused with the reachable range', () => {
    const { facts } = generateDataset(config({ n_train: 20_000, gaps: { kind: 'circular-tilted', mean_gap: 3 } }));
    expect(Math.abs(facts.train.gaps.mean! - 3)).toBeLessThan(0.1);
    const r = DatasetConfigSchema.safeParse({ gaps: { kind: 'circular-tilted', mean_gap: 5 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toBe('expected a mean gap in (1.8039, 4.7273] for 10 distinct numbers in 0..50 (circular-tilted: every number equally likely)');
    expect(r.error!.issues[0].path).toEqual(['gaps', 'mean_gap']);
  });
});
