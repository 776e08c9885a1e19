import { describe, expect, it } from 'vitest';
import { type Comparison, comparePoints } from './compare.ts';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { llcRow } from './testing.ts';
import { claimResults, claimsMarkdown, type ClaimTest, equivalence, matchedLossMarkdown, STUDY_NBETA, variantsOf, verdictOf } from './verdicts.ts';

const cmp = (diffs: number[], direction: Comparison['direction'], level = 200): Comparison =>
  ({ a: { cell: 'a', step: 1, target: 'all' }, b: { cell: 'b', step: 0, target: 'all' }, seeds: diffs.map((_, i) => i + 1), values: diffs.map((d) => [level + d, level]), diffs, mean: diffs.reduce((x, y) => x + y, 0) / diffs.length, sd: 1, t: 0, direction }) as Comparison;

describe('verdictOf: the pre-registered rules', () => {
  it('a claimed direction', () => {
    expect(verdictOf('down', [cmp([-5, -6, -7], 'down'), cmp([-3, -4, -5], 'down')])).toBe('reproduced');
    expect(verdictOf('down', [cmp([5, 6, 7], 'up'), cmp([3, 4, 5], 'up')])).toBe('contradicted');
    expect(verdictOf('down', [cmp([5, -6, 1], 'inconclusive'), cmp([3, -4, 0], 'inconclusive')])).toBe('not reproduced in the range tried');
    expect(verdictOf('down', [cmp([-5, -6, -7], 'down'), cmp([3, -4, 0], 'inconclusive')])).toBe('inconclusive');
    expect(verdictOf('up', [cmp([-5, -6, -7], 'down'), cmp([3, 4, 5], 'up')])).toBe('inconclusive');
    expect(verdictOf('up', [cmp([5], 'inconclusive'), cmp([], 'inconclusive')])).toBe('not measured'); // n < 2 everywhere
    expect(verdictOf('up', [cmp([5], 'inconclusive'), cmp([4, 6, 5], 'up')])).toBe('reproduced'); // only measured variants count
  });
  it('a claimed plateau needs small changes, not only non-significant ones', () => {
    expect(verdictOf('flat', [cmp([1, -2, 1], 'inconclusive'), cmp([2, -1, 0], 'inconclusive')])).toBe('reproduced');
    expect(verdictOf('flat', [cmp([40, -2, 1], 'inconclusive')])).toBe('inconclusive'); // mean 13 > 5% of the level (240)
    expect(verdictOf('flat', [cmp([-20, -22, -25], 'down'), cmp([-10, -12, -11], 'down')])).toBe('contradicted');
    expect(verdictOf('flat', [cmp([-20, -22, -25], 'down'), cmp([1, -2, 1], 'inconclusive')])).toBe('inconclusive');
  });
  it('a claimed plateau is an equivalence test: a small mean with a wide interval is not shown flat', () => {
    // the real paired statistics (compare.ts), so the interval uses the seeds' own spread
    const real = (diffs: number[], level = 200) => comparePoints(
      diffs.flatMap((d, i) => [run('x', i + 1, [[2, level + d]]), run('y', i + 1, [[1, level]])]),
      { cell: 'x', step: 2, target: 'all' },
      { cell: 'y', step: 1, target: 'all' },
    );
    // 1e's γ 10,000 variant as measured: mean −6.75, sd 10.7, n 5, level ≈ 210 → margin 10.5;
    // 90% CI −6.75 ± 2.132·10.7/√5 = [−16.9, 3.45] reaches past −10.5: neither shown nor excluded
    const wide = real([-22, -10, 2, 5, -8.75], 210);
    expect(wide.mean).toBeCloseTo(-6.75, 10);
    const e = equivalence(wide);
    expect(e.margin).toBeCloseTo(0.05 * (210 - 6.75 / 2), 10); // mean |λ̂| over both ends
    expect(e.lo).toBeCloseTo(wide.mean - 2.132 * (wide.sd / Math.sqrt(5)), 10);
    expect(e.within).toBe(false);
    expect(verdictOf('flat', [wide])).toBe('inconclusive');
    // the same mean with a tight spread is shown flat (|change| < 5% of λ̂ at 90% confidence)
    const tight = real([-7, -6, -7.5, -6.5, -6.75], 210);
    expect(equivalence(tight).within).toBe(true);
    expect(verdictOf('flat', [tight])).toBe('reproduced');
    // n < 2 is never shown flat
    expect(equivalence(real([1], 210)).within).toBe(false);
  });
});

const row = (step: number, llc: number): CheckpointRow => llcRow(step, { all: [llc, 0] });
const run = (cell: string, seed: number, points: [number, number][]): CompactExperiment =>
  ({ experiment: `${cell}-seed=${seed}`, cell, seed, facts: {} as CompactExperiment['facts'], curve: points.map(([s, l]) => row(s, l)), behaviour: null }) as CompactExperiment;

describe('claimResults', () => {
  it('compares the variants whose cells exist and names the command that prints them', () => {
    const ex = [1, 2, 3].flatMap((s) => [run('baseline/gamma10000', s, [[366, 310 + s], [887, 250 - s]]), run('baseline/gamma20000', s, [[366, 200 + s], [887, 170 + 2 * s]])]);
    const test: ClaimTest = { id: 'x', claim: 'falls', claimed: 'down', pairs: [['baseline/gamma10000@887', 'baseline/gamma10000@366'], ['baseline/gamma20000@887', 'baseline/gamma20000@366'], ['baseline/rmsprop-gamma10000@887', 'baseline/rmsprop-gamma10000@366']] };
    const [r] = claimResults(ex, [test]);
    expect(r.comparisons).toHaveLength(2); // rmsprop not computed: left out
    expect([r.measured, r.listed]).toEqual([2, 3]);
    expect(r.comparisons[0].diffs).toEqual([-62, -64, -66]);
    expect(r.verdict).toBe('reproduced');
    expect(r.command).toBe('npx sortscope findings --study claims --compare "baseline/gamma10000@887,baseline/gamma10000@366;baseline/gamma20000@887,baseline/gamma20000@366"');
    expect(claimsMarkdown([r])).toContain('| x | falls | **reproduced**, on 2 of 3 comparisons (at γ 10,000 and 20,000 with SGLD) | baseline/gamma10000@887 − baseline/gamma10000@366: -64 ± 2 (n 3, t -55.4, down);');
    const [none] = claimResults(ex, [{ ...test, pairs: [['nope@1', 'nope@0']] }]);
    expect(none.verdict).toBe('not measured');
    expect(claimsMarkdown([none])).toContain('| not measured** | cells not computed yet | – |'.slice(3));
  });

  it('a reproduced or contradicted verdict needs measured comparisons in half of the claim\u2019s step intervals', () => {
    // five intervals 0→20→50→92→145→196; only the last two are readable, and they fall
    const steps = [0, 20, 50, 92, 145, 196];
    const lam = (s: number, step: number) => 400 - step * (1 + 0.01 * s); // steps 0-50 have no estimate
    const ex = [1, 2, 3].map((s) => run('b/early', s, steps.filter((st) => st >= 92).map((st) => [st, lam(s, st)] as [number, number])));
    const pairs = steps.slice(1).map((to, i) => [`b/early@${to}`, `b/early@${steps[i]}`] as [string, string]);
    const [r] = claimResults(ex, [{ id: '1a', claim: 'rises', claimed: 'up', pairs }]);
    expect([r.measured, r.listed, r.covered, r.intervals]).toEqual([2, 5, 2, 5]);
    expect(verdictOf('up', r.comparisons)).toBe('contradicted'); // what the measured intervals alone say
    expect(r.verdict).toBe('inconclusive'); // 2 of 5 intervals: under half
    expect(claimsMarkdown([r])).toContain('**inconclusive**, on 2 of 5 comparisons, covering 2 of its 5 step intervals (a verdict needs half)');
    // a third interval readable: 3 of 5, the verdict stands
    const ex3 = ex.map((e, i) => ({ ...e, curve: [row(50, 500 + i), ...e.curve] }));
    const [r3] = claimResults(ex3, [{ id: '1a', claim: 'rises', claimed: 'up', pairs }]);
    expect([r3.covered, r3.verdict]).toEqual([3, 'contradicted']);
    // variants of one interval count once: two γ measuring 366→887 cover 1 of 1
    const v = [1, 2, 3].flatMap((s) => [run('g1', s, [[366, 300 + s], [887, 200 - s]]), run('g2', s, [[366, 250 + s], [887, 150 + 2 * s]])]);
    const [rv] = claimResults(v, [{ id: 'c', claim: 'falls', claimed: 'down', pairs: [['g1@887', 'g1@366'], ['g2@887', 'g2@366']] }]);
    expect([rv.covered, rv.intervals, rv.verdict]).toEqual([1, 1, 'reproduced']);
  });
});

describe('variantsOf: what a verdict rests on, from the cells measured', () => {
  const c = (a: string, b: string, n = 3) => ({ a: { cell: a, step: 1, target: 'all' }, b: { cell: b, step: 0, target: 'all' }, diffs: Array(n).fill(1) }) as Comparison;
  it('names γ per sampler, and says "only" for a single variant', () => {
    expect(variantsOf([c('baseline/gamma10000', 'baseline/gamma10000'), c('baseline/gamma20000', 'baseline/gamma20000'), c('baseline/rmsprop-gamma10000', 'baseline/rmsprop-gamma10000')])).toBe('at γ 10,000 and 20,000 with SGLD; γ 10,000 with rmsprop');
    expect(variantsOf([c('frozen-heads/from1831', 'baseline/gamma10000')])).toBe('at γ 10,000 with SGLD only');
    // a comparison with fewer than 2 seeds is not measured, so its variant is not claimed
    expect(variantsOf([c('baseline/gamma10000', 'baseline/early-gamma10000'), c('baseline/early-gamma100000', 'baseline/early-gamma100000', 1)])).toBe('at γ 10,000 with SGLD only');
    expect(variantsOf([c('baseline/early-gamma100000', 'baseline/early-gamma100000'), c('baseline/gamma10000', 'baseline/early-gamma10000')])).toBe('at γ 10,000 and 100,000 with SGLD');
  });
});

describe('row 3a', () => {
  it('says not measured until the matched-loss cell is computed; nβ is the study’s T·n/ln n', () => {
    expect(STUDY_NBETA).toBeCloseTo(125_855.92, 1); // the llc stage logs nβ 1.2586e+5 for these runs
    expect(matchedLossMarkdown([])).toMatch(/^\| 3a \| .* \| \*\*not measured\*\* \| cell not computed yet \|/);
    // one pair of rows per γ: the same six runs at γ 40,000
    expect(matchedLossMarkdown([])).toMatch(/\n\| 3a-γ40k \| .*\(matched-loss\/replace-k3-p=1-loss1\.59-gamma40000\) \| \*\*not measured\*\* \|/);
    expect(matchedLossMarkdown([]).split('\n').filter(Boolean)).toHaveLength(4);
    // runs of the cell exist, but none has both its circuits and a readable λ̂ yet
    const early = { experiment: 'matched-loss/replace-k3-p=1-loss1.59-gamma40000-seed=1', cell: 'matched-loss/replace-k3-p=1-loss1.59-gamma40000', seed: 1, facts: {}, curve: [], behaviour: null } as unknown as CompactExperiment;
    expect(matchedLossMarkdown([early])).toMatch(/\| 3a-γ40k \| .* \| \*\*not measured\*\* \| no seed with its circuits and a readable λ̂ yet \|/);
  });
});
