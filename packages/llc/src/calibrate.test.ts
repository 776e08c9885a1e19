import { describe, expect, it } from 'vitest';
import { type CalibrationPoint, recommend } from './calibrate.ts';

const pt = (epsilon: number, gamma: number, llc: number, healthy = true): CalibrationPoint => ({
  epsilon, gamma, nbeta: 10, llc_mean: llc, llc_std: 0.1, acceptance: 0.9, init_loss: 0.1, loss_rise: 0.1, flags: [], healthy, flatness: null,
});

describe('calibration recommendation', () => {
  it('picks the healthy point whose λ̂ changes least along ε and γ', () => {
    const cal = recommend([pt(1e-6, 100, 5.0), pt(1e-5, 100, 5.2), pt(1e-4, 100, 9, false), pt(1e-6, 1000, 5.1), pt(1e-5, 1000, 5.15)]);
    expect(cal.recommended).toMatchObject({ epsilon: 1e-5, gamma: 1000 });
    expect(cal.recommended!.flatness).toBeCloseTo(Math.max(0.05 / 5.15, 0.05 / 5.15), 9);
    expect(cal.note).toMatch(/^recommended: ε 0.00001, γ 1000/);
    expect(cal.points[2].flatness).toBeNull();
  });
  it('says when nothing is flat or healthy', () => {
    expect(recommend([pt(1e-6, 100, 1), pt(1e-5, 100, 3)]).note).toMatch(/no flat region in this grid/);
    expect(recommend([pt(1e-6, 100, 1, false)]).note).toMatch(/no healthy setting/);
  });
});
