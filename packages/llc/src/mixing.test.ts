/**
 * The mixing bound on a quadratic potential, where SGLD's moments are known exactly: along a
 * direction of curvature k = nβh + γ, one step maps the variance v to (1 − εk/2)²·v + ε.
 */
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { firstUsed } from './convergence.ts';
import { LlcConfigSchema } from './schema.ts';
import { effectiveBurnin, MAX_BURNIN_FACTOR, mixingAtFirstRead, mixingDeficitBound, mixingOfEstimate } from './mixing.ts';
import { drift, sgldStep } from './sgld.ts';

/** E[λ̂] over the draws [first_used, N) and at equilibrium, for SGLD started at the minimum of U = Σ (nβh_i + γ)/2·x_i² */
function expectedLlc(h: number[], nbeta: number, gamma: number, epsilon: number, burnin: number, draws: number) {
  let windowed = 0;
  let equilibrium = 0;
  const first = firstUsed(draws);
  for (const hi of h) {
    const k = nbeta * hi + gamma;
    const a = (1 - (epsilon * k) / 2) ** 2;
    equilibrium += ((nbeta * hi) / 2) * (epsilon / (1 - a));
    let v = 0;
    let sum = 0;
    for (let s = 1; s <= burnin + draws; s++) {
      v = a * v + epsilon;
      if (s > burnin + first) sum += v; // draw d (0-based) is taken after step burnin + d + 1
    }
    windowed += ((nbeta * hi) / 2) * (sum / (draws - first));
  }
  return { windowed, equilibrium };
}

describe('mixingAtFirstRead', () => {
  const base = { epsilon: 1.775e-7, gamma: 10_000, draws: 3000, burnin: 500, steps_between_draws: 1, window: 'last-half' as const };

  it('is S·εγ/2 at the first draw read: the ARENA default (2 rounds of 1,500 draws) has m ≈ 1.78', () => {
    expect(mixingAtFirstRead(base)).toBeCloseTo((2000 * 1.775e-7 * 10_000) / 2, 12);
    expect(mixingAtFirstRead({ ...base, steps_between_draws: 3 })).toBeCloseTo(((500 + 1500 * 3) * 1.775e-3) / 2, 12);
    expect(mixingAtFirstRead({ ...base, window: 'all' })).toBeCloseTo((500 * 1.775e-3) / 2, 12);
  });

  it('is null where one ε does not hold for every coordinate, or an input is missing', () => {
    expect(mixingAtFirstRead({ ...base, preconditioner: 'rmsprop' })).toBeNull();
    expect(mixingAtFirstRead({ ...base, preconditioner: 'none' })).not.toBeNull();
    expect(mixingAtFirstRead({ ...base, epsilon: Number.NaN })).toBeNull();
    expect(mixingAtFirstRead({ ...base, draws: -1 })).toBeNull();
    expect(mixingAtFirstRead({ ...base, draws: -1, window: 'all' })).toBeCloseTo((500 * 1.775e-3) / 2, 12); // reads every draw: the count does not matter
  });

  it('mixingOfEstimate takes the window from the method: canonical reads the last half, sgld (devinterp) every draw', () => {
    const row = { epsilon: 1e-3, gamma: 100, draws: 200, preconditioner: 'none' };
    expect(mixingOfEstimate({ burnin: 100, steps_between_draws: 1 }, row)).toBeCloseTo((200 * 0.1) / 2, 12);
    expect(mixingOfEstimate({ method: 'canonical', burnin: 100, steps_between_draws: 1 }, row)).toBeCloseTo((200 * 0.1) / 2, 12);
    expect(mixingOfEstimate({ method: 'sgld', burnin: 100, steps_between_draws: 1 }, row)).toBeCloseTo((100 * 0.1) / 2, 12);
    expect(mixingOfEstimate({ burnin: 100, steps_between_draws: 1 }, { ...row, method: 'sgld' })).toBeCloseTo((100 * 0.1) / 2, 12); // the row's method first
  });
});

describe('mixingDeficitBound', () => {
  // a spectrum like a trained transformer's: a few stiff directions, many the loss barely holds
  const nbeta = 1e5;
  const gamma = 1e4;
  const h = [8, 3, 1, 0.5, 0.2, ...Array.from({ length: 40 }, (_, i) => 0.1 * 0.8 ** i), ...Array(200).fill(1e-4)];
  const epsLimit = 4 / (nbeta * 8 + gamma);

  it('bounds the shortfall of E[λ̂] from its equilibrium, at every chain length', () => {
    for (const draws of [50, 200, 1000, 3000, 12_000]) {
      for (const fraction of [0.05, 0.2]) {
        const epsilon = fraction * epsLimit;
        const m = mixingAtFirstRead({ epsilon, gamma, draws, burnin: 500, steps_between_draws: 1, window: 'last-half' })!;
        const { windowed, equilibrium } = expectedLlc(h, nbeta, gamma, epsilon, 500, draws);
        const shortfall = 1 - windowed / equilibrium;
        expect(shortfall).toBeGreaterThanOrEqual(0);
        expect(shortfall).toBeLessThanOrEqual(mixingDeficitBound(m) + 1e-9); // + rounding of the sums
      }
    }
  });

  it('is nearly reached when only the localization holds the chains, so it cannot be tightened', () => {
    const soft = Array(100).fill(1e-6); // nβh = 0.1 ≪ γ
    const epsilon = 1e-6;
    const m = mixingAtFirstRead({ epsilon, gamma, draws: 20, burnin: 40, steps_between_draws: 1, window: 'last-half' })!; // 0.25
    const { windowed, equilibrium } = expectedLlc(soft, nbeta, gamma, epsilon, 40, 20);
    expect(1 - windowed / equilibrium).toBeGreaterThan(0.7 * mixingDeficitBound(m));
  });

  it('a stiff direction makes ε tiny and m with it: λ̂ is then stable and far from equilibrium', () => {
    const stiff = [1e8, ...h]; // one direction 10⁷ times stiffer than the rest (the no-LayerNorm runs)
    const epsilon = 0.05 * (4 / (nbeta * 1e8 + gamma));
    const m = mixingAtFirstRead({ epsilon, gamma, draws: 3000, burnin: 500, steps_between_draws: 1, window: 'last-half' })!;
    expect(m).toBeLessThan(1e-6);
    const { windowed, equilibrium } = expectedLlc(stiff, nbeta, gamma, epsilon, 500, 3000);
    const longer = expectedLlc(stiff, nbeta, gamma, epsilon, 500, 12_000).windowed;
    expect(Math.abs(longer / windowed - 1)).toBeLessThan(0.01); // 4× longer chains: λ̂ does not move…
    expect(1 - windowed / equilibrium).toBeGreaterThan(0.4); // …yet it is far from its equilibrium value
  });

  it('the recursion is what sgldStep does: Monte Carlo over 4,000 coordinates agrees with it', () => {
    const p = { epsilon: 0.002, gamma: 50, nbeta: 100, weight_decay: 0, noise_level: 1 };
    const n = 4000;
    const hi = 0.5; // k = 100: εk/2 = 0.1
    const w0 = new Float32Array(n);
    const w = new Float32Array(n);
    const grad = new Float32Array(n);
    const g = new Float64Array(n);
    const rng = Rng.derive(7, 'mixing');
    for (let s = 0; s < 15; s++) {
      for (let i = 0; i < n; i++) grad[i] = hi * w[i];
      drift(p, w, w0, grad, null, g);
      sgldStep(p, w, g, null, rng);
    }
    let v = 0;
    for (let s = 0; s < 15; s++) v = (1 - (p.epsilon * (p.nbeta * hi + p.gamma)) / 2) ** 2 * v + p.epsilon;
    let s2 = 0;
    for (let i = 0; i < n; i++) s2 += w[i] * w[i];
    expect(s2 / n / v).toBeGreaterThan(0.94); // the sample variance of 4,000 draws is within ±4.5% (2 SE)
    expect(s2 / n / v).toBeLessThan(1.06);
  });
});

describe('effectiveBurnin (min_mixing)', () => {
  const c = { burnin: 500, steps_between_draws: 1, draws: 1500 };
  const m = (b: number, eps: number) => mixingAtFirstRead({ epsilon: eps, gamma: 10_000, draws: 1500, burnin: b, steps_between_draws: 1, window: 'last-half' })!;

  it('is the configured burn-in without min_mixing (a config recorded before llc 7) or with 0, for sgld and with a preconditioner', () => {
    expect(effectiveBurnin(c, 1e-9, 10_000)).toBe(500);
    expect(effectiveBurnin({ ...c, min_mixing: 0 }, 1e-9, 10_000)).toBe(500);
    expect(effectiveBurnin({ ...c, min_mixing: 1.15, method: 'sgld' }, 1e-9, 10_000)).toBe(500);
    expect(effectiveBurnin({ ...c, min_mixing: 1.15, preconditioner: 'rmsprop' }, 1e-9, 10_000)).toBe(500);
    expect(effectiveBurnin({ ...c, min_mixing: 1.15 }, Number.NaN, 10_000)).toBe(500);
  });

  it('is the least burn-in that reaches m ≥ min_mixing, never below the configured one', () => {
    expect(effectiveBurnin({ ...c, min_mixing: 1.15 }, 1e-6, 10_000)).toBe(500); // m 6.25 already
    for (const eps of [1.8e-7, 5.29e-8, 1e-7]) {
      const b = effectiveBurnin({ ...c, min_mixing: 1.15 }, eps, 10_000);
      expect(b).toBeGreaterThan(500);
      expect(m(b, eps)).toBeGreaterThanOrEqual(1.15);
      expect(m(b - 1, eps)).toBeLessThan(1.15);
    }
  });

  it('stops at MAX_BURNIN_FACTOR × max_draws steps: a no-LayerNorm ε (2e-14) would need 10¹⁰', () => {
    expect(effectiveBurnin({ ...c, min_mixing: 1.15 }, 2e-14, 10_000)).toBe(MAX_BURNIN_FACTOR * 8 * 1500);
    expect(effectiveBurnin({ ...c, max_draws: 3000, steps_between_draws: 2, min_mixing: 1.15 }, 2e-14, 10_000)).toBe(MAX_BURNIN_FACTOR * 3000 * 2);
  });

  it('mixingOfEstimate recomputes the burn-in the chains ran from the recorded config, ε and γ', () => {
    const row = { epsilon: 5.29e-8, gamma: 10_000, draws: 1500, preconditioner: 'none' };
    const got = mixingOfEstimate({ ...c, min_mixing: 1.15 }, row)!;
    expect(got).toBeCloseTo(m(effectiveBurnin({ ...c, min_mixing: 1.15 }, 5.29e-8, 10_000), 5.29e-8), 12);
    expect(got).toBeGreaterThanOrEqual(1.15);
    expect(mixingOfEstimate(c, row)).toBeCloseTo(m(500, 5.29e-8), 12);
  });
});

describe('the min_mixing option', () => {
  it('is 1.2 by default since llc 7 (readers require 1.152), 0 turns it off, and a negative value is refused naming the field', () => {
    expect(LlcConfigSchema.parse({}).min_mixing).toBe(1.2);
    expect(LlcConfigSchema.parse({ min_mixing: 0 }).min_mixing).toBe(0);
    const bad = LlcConfigSchema.safeParse({ min_mixing: -1 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['min_mixing']);
  });
});
