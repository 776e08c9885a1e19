import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { detectStages } from './changepoints.ts';

const OPTS = { max_segments: 4, min_points: 3, penalty: 1 };

/** Log-spaced checkpoint steps like the train stage's (0, then 1 … last). */
function logSteps(n: number, last: number): number[] {
  const out = [0];
  for (let i = 1; i < n; i++) out.push(Math.round(Math.exp((Math.log(last) * i) / (n - 1))));
  return [...new Set(out)];
}

/** y = f(ln(1 + step)) + N(0, noise²), seeded. */
function curve(steps: number[], f: (x: number) => number, noise: number, seed = 0): number[] {
  const rng = Rng.derive(seed, 'report-test', 'changepoints');
  return steps.map((s) => f(Math.log1p(s)) + noise * rng.normal());
}

/** Exhaustive search over every split into m pieces of ≥ minPts points: the least total RSS. */
function bruteForceRss(x: number[], y: number[], m: number, minPts: number): number {
  const rss = (a: number, b: number) => {
    const xs = x.slice(a, b);
    const ys = y.slice(a, b);
    const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
    const my = ys.reduce((s, v) => s + v, 0) / ys.length;
    const sxx = xs.reduce((s, v) => s + (v - mx) ** 2, 0);
    const sxy = xs.reduce((s, v, i) => s + (v - mx) * (ys[i] - my), 0);
    const slope = sxx > 0 ? sxy / sxx : 0;
    return ys.reduce((s, v, i) => s + (v - my - slope * (xs[i] - mx)) ** 2, 0);
  };
  const go = (start: number, left: number): number => {
    if (left === 1) return x.length - start >= minPts ? rss(start, x.length) : Infinity;
    let best = Infinity;
    for (let e = start + minPts; e <= x.length - (left - 1) * minPts; e++) best = Math.min(best, rss(start, e) + go(e, left - 1));
    return best;
  };
  return go(0, m);
}

describe('detectStages', () => {
  it('finds no boundary on a straight line in log(1 + step), noisy or exact, or on a constant', () => {
    const steps = logSteps(40, 7000);
    for (const noise of [0, 0.5]) {
      const r = detectStages(steps, curve(steps, (x) => 3 + 2 * x, noise), OPTS);
      expect(r.boundaries).toEqual([]);
      expect(r.segments).toHaveLength(1);
      expect(r.segments[0].slope).toBeCloseTo(2, noise === 0 ? 9 : 0);
    }
    expect(detectStages(steps, steps.map(() => 5), OPTS).boundaries).toEqual([]);
  });

  it('finds the kink of a two-piece curve between the right checkpoints', () => {
    const steps = logSteps(50, 7000);
    const kink = Math.log1p(100); // the trend changes at step 100
    const y = curve(steps, (x) => (x < kink ? 10 * x : 10 * kink - 4 * (x - kink)), 0.3, 1);
    const r = detectStages(steps, y, OPTS);
    expect(r.boundaries).toHaveLength(1);
    const b = r.boundaries[0];
    expect(b.step_before).toBeLessThanOrEqual(b.step_mid);
    expect(b.step_mid).toBeLessThanOrEqual(b.step_after);
    expect(b.step_mid).toBeGreaterThan(60);
    expect(b.step_mid).toBeLessThan(170);
    expect(b.slope_change).toBeCloseTo(-14, 0);
  });

  it('finds both boundaries of a three-piece curve (rise, plateau, fall) and no more', () => {
    const steps = logSteps(60, 7000);
    const [k1, k2] = [Math.log1p(30), Math.log1p(1000)];
    const f = (x: number) => (x < k1 ? 20 * x : x < k2 ? 20 * k1 : 20 * k1 - 15 * (x - k2));
    const r = detectStages(steps, curve(steps, f, 0.5, 2), OPTS);
    expect(r.boundaries.map((b) => Math.log1p(b.step_mid))).toHaveLength(2);
    expect(Math.abs(Math.log1p(r.boundaries[0].step_mid) - k1)).toBeLessThan(0.5);
    expect(Math.abs(Math.log1p(r.boundaries[1].step_mid) - k2)).toBeLessThan(0.5);
  });

  it('is exact: the chosen split has the least RSS over every split (exhaustive search)', () => {
    const steps = logSteps(14, 500);
    const y = curve(steps, (x) => Math.sin(2 * x) * 5, 0.2, 3);
    const x = steps.map((s) => Math.log1p(s));
    for (let m = 1; m <= 3; m++) {
      const r = detectStages(steps, y, { max_segments: m, min_points: 3, penalty: 0 });
      // with penalty 0 the most pieces always win (RSS cannot grow with m)
      expect(r.segments).toHaveLength(m);
      const rss = r.segments.reduce((s, seg) => s + y.slice(seg.from, seg.to + 1).reduce((a, v, i) => a + (v - seg.intercept - seg.slope * x[seg.from + i]) ** 2, 0), 0);
      expect(Math.abs(rss - bruteForceRss(x, y, m, 3))).toBeLessThan(1e-8 * (1 + rss));
    }
  });

  it('a larger penalty never gives more boundaries', () => {
    const steps = logSteps(40, 3000);
    const y = curve(steps, (x) => Math.abs(x - 4) * 3, 1.5, 4);
    const counts = [0, 0.5, 1, 2, 5, 50].map((penalty) => detectStages(steps, y, { ...OPTS, penalty }).boundaries.length);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]);
    expect(counts.at(-1)).toBe(0);
  });

  it('leaves out NaN estimates, and says when there are too few estimates', () => {
    const steps = logSteps(30, 3000);
    const kink = Math.log1p(200);
    const y = curve(steps, (x) => (x < kink ? 5 * x : 5 * kink), 0.1, 5);
    y[3] = NaN;
    y[20] = NaN;
    const r = detectStages(steps, y, OPTS);
    expect(r.n).toBe(steps.length - 2);
    expect(r.boundaries).toHaveLength(1);
    expect(detectStages([0, 5], [1, 2], OPTS).note).toMatch(/2 readable LLC estimates: too few/);
    const five = detectStages([0, 1, 2, 5, 9], [1, 2, 3, 2, 1], OPTS);
    expect(five.note).toMatch(/at least 6 are needed/);
    expect(five.boundaries).toEqual([]);
  });

  it('refuses steps that are not increasing', () => {
    expect(() => detectStages([0, 5, 5], [1, 2, 3], OPTS)).toThrow(/steps must be strictly increasing; got 5 then 5/);
  });
});
