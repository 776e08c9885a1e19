import { describe, expect, it } from 'vitest';
import { CHAIN_SPREAD, MIN_MIXING_READ, readableEstimate, unreadableReason } from './readable.ts';

describe('readableEstimate', () => {
  it('reads a positive λ̂ with no flagged chain and agreeing chains', () => {
    expect(readableEstimate({ mean: 236, std: 1.9, flagged: 0 })).toBe(true);
    expect(unreadableReason({ mean: 236, std: 1.9, flagged: 0 })).toBeNull();
  });

  it('refuses a non-finite λ̂, a flagged chain and λ̂ ≤ 0, each with its reason', () => {
    expect(unreadableReason({ mean: Number.NaN, std: 1, flagged: 0 })).toBe('λ̂ not finite');
    expect(unreadableReason({ mean: 200, std: 1, flagged: 1 })).toBe('1 chain flagged');
    expect(unreadableReason({ mean: 200, std: 1, flagged: 3 })).toBe('3 chains flagged');
    expect(unreadableReason({ mean: -5, std: 1, flagged: 0 })).toBe('λ̂ -5.000 ≤ 0');
    expect(unreadableReason({ mean: 0, std: 0, flagged: 0 })).toBe('λ̂ 0.000 ≤ 0');
  });

  it('refuses chains that disagree: the long no-weight-decay estimates of the claims study', () => {
    // llc 6, long-noWD/epochs100 seeds 3 and 2 at step 7,325: unflagged, yet the chains span 136 to 2,301
    expect(unreadableReason({ mean: 1156.69, std: 983.943, flagged: 0 })).toBe('chains disagree (std 984 = 85% of λ̂ > 20%)');
    expect(readableEstimate({ mean: 1.89424, std: 0.710916, flagged: 0 })).toBe(false);
    // the widest spread among the study's other unflagged estimates (0.067 of λ̂) stays readable
    expect(readableEstimate({ mean: 119.964, std: 8.09368, flagged: 0 })).toBe(true);
  });

  it('puts the boundary at CHAIN_SPREAD · λ̂, scale-free', () => {
    for (const mean of [0.01, 1, 250, 1e6]) {
      expect(readableEstimate({ mean, std: CHAIN_SPREAD * mean * 0.999, flagged: 0 })).toBe(true);
      expect(readableEstimate({ mean, std: CHAIN_SPREAD * mean * 1.001, flagged: 0 })).toBe(false);
    }
  });

  it('judges no spread where there is none to judge (one chain, or std unknown)', () => {
    expect(readableEstimate({ mean: 50, std: null, flagged: 0 })).toBe(true);
    expect(readableEstimate({ mean: 50, std: Number.NaN, flagged: 0 })).toBe(true);
    expect(readableEstimate({ mean: 50, flagged: 0 })).toBe(true);
  });
});

describe('readableEstimate: mixing', () => {
  it('refuses chains that had not relaxed when λ̂ started reading them (m < ln 10 / 2: more than 10% may be missing)', () => {
    expect(MIN_MIXING_READ).toBeCloseTo(Math.log(10) / 2, 15);
    expect(Math.exp(-2 * MIN_MIXING_READ)).toBeCloseTo(0.1, 15);
    expect(readableEstimate({ mean: 236, std: 1.9, flagged: 0, mixing: 1.775 })).toBe(true); // the ARENA default
    expect(readableEstimate({ mean: 236, std: 1.9, flagged: 0, mixing: MIN_MIXING_READ * 1.001 })).toBe(true);
    expect(unreadableReason({ mean: 2367, std: 73, flagged: 0, mixing: 3e-7 })).toBe('chains not relaxed (m = S·εγ/2 3.0e-7 < 1.15: up to 100% of λ̂ may be missing)');
    expect(unreadableReason({ mean: 236, std: 1.9, flagged: 0, mixing: 0.5 })).toBe('chains not relaxed (m = S·εγ/2 0.50 < 1.15: up to 37% of λ̂ may be missing)');
  });

  it('judges no mixing where m is unknown (preconditioned chains; compact results saved before m was recorded)', () => {
    expect(readableEstimate({ mean: 236, std: 1.9, flagged: 0, mixing: null })).toBe(true);
    expect(readableEstimate({ mean: 236, std: 1.9, flagged: 0, mixing: Number.NaN })).toBe(true);
  });
});
