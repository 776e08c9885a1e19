import { describe, expect, it } from 'vitest';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { matchedLoss, spearman, spearmanP } from './matched-loss.ts';

describe('Spearman with an exact permutation p', () => {
  it('known values', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7.5])).toBeCloseTo(0.9, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 2], [1, 2, 3])).toBeCloseTo(0.8660254037844387, 12); // mid-ranks
    // n = 4: a perfect ordering happens in 2 of 24 pairings (either direction)
    expect(spearmanP([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(2 / 24, 12);
    // n = 6: ρ = 1 in 2 of 720
    expect(spearmanP([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])).toBeCloseTo(2 / 720, 12);
    expect(spearmanP([1, 2, 3, 4, 5, 6], [3, 1, 5, 2, 6, 4])).toBeGreaterThan(0.2);
  });
});

const run = (seed: number, overlap: number, llc: number, loss: number, flagged = 0): CompactExperiment =>
  ({
    experiment: `m-seed=${seed}`,
    cell: 'm',
    seed,
    facts: {},
    behaviour: null,
    curve: [
      { step: 0, overlap: 0.5, llc: {} },
      { step: 5000 + seed, overlap, llc: { all: { mean: llc, std: 1, se: 1, flagged, n_ok: 4, init_loss: loss } } },
    ] as unknown as CheckpointRow[],
  }) as unknown as CompactExperiment;

describe('matchedLoss', () => {
  it('ranks overlap against λ̂ over the readable seeds and states the loss gap in λ̂ units', () => {
    const ex = [run(1, 0.3, 180, 1.58), run(2, 0.6, 220, 1.585), run(3, 0.7, 260, 1.589), run(4, 0.4, 190, 1.587), run(5, 0.5, 200, 1.582), run(6, 0.9, 300, 1.5899), run(7, 0.2, 999, 1.5, 1)];
    const m = matchedLoss(ex, 'm', 125_860)!;
    expect(m.seeds).toEqual([1, 2, 3, 4, 5, 6]); // seed 7 flagged
    expect(m.steps).toEqual([5001, 5002, 5003, 5004, 5005, 5006]);
    expect(m.rho).toBeCloseTo(1, 12);
    expect(m.p).toBeCloseTo(2 / 720, 12);
    expect(m.verdict).toBe('reproduced');
    expect(m.nbeta_dloss).toBeCloseTo(125_860 * 0.0099, 6);
    // free energy in λ̂ units relative to the lowest: nβ·(L − 1.58) + λ̂ − min; seed 1 (180 + 0) is the lowest
    expect(m.free[0]).toBe(0);
    expect(m.free[5]).toBeCloseTo(125_860 * 0.0099 + 300 - 180, 6);
    // F follows the losses (ranks 1, 3, 5, 4, 2, 6 against the overlap's 1, 4, 5, 2, 3, 6): ρ = 1 − 6·6/(6·35)
    expect(m.free_rho).toBeCloseTo(29 / 35, 12);
    expect(m.free_verdict).toBe(m.free_p < 0.05 ? 'reproduced' : 'not reproduced in the range tried');
    // λ̂ ordered with the overlap, the losses against it by more than λ̂'s spread: the free energy says the opposite
    const against = matchedLoss([0.3, 0.6, 0.7, 0.4, 0.5].map((o, i) => run(i + 1, o, 200 + 10 * i, 1.6 - o / 100)), 'm', 125_860)!;
    expect(against.verdict).toBe('not reproduced in the range tried'); // λ̂ 200..240 in seed order, ρ 0.3
    expect(against.free_rho).toBeCloseTo(-1, 12);
    expect(against.free_p).toBeCloseTo(2 / 120, 12);
    expect(against.free_verdict).toBe('contradicted');
    const flipped = matchedLoss(ex.map((e, i) => (i < 6 ? run(i + 1, 1 - [0.3, 0.6, 0.7, 0.4, 0.5, 0.9][i], [180, 220, 260, 190, 200, 300][i], 1.58) : e)), 'm', 1)!;
    expect(flipped.verdict).toBe('contradicted');
    expect(matchedLoss(ex.slice(0, 3), 'm', 1)!.verdict).toBe('not measured');
    expect(matchedLoss(ex, 'none', 1)).toBeNull();
  });
});
