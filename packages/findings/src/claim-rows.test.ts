import { describe, expect, it } from 'vitest';
import type { CalibrationPoint } from './behaviour.ts';
import { row1f, row3b, row4, row5, row6a, row7 } from './claim-rows.ts';
import type { CompactExperiment } from './data.ts';
import { llcRow } from './testing.ts';

const pt = (overconfidence: number, confidence_wrong: number, ece: number, removed_logit?: number): CalibrationPoint => ({ loss: 0.04, accuracy: 0.99, ece, overconfidence, confidence_wrong, entropy: 0.2, ...(removed_logit === undefined ? {} : { removed_logit }) });
const run = (seed: number, clean: CalibrationPoint, h0: CalibrationPoint, h1: CalibrationPoint) =>
  ({
    cell: 'baseline/gamma10000',
    seed,
    curve: [],
    behaviour: { calibration: { rows: 500, steps: [7325], clean: [clean], suppression_removed: [{ head: 0, sources: 'all', points: [h0] }, { head: 0, sources: 'inputs', points: [pt(9, 9, 9, 99)] }, { head: 1, sources: 'all', points: [h1] }] } },
  }) as unknown as CompactExperiment;

describe('claims rows 3b, 4, 5', () => {
  it('row 4 pairs the overconfidence with and without the suppressor (the head with the most logit added back, all sources)', () => {
    const ex = [
      run(1, pt(-0.03, 0.4, 0.03), pt(-0.012, 0.83, 0.013, 5.6), pt(-0.029, 0.41, 0.03, 0.2)),
      run(2, pt(-0.02, 0.3, 0.02), pt(-0.019, 0.5, 0.019, 0.3), pt(0.0, 0.8, 0.01, 4.0)), // head 1 is seed 2's suppressor
      run(3, pt(-0.04, 0.35, 0.04), pt(-0.021, 0.7, 0.02, 6.0), pt(-0.04, 0.3, 0.04, 0.1)),
    ];
    const r = row4(ex);
    expect(r).toContain('the suppressor (s1: L0H0, s2: L0H1, s3: L0H0; 5.6, 4, 6 logit added back per token) removed, n 3');
    expect(r).toContain('Δ overconfidence 0.019 ± 0.001 (t 32.9, up)'); // +0.018, +0.020, +0.019
    expect(r).toContain('**reproduced**');
    const lessConfident = [1, 2, 3].map((seed) => run(seed, pt(0.02 + seed / 1000, 0.5, 0.02), pt(0.01, 0.4, 0.01, 5), pt(0.02, 0.5, 0.02, 0.1)));
    expect(row4(lessConfident)).toContain('**contradicted**');
    expect(row4([])).toContain('**not measured** | not computed yet');
    // over training: at each step the suppressor is that step's (the most logit added back)
    const two = (seed: number) =>
      ({
        cell: 'baseline/gamma10000',
        seed,
        curve: [],
        behaviour: { calibration: { rows: 500, steps: [196, 7325], clean: [pt(0, 0.5, 0.02), pt(0.01, 0.5, 0.02)], suppression_removed: [{ head: 0, sources: 'all', points: [pt(0.001, 0.5, 0.02, 0.1), pt(0.02, 0.6, 0.02, 5)] }, { head: 1, sources: 'all', points: [pt(0.003, 0.5, 0.02, 0.2), pt(0.5, 0.6, 0.02, 0.1)] }] } },
      }) as unknown as CompactExperiment;
    expect(row4([two(1), two(2)])).toContain('over training, Δ overconfidence (mean over seeds, that step\'s suppressor removed) 196: 0.003 (n 2), 7325: 0.01 (n 2)');
    expect(row4(ex)).not.toContain('over training');
  });
  it('rows 3b and 5 say what is not computed yet', () => {
    expect(row3b([])).toContain('**not measured** | end: not computed yet; at 7,325: not computed yet');
    expect(row5([])).toContain('**not measured** | not computed yet');
    expect(row6a([])).toContain('**not measured** | not computed yet');
    expect(row7([])).toContain('**not measured** | not computed yet');
    expect(row1f([])).toContain('**not measured** | not computed yet');
    const dv = (seed: number, m: number, flagged: number) => ({ cell: 'baseline/devinterp-eps1e-3', seed, curve: [{ step: 0, llc: { all: { mean: m, flagged, n_ok: 4 } } }, { step: 887, llc: { all: { mean: m + 10, flagged, n_ok: 4 } } }] }) as unknown as CompactExperiment;
    const waiting = { cell: 'baseline/devinterp-eps1e-3', seed: 3, curve: [{ step: 0, llc: {} }] } as unknown as CompactExperiment; // trained, its llc stage not run yet
    expect(row1f([dv(1, 100, 4), dv(2, 110, 4), waiting])).toContain('**not a measurement (flagged)** | mean over 2 seeds, face value — 0: 105, 887: 115; 16 of 16 chains flagged');
  });
});

describe('LLC rows say which estimator variants they rest on', () => {
  it('row 6a-llc compares each γ with the clean runs at that γ, and names the γ values it rests on', () => {
    const at = (cell: string, seed: number, steps: number[], llc: number) => ({ experiment: `${cell}-seed=${seed}`, cell, seed, curve: steps.map((st) => llcRow(st, { all: [llc + seed, 0] })) }) as unknown as CompactExperiment;
    const g40 = [1, 2, 3].flatMap((s) => [at('noise/permute-p=1', s, [366, 1831, 7325], 300), at('baseline/gamma40000', s, [366, 1831, 7325], 100)]);
    const one = row6a(g40);
    expect(one).toContain('| **contradicted** (at γ 40,000 with SGLD only) |');
    expect(one).toContain('noise/permute-p=1@7325 − baseline/gamma40000@7325: 200 (301, 302, 303 against 101, 102, 103;');
    // the γ-100,000 cells are set against the clean runs at γ 100,000, never against γ 40,000's
    const g100 = [1, 2].flatMap((s) => [at('noise/permute-p=1-gamma100000', s, [1831, 7325], 150), at('baseline/gamma100000', s, [1831, 7325], 50)]);
    const both = row6a([...g40, ...g100]);
    expect(both).toContain('| **contradicted** (at γ 40,000 and 100,000 with SGLD only) |');
    expect(both).toContain('noise/permute-p=1-gamma100000@1831 − baseline/gamma100000@1831: 100 (151, 152 against 51, 52;');
    // lower at every step, at both γ: reproduced; a γ with one seed is shown but not counted
    const low = [1, 2, 3].flatMap((s) => [at('noise/permute-p=1', s, [366, 1831, 7325], 50), at('baseline/gamma40000', s, [366, 1831, 7325], 100)]);
    const lone = [at('noise/permute-p=1-gamma100000', 1, [1831], 500), at('baseline/gamma100000', 1, [1831], 50)];
    expect(row6a([...low, ...lone])).toContain('| **reproduced** (at γ 40,000 with SGLD only) |');
  });
  it('row 7 (one variant: γ 10,000 with SGLD) says so beside its word', () => {
    const at = (cell: string, seed: number, llc: number) => ({ experiment: `${cell}-seed=${seed}`, cell, seed, curve: [llcRow(7325, { all: [llc, 0] })] }) as unknown as CompactExperiment;
    const ex = [1, 2, 3].flatMap((s) => [at('architecture/1head', s, 160 + s), at('baseline/gamma10000', s, 210 - s)]);
    const r = row7(ex);
    expect(r).toContain('| **measured** (at γ 10,000 with SGLD only) | architecture/1head@7325 − baseline/gamma10000@7325: -46 (161, 162, 163 against 209, 208, 207;');
  });
});
