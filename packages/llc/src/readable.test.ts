import { describe, expect, it } from 'vitest';
import { CHAIN_SPREAD, MAX_RELAX_HEIGHT, MIN_MIXING_READ, readableEstimate, relaxHeight, relaxHeights, unreadableReason } from './readable.ts';

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

describe('readableEstimate: relaxation height', () => {
  const nbeta = 125856; // T·n/ln n of the claims study's training set

  it('h = nβ·(L(w0) − L(w*)) / λ̂_all, from the study’s own relaxations', () => {
    // llc 7, replacement k 1 p 0.25 seed 3, step 7,325: a trained checkpoint, relaxed in 3 Newton steps
    expect(relaxHeight(nbeta, 0.2803, 0.273, 288.6)).toBeCloseTo((nbeta * 0.0073) / 288.6, 12);
    expect(readableEstimate({ mean: 288.6, std: 4, flagged: 0, height: relaxHeight(nbeta, 0.2803, 0.273, 288.6) })).toBe(true);
    // llc 6.1, baseline at γ 10⁵, step 0: the loss fell 4.2832 → 3.8830 to a point 785 λ̂ below the checkpoint
    const h0 = relaxHeight(nbeta, 4.2832, 3.883, 64.1)!;
    expect(h0).toBeGreaterThan(780);
    expect(unreadableReason({ mean: 64.1, std: 1, flagged: 0, height: h0 })).toBe(
      `checkpoint far above the point measured (the relaxation lowered nβ·L by ${h0.toPrecision(3)} λ̂ > 30 λ̂: a minimum the checkpoint has not reached)`,
    );
    // the quick study's step 59 under llc 6.1: loss 0.8584 → 0.3707, λ̂ 609: h ≈ 101
    expect(readableEstimate({ mean: 609.4, std: 5, flagged: 0, height: relaxHeight(nbeta, 0.8584, 0.3707, 609.4) })).toBe(false);
  });

  it('puts the boundary at MAX_RELAX_HEIGHT λ̂, whatever the scale of λ̂', () => {
    for (const mean of [1, 300, 1e5]) {
      expect(readableEstimate({ mean, std: 0, flagged: 0, height: MAX_RELAX_HEIGHT * 0.999 })).toBe(true);
      expect(readableEstimate({ mean, std: 0, flagged: 0, height: MAX_RELAX_HEIGHT * 1.001 })).toBe(false);
    }
  });

  it('is unknown, not judged, without a relaxation or a positive whole-model λ̂', () => {
    expect(relaxHeight(nbeta, null, null, 300)).toBeNull();
    expect(relaxHeight(nbeta, Number.NaN, Number.NaN, 300)).toBeNull(); // a null column read back as NaN
    expect(relaxHeight(nbeta, 4.28, 3.88, undefined)).toBeNull();
    expect(relaxHeight(nbeta, 4.28, 3.88, -518)).toBeNull(); // λ̂ ≤ 0 is refused by its own rule
    expect(readableEstimate({ mean: 300, std: 1, flagged: 0, height: null })).toBe(true);
  });

  it('judges a head by the whole model’s λ̂ at its step and γ, since the relaxation is shared', () => {
    const row = (target: string, step: number, gamma: number, llc_mean: number) => ({ step, target, gamma, nbeta, llc_mean, loss_checkpoint: 0.07, loss_relaxed: 0.05 });
    const rows = [row('all', 196, 10000, 300), row('L0H0', 196, 10000, 60), row('all', 196, 100000, 100), row('L0H0', 366, 10000, 50)];
    const h = relaxHeights(rows);
    expect(h(rows[0])).toBeCloseTo((nbeta * 0.02) / 300, 9);
    expect(h(rows[1])).toBeCloseTo((nbeta * 0.02) / 300, 9); // not / 60
    expect(h(rows[2])).toBeCloseTo((nbeta * 0.02) / 100, 9); // its own γ's whole-model λ̂
    expect(h(rows[3])).toBeNull(); // no whole-model estimate at step 366
  });
});
