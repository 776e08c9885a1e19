import { describe, expect, it } from 'vitest';
import type { CompactExperiment } from './data.ts';
import { keepsSolution, row6aLearning, row6b, row6c, row6d, row6e } from './noise-rows.ts';
import { llcRow } from './testing.ts';

// a run with its final clean accuracy and loss, λ̂ at step 7,325 and a split at the end
const run = (cell: string, seed: number, acc: number, opts: { loss?: number; llc?: number; flagged?: number } = {}) =>
  ({
    experiment: `${cell}-seed=${seed}`,
    cell,
    seed,
    facts: { val_token_acc: acc, val_loss: opts.loss ?? 0.05 },
    curve: [{ ...llcRow(7325, opts.llc === undefined ? {} : { all: [opts.llc, opts.flagged ?? 0] }), overlap: 0.3, n_copied: [25, 26], regions: [2, 3] }],
  }) as unknown as CompactExperiment;

describe('the noise rows 6a–6e', () => {
  it('6a: nothing learned when every seed stays below 50% clean token accuracy', () => {
    const permute = [1, 2, 3].map((s) => run('noise/permute-p=1', s, 0.1 + s / 100, { loss: 2.29 }));
    expect(row6aLearning(permute)).toContain('**reproduced** | n 3: clean token accuracy 11.00%, 12.00%, 13.00%');
    expect(row6aLearning(permute)).toContain('clean loss 2.29, 2.29, 2.29 (ln 10 = 2.303');
    expect(row6aLearning([...permute.slice(0, 2), run('noise/permute-p=1', 3, 0.6)])).toContain('**inconclusive**');
    expect(row6aLearning([1, 2].map((s) => run('noise/permute-p=1', s, 0.99)))).toContain('**contradicted**');
    expect(row6aLearning([])).toContain('**not measured** | not computed yet');
  });
  it('6b, 6c: kept, broken or kept in i of n per cell, with the clean accuracies and modes', () => {
    const ex = [
      ...[1, 2, 3].map((s) => run('noise/replace-k1-p=0.25', s, 0.999)),
      ...[1, 2, 3].map((s) => run('noise/replace-k1-p=1', s, s === 2 ? 0.98 : 0.995)),
      ...[1, 2].map((s) => run('noise/insert-k1-p=1', s, 0.93)),
    ];
    expect(keepsSolution(ex, 'noise/replace-k1-p=1')).toMatchObject({ kept: 2, answer: 'kept in 2 of 3' });
    expect(keepsSolution(ex, 'noise/none')).toBeNull();
    expect(row6b(ex)).toContain('**kept at p 0.25; kept in 2 of 3 at p 1** | p 0.25: kept (clean token accuracy 99.90%, 99.90%, 99.90%; split/split/split); p 1: kept in 2 of 3 (clean token accuracy 99.50%, 98.00%, 99.50%;');
    expect(row6c(ex)).toContain('**broken at p 1** | p 1: broken (clean token accuracy 93.00%, 93.00%;');
    expect(row6c([])).toContain('**not measured** | not computed yet');
  });
  it('6d: the smallest k at which some seed loses the solution', () => {
    const k = (cell: string, acc: number) => [1, 2].map((s) => run(cell, s, acc));
    const upTo3 = [...k('noise/replace-k1-p=1', 0.998), ...k('noise/replace-k2-p=1', 0.997), ...k('noise/replace-k3-p=1', 0.994)];
    expect(row6d(upTo3)).toContain('**kept up to k 3**');
    expect(row6d([...k('noise/replace-k1-p=1', 0.998), ...k('noise/replace-k2-p=1', 0.97), ...k('noise/replace-k3-p=1', 0.9)])).toContain('**not kept from k 2**');
    expect(row6d([])).toContain('**not measured**');
    expect(row6d([...upTo3, ...k('noise/replace-k5-p=1', 0.992), ...k('noise/replace-k7-p=1', 0.95)])).toContain('**not kept from k 7**');
    expect(row6d([...upTo3, run('noise/replace-k5-p=1', 1, 0.993), run('noise/replace-k5-p=1', 2, 0.985)])).toContain('**not kept from k 5**');
  });
  it('6e: each noisy cell against the clean runs at the end by Welch’s t, readable estimates only', () => {
    const ex = [
      ...[1, 2, 3].map((s) => run('baseline/gamma40000', s, 0.999, { llc: 200 + s })),
      ...[1, 2, 3].map((s) => run('noise/replace-k1-p=0.25', s, 0.999, { llc: 300 + 2 * s })),
      run('noise/insert-k1-p=1', 1, 0.93, { llc: 999, flagged: 2 }),
      ...[2, 3].map((s) => run('noise/insert-k1-p=1', s, 0.93, { llc: 190 - s })),
    ];
    const r = row6e(ex);
    expect(r).toContain('**measured** (at γ 40,000 with SGLD only) | λ̂ at 7,325, clean 201, 202, 203;');
    expect(r).toContain('replace-k1-p=0.25: 302, 304, 306 (102 against the clean runs; Welch t 79, df 2.9, up)'); // (304 − 202)/√(4/3 + 1/3)
    expect(r).toContain('insert-k1-p=1: 188, 187 (-14.5 against the clean runs; Welch t -19, df 2.9, down)'); // the flagged seed left out: (187.5 − 202)/√(0.5/2 + 1/3)
    expect(row6e([])).toContain('**not measured** | not computed yet');
  });
});
