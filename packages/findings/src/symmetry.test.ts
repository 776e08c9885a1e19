import { describe, expect, it } from 'vitest';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { row8, symmetryMarkdown, symmetryVsLlc } from './symmetry.ts';

const row = (step: number, llc: number | null, ov0: number, ov1: number, qk0: number, flagged = 0): CheckpointRow =>
  ({
    step,
    llc: llc === null ? {} : { all: { mean: llc, std: llc / 100, se: llc / 200, flagged, n_ok: 4, init_loss: 0.1 } },
    symmetry: { 'L0H0 OV': { t_norm: ov0, ev: 0.5 }, 'L0H1 OV': { t_norm: ov1, ev: 0.5 }, 'L0H0 QK': { t_norm: qk0, ev: 0.5 } },
  }) as unknown as CheckpointRow;
const run = (seed: number, rows: CheckpointRow[]) => ({ experiment: `c-seed=${seed}`, cell: 'c', seed, curve: rows }) as unknown as CompactExperiment;

describe('symmetryVsLlc', () => {
  it('ranks λ̂ against each head’s T_norm and the heads’ mean over the readable checkpoints', () => {
    const a = run(1, [row(0, 400, 0.1, 0.2, 0.5), row(10, 350, 0.2, 0.1, 0.4), row(20, 300, 0.3, 0.4, 0.6), row(30, 250, 0.4, 0.3, 0.3), row(40, 999, 0.9, 0.9, 0.9, 2), row(50, null, 0, 0, 0)]);
    const b = run(2, [row(0, 1, 0, 0, 0), row(10, 2, 0, 0, 0)]); // 2 points: no ρ
    const s = symmetryVsLlc([a, b], 'c')!;
    expect(s.keys).toEqual(['OV', 'QK', 'L0H0 OV', 'L0H0 QK', 'L0H1 OV']);
    expect(s.points).toEqual([4, 2]);
    // λ̂ falls 400 → 250 while head 0's OV T_norm rises 0.1 → 0.4: ρ = −1; the heads' mean 0.15, 0.15, 0.35, 0.35 (ties)
    expect(s.rho[0][2]).toBeCloseTo(-1, 12);
    expect(s.rho[0][0]).toBeCloseTo(-0.8944271909999159, 12);
    expect(s.rho[0][3]).toBeCloseTo(0.4, 12); // QK 0.5, 0.4, 0.6, 0.3: ranks 3, 2, 4, 1 against 4, 3, 2, 1
    expect(s.rho[0][4]).toBeCloseTo(-0.6, 12);
    expect(s.rho[1].every(Number.isNaN)).toBe(true);
    expect(s.summary['L0H0 OV']).toMatchObject({ mean: -1, n: 1 });
    expect(symmetryMarkdown(s)).toContain('| 1 | -0.89 | 0.40 | -1.00 | 0.40 | -0.60 |');
    expect(symmetryVsLlc([a], 'none')).toBeNull();
  });
});

describe('row 8: the structural measure against λ̂ and at the stages', () => {
  // T_norm rises while λ̂ falls (QK in both seeds, OV only in seed 1); overlap and accuracy give the stage markers
  const staged = (seed: number, ovSign: number) => {
    const rows = [0, 10, 20, 30, 40].map((step, i) => ({
      ...row(step, 400 - 50 * i, 0.1 + ovSign * 0.05 * i, 0.1 + ovSign * 0.05 * i, 0.1 + 0.1 * i),
      val_token_acc: i >= 1 ? 0.995 : 0.5,
      overlap: [1, 0.9, 0.85, 0.3, 0.3][i],
      regions: [],
      n_copied: [],
    }));
    return { ...run(seed, rows as CheckpointRow[]), facts: {} } as CompactExperiment;
  };
  it('QK against λ̂ in every seed; OV in one seed only: no consistent relation; T_norm at t_acc99, t_overlap, t_split and the end', () => {
    const r = row8([staged(1, 1), staged(2, -1)], 'c');
    expect(r).toContain('**QK: against λ̂ in every seed; OV: no consistent relation**');
    expect(r).toContain('QK -1.00, -1.00; OV -1.00, 1.00');
    // t_acc99 = step 10 (QK 0.2), t_overlap = 20 (0.3), t_split = 30 (0.4), end 40 (0.5), the same in both seeds
    expect(r).toContain('QK t_acc99 0.20 ± 0.00, t_overlap 0.30 ± 0.00, t_split 0.40 ± 0.00, end 0.50 ± 0.00');
    expect(row8([], 'c')).toContain('**QK: not measured; OV: not measured** | not computed yet');
  });
});
