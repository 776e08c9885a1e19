import { describe, expect, it } from 'vitest';
import { newtonDecrement } from './decrement.ts';

/** H = diag(h) */
const diag = (h: number[]) => (v: Float64Array) => Float64Array.from(v, (x, i) => h[i] * x);

describe('newtonDecrement', () => {
  it('is ½·nβ·Σ g_i² / (h_i + γ/nβ) on a diagonal quadratic', () => {
    const h = [10, 1, 0.1, 0.01, 0];
    const g = Float64Array.from([0.3, -0.2, 0.1, 0.05, 0.02]);
    const nbeta = 1000;
    const gamma = 20;
    const exact = 0.5 * nbeta * h.reduce((s, hi, i) => s + g[i] ** 2 / (hi + gamma / nbeta), 0);
    const d = newtonDecrement(g, diag(h), nbeta, gamma, { tolerance: 1e-10 });
    expect(d.converged).toBe(true);
    expect(d.decrement).toBeCloseTo(exact, 8);
    expect(d.negative_curvature).toBe(false);
  });

  it('is 0 at a minimum and a lower bound when truncated', () => {
    expect(newtonDecrement(new Float64Array(3), diag([1, 2, 3]), 10, 1).decrement).toBe(0);
    const h = Array.from({ length: 50 }, (_, i) => 10 ** (-i / 10));
    const g = Float64Array.from(h, () => 1);
    const full = newtonDecrement(g, diag(h), 100, 1, { tolerance: 1e-12, iterations: 200 }).decrement;
    const cut = newtonDecrement(g, diag(h), 100, 1, { iterations: 3 });
    expect(cut.converged).toBe(false);
    expect(cut.decrement).toBeLessThan(full);
    expect(cut.decrement).toBeGreaterThan(0);
  });

  it('stops at negative curvature stronger than γ/nβ with the bound reached so far', () => {
    const d = newtonDecrement(Float64Array.from([1, 0, 1]), diag([1, 2, -0.5]), 100, 1);
    expect(d.negative_curvature).toBe(true);
    expect(d.converged).toBe(false);
    expect(d.decrement).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(d.decrement)).toBe(true);
    // the same curvature is held when γ/nβ exceeds it
    expect(newtonDecrement(Float64Array.from([1, 1]), diag([1, -0.5]), 1, 1).negative_curvature).toBe(false);
  });
});
