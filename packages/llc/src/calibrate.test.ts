import { describe, expect, it } from 'vitest';
import { type CalibrationPoint, recommend } from './calibrate.ts';

const pt = (epsilon: number, gamma: number, llc: number, healthy = true): CalibrationPoint => ({
  step: epsilon, epsilon, gamma, spread: null, images: {}, nbeta: 10, llc_mean: llc, llc_std: 0.1, acceptance: 0.9, init_loss: 0.1, loss_rise: 0.1, mixing: 10, flags: [], healthy, flatness: null,
});

describe('calibration recommendation', () => {
  it('picks the healthy point whose λ̂ changes least along ε and γ', () => {
    const cal = recommend([pt(1e-6, 100, 5.0), pt(1e-5, 100, 5.2), pt(1e-4, 100, 9, false), pt(1e-6, 1000, 5.1), pt(1e-5, 1000, 5.15)]);
    expect(cal.recommended).toMatchObject({ epsilon: 1e-5, gamma: 1000 });
    expect(cal.recommended!.flatness).toBeCloseTo(Math.max(0.05 / 5.15, 0.05 / 5.15), 9);
    expect(cal.note).toMatch(/^recommended: ε 1\.00e-5, γ 1000/);
    expect(cal.points[2].flatness).toBeNull();
  });
  it('says when nothing is flat or healthy', () => {
    expect(recommend([pt(1e-6, 100, 1), pt(1e-5, 100, 3)]).note).toMatch(/no flat region in this grid/);
    expect(recommend([pt(1e-6, 100, 1, false)]).note).toMatch(/no healthy setting/);
  });
});

describe('calibration point', () => {
  it('marks settings whose chains are too short to feel the localization (steps · εγ/2 < 3) as unmixed', async () => {
    const { LlcConfigSchema } = await import('./schema.ts');
    const { Rng } = await import('@sortscope/core');
    const { runChain } = await import('./chain.ts');
    const { chainResult, combineChains } = await import('./estimate.ts');
    const { quadratic } = await import('./testing.ts');
    const { calibrationPoint } = await import('./calibrate.ts');
    const est = (draws: number, epsilon: number, gamma: number) => {
      const settings = { sgld: { epsilon, gamma, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws, burnin: 0, stepsBetweenDraws: 1, indices: null };
      return combineChains(0, [0, 1].map((c) => chainResult(c, runChain(quadratic([1, 1]), new Float32Array(2), settings, () => null, Rng.derive(c, 'mix')), 0, 10, 0)));
    };
    const short = calibrationPoint(LlcConfigSchema.parse({ draws: 100, burnin: 0, epsilon: 1e-4, gamma: 100, batch_size: 64 }), est(100, 1e-4, 100));
    expect(short.mixing).toBeCloseTo(0.5, 12);
    expect(short.flags).toContain('unmixed');
    expect(short.healthy).toBe(false);
    const long = calibrationPoint(LlcConfigSchema.parse({ draws: 400, burnin: 0, epsilon: 1e-2, gamma: 10, batch_size: 64 }), est(400, 1e-2, 10));
    expect(long.mixing).toBeCloseTo(20, 12);
    expect(long.flags).not.toContain('unmixed');
  });
});
