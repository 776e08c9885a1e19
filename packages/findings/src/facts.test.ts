import { describe, expect, it } from 'vitest';
import type { LoadedExperiment } from '@sortscope/report';
import { compactExperiment } from './data.ts';
import { curveMarkdown, experimentCurve, experimentFacts, factsMarkdown, firstAtLeast, nearest, splitStep } from './facts.ts';

const c = (...v: number[]) => Int32Array.from(v);

describe('findings', () => {
  it('t_split is where the copier assignment stops moving (≥ 90% agreement with the end from then on)', () => {
    const steps = [0, 10, 20, 30, 40];
    // 10 tokens; final split: 0-4 → head 0, 5-9 → head 1
    const final = c(0, 0, 0, 0, 0, 1, 1, 1, 1, 1);
    const nine = c(0, 0, 0, 0, 1, 1, 1, 1, 1, 1); // 9/10 agree
    const eight = c(0, 0, 0, 1, 1, 1, 1, 1, 1, 1); // 8/10
    expect(splitStep(steps, [eight, nine, eight, nine, final])).toBe(30); // a relapse at 20 resets it
    expect(splitStep(steps, [nine, nine, nine, nine, final])).toBe(0);
    expect(splitStep(steps, [eight, eight, eight, eight, final])).toBe(40);
    expect(splitStep([], [])).toBeNull();
  });

  it('nearest and firstAtLeast', () => {
    expect(nearest([0, 10, 30], [1, 2, 3], 19)).toBe(2);
    expect(nearest([0, 10, 30], [1, 2, 3], 21)).toBe(3);
    expect(nearest([0, 10, 30], [1, 2, 3], 20)).toBe(2); // a tie goes to the earlier
    expect(nearest([], [], 5)).toBeNull();
    expect(firstAtLeast([0.5, NaN, 0.991, 0.98, 0.995], 0.99)).toBe(2);
    expect(firstAtLeast([0.5], 0.99)).toBe(-1);
  });

  it('reads an experiment: accuracy time, split, the LLC peak, drop and flags, the heads at the end', () => {
    const copies = (bits: number[]) => Uint8Array.from(bits);
    const spec = (step: number, head: number, bits: number[]) => ({ step, layer: 0, head, copies: copies(bits), n_copied: bits.filter(Boolean).length, regions: 1, ablation_loss_increase: 0.5 + head, copy_suppression: 0.1 });
    const measure = (step: number, head: number, circuit: string, ev_z: number) => ({ step, layer: 0, head, circuit, all: { ev_z, t_norm: 0.2 } });
    const e = {
      name: 'x',
      train: {
        checkpoints: { step: [0, 10, 20], validation_token_accuracy: [0.1, 0.995, 0.999], validation_loss: [4, 0.1, 0.05], train_loss: [4, 0.1, 0.06] },
        final_validation: null,
        bayes: { mean: 0 },
      },
      circuits: {
        specialisation: [spec(0, 0, [1, 1, 1, 1]), spec(0, 1, [0, 0, 0, 0]), spec(10, 0, [1, 1, 0, 0]), spec(10, 1, [0, 0, 1, 1]), spec(20, 0, [1, 1, 0, 0]), spec(20, 1, [0, 0, 1, 1])],
        measures: [measure(20, 0, 'QK', 50), measure(20, 1, 'QK', 60), measure(20, 0, 'OV', 5), measure(20, 1, 'OV', 6)],
      },
      llc: {
        estimates: [
          { step: 0, target: 'all', llc_mean: 1, llc_std: 0.1, flagged_chains: 1 },
          { step: 20, target: 'all', llc_mean: 3, llc_std: 0.3, flagged_chains: 1 },
          { step: 10, target: 'all', llc_mean: 4, llc_std: 0.2, flagged_chains: 0 },
          { step: 20, target: 'head:0.0', llc_mean: 99 },
        ],
        chains: [
          { step: 0, target: 'all', chain: 0, flags: ['negative'] },
          { step: 10, target: 'all', chain: 0, flags: [] },
          { step: 20, target: 'all', chain: 0, flags: ['not_flat', 'negative'] },
        ],
      },
    } as unknown as LoadedExperiment;
    const f = experimentFacts(e);
    expect(f).toMatchObject({ final_step: 20, t_acc99: 10, t_split: 10, llc_peak: 4, llc_peak_step: 10, llc_at_split: 4, llc_final: 3, llc_flagged: 2, llc_chains: 3, llc_flags: { negative: 2, not_flat: 1 }, val_loss: 0.05, bayes: 0 });
    expect(f.llc_drop).toBeCloseTo(0.25, 12);
    expect(f.heads.map((h) => [h.head, h.n_copied, h.qk_ev_z, h.ablation])).toEqual([['L0H0', 2, 50, 0.5], ['L0H1', 2, 60, 1.5]]);
    expect(experimentCurve(e)).toEqual([
      { step: 0, val_loss: 4, val_token_acc: 0.1, split_agreement: 0.5, llc: 1, llc_std: 0.1, flagged: 1 },
      { step: 10, val_loss: 0.1, val_token_acc: 0.995, split_agreement: 1, llc: 4, llc_std: 0.2, flagged: 0 },
      { step: 20, val_loss: 0.05, val_token_acc: 0.999, split_agreement: 1, llc: 3, llc_std: 0.3, flagged: 1 },
    ]);
    expect(curveMarkdown('x', experimentCurve(e))).toMatch(/\| 10 \| 0\.1 \| 0\.995 \| 1 \| 4 \| 0\.2 \| 0 \|/);
    const md = factsMarkdown([f]);
    expect(md).toMatch(/\| x \| 20 \| 0 \| 0\.05 \| .* \| 10 \| 10 \| 4 \(10\) \| 4 \| 3 \| 25% \| 2\/3 \(negative 2, not_flat 1\) \|/);
    expect(md).toMatch(/\| x \| L0H1 \| 2 \| 1 \| 1\.5 \| 0\.1 \| 60 \| 0\.2 \| 0\.2 \|/);
  });

  it("the compact curve carries the authors' T_norm and the Toeplitz EV per head and circuit (not QK_pos)", () => {
    const m = (step: number, head: number, circuit: string, t_norm: number, ev: number) => ({ step, layer: 0, head, circuit, all: { t_norm, ev } });
    const e = {
      name: 'x',
      train: { checkpoints: { step: [0, 10] } },
      circuits: { specialisation: [], measures: [m(10, 0, 'QK', 0.2, 0.8), m(10, 1, 'OV', -0.1, NaN), m(10, 0, 'QK_pos', 9, 9)] },
      llc: null,
    } as unknown as LoadedExperiment;
    const rows = compactExperiment(e).curve;
    expect(rows.map((r) => r.step)).toEqual([0, 10]);
    expect(rows[1].symmetry).toEqual({ 'L0H0 QK': { t_norm: 0.2, ev: 0.8 }, 'L0H1 OV': { t_norm: -0.1, ev: null } });
    expect(rows[0].symmetry).toEqual({});
  });
});
