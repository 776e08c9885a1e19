import { describe, expect, it } from 'vitest';
import type { CheckpointAnalysis } from './analyse.ts';
import { headLines } from './summary.ts';

describe('headLines', () => {
  it('says why the Toeplitz z is missing instead of printing NaN', () => {
    const spec = { layer: 0, head: 0, convention: 'raw', copies: Uint8Array.from([1, 1, 0]), regions: 1, ablation_loss_increase: 0.5, copy_suppression: 0, copy_suppression_partner: -1 };
    const measure = (ev_z: number) => ({ layer: 0, head: 0, circuit: 'OV', convention: 'raw', all: { t_norm: 0.5, ev: 0.25, ev_z } });
    const a = (z: number) => ({ matrices: [], measures: [measure(z)], specialisation: [spec], attention: [] }) as unknown as CheckpointAnalysis;
    expect(headLines(a(2.5))[0]).toContain('Toeplitz EV 0.250 (z 2.5)');
    const degenerate = headLines(a(Number.NaN))[0];
    expect(degenerate).toContain('z –: its permutation baseline has no spread');
    expect(degenerate).not.toMatch(/NaN/);
  });
});
