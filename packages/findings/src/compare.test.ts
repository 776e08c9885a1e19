import { describe, expect, it } from 'vitest';
import { compareCells, comparePoints, comparisonsMarkdown, parsePoint } from './compare.ts';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { llcRow } from './testing.ts';

const row = llcRow;
const run = (cell: string, seed: number, rows: CheckpointRow[]): CompactExperiment =>
  ({ experiment: `${cell}-seed=${seed}`, cell, seed, facts: {} as CompactExperiment['facts'], curve: rows, behaviour: null }) as CompactExperiment;

describe('findings --compare', () => {
  it('parses CELL@STEP[:TARGET] and refuses anything else, naming the flag', () => {
    expect(parsePoint('baseline/gamma10000@7325')).toEqual({ cell: 'baseline/gamma10000', step: 7325, target: 'all' });
    expect(parsePoint(' noise/replace-k1-p=0.25@887:L0H1 ')).toEqual({ cell: 'noise/replace-k1-p=0.25', step: 887, target: 'L0H1' });
    expect(() => parsePoint('baseline/gamma10000')).toThrow(/--compare: got "baseline\/gamma10000"; expected CELL@STEP/);
    expect(() => parsePoint('a@b')).toThrow(/expected CELL@STEP/);
  });

  it('pairs by seed across cells, leaves flagged and missing estimates out, and tests the mean difference', () => {
    const ex = [
      run('base', 1, [row(1831, { all: [200, 0] }), row(7325, { all: [220, 0] })]),
      run('base', 2, [row(1831, { all: [210, 0] }), row(7325, { all: [231, 0] })]),
      run('base', 3, [row(1831, { all: [205, 0] }), row(7325, { all: [226, 0] })]),
      run('frozen', 1, [row(7325, { all: [250, 0] })]),
      run('frozen', 2, [row(7325, { all: [262, 0] })]),
      run('frozen', 3, [row(7325, { all: [999, 1] })]), // flagged: not read
      run('frozen', 4, [row(7325, { all: [240, 0] })]), // no base seed 4
    ];
    const c = comparePoints(ex, parsePoint('frozen@7325'), parsePoint('base@7325'));
    expect(c.seeds).toEqual([1, 2]);
    expect(c.values).toEqual([[250, 220], [262, 231]]);
    expect(c.diffs).toEqual([30, 31]);
    expect(c.mean).toBe(30.5);
    expect(c.t).toBeCloseTo(30.5 / (Math.SQRT1_2 / Math.SQRT2), 9);
    expect(c.direction).toBe('up'); // t 61 > 12.7 with n 2
    expect(comparisonsMarkdown([c])).toContain('| frozen@7325 − base@7325 | s1 250, 220 (+30); s2 262, 231 (+31) | 30.5 ± 0.707 | 2 | 61 | up |');
    expect(() => comparePoints(ex, parsePoint('nope@1'), parsePoint('base@7325'))).toThrow(/--compare: no cell "nope" in these results \(cells: base, frozen\)/);
  });

  it('compareCells: Welch for independent runs', () => {
    const ex = [
      run('perm', 1, [row(7325, { all: [300, 0] })]),
      run('perm', 2, [row(7325, { all: [310, 0] })]),
      run('perm', 3, [row(7325, { all: [320, 0] })]),
      run('base', 1, [row(7325, { all: [220, 0] })]),
      run('base', 2, [row(7325, { all: [230, 0] })]),
      run('base', 4, [row(7325, { all: [999, 2] })]), // flagged
      run('base', 5, [row(7325, { all: [225, 0] })]),
    ];
    const u = compareCells(ex, parsePoint('perm@7325'), parsePoint('base@7325'));
    expect(u.va).toEqual([300, 310, 320]);
    expect(u.vb).toEqual([220, 230, 225]);
    expect(u.diff).toBeCloseTo(85, 12);
    // se² = 100/3 + 25/3 = 41.67: t = 85 / 6.455 = 13.17; df = 41.67² / ((33.3²)/2 + (8.33²)/2) = 2.94
    expect(u.t).toBeCloseTo(85 / Math.sqrt(125 / 3), 9);
    expect(u.df).toBeCloseTo((125 / 3) ** 2 / ((100 / 3) ** 2 / 2 + (25 / 3) ** 2 / 2), 9);
    expect(u.direction).toBe('up'); // |t| 13.2 > 4.30 (df 2)
    expect(compareCells(ex.slice(0, 4), parsePoint('perm@7325'), parsePoint('base@7325')).direction).toBe('inconclusive'); // one base run
  });

  it('compares only estimates of one vintage: held-stale entries with stale ones of the same llc version, fresh with fresh', () => {
    const held = (e: CompactExperiment, llc: string): CompactExperiment => ({ ...e, stale: ['llc'], versions: { llc } });
    // noise held from llc 6.1 at its old γ; the clean cell fresh: no comparison, rather than one across settings
    const ex = [
      held(run('noise', 1, [row(7325, { all: [300, 0] })]), '6.1'),
      held(run('noise', 2, [row(7325, { all: [310, 0] })]), '6.1'),
      run('clean', 1, [row(7325, { all: [220, 0] })]),
      run('clean', 2, [row(7325, { all: [230, 0] })]),
    ];
    expect(compareCells(ex, parsePoint('noise@7325'), parsePoint('clean@7325')).va).toEqual([]);
    const none = comparePoints(ex, parsePoint('noise@7325'), parsePoint('clean@7325'));
    expect([none.seeds, none.vintageSkipped]).toEqual([[], 2]);
    expect(comparisonsMarkdown([none])).toContain('| noise@7325 − clean@7325 | 2 seed(s) left out: their LLC numbers at the two points come from different llc versions or settings |');
    // a third noise seed recomputed: the fresh ones are compared (n 1 against 2), the held ones left out
    const ex3 = [...ex, run('noise', 3, [row(7325, { all: [305, 0] })])];
    const u = compareCells(ex3, parsePoint('noise@7325'), parsePoint('clean@7325'));
    expect([u.va, u.vb]).toEqual([[305], [220, 230]]);
    // both sides held from the same version: compared; from different versions: not
    const both = [...ex.slice(0, 2), held(ex[2], '6.1'), held(ex[3], '6.1')];
    expect(comparePoints(both, parsePoint('noise@7325'), parsePoint('clean@7325')).diffs).toEqual([80, 80]);
    expect(compareCells(both, parsePoint('noise@7325'), parsePoint('clean@7325')).vb).toEqual([220, 230]);
    const mixed = [...ex.slice(0, 2), held(ex[2], '7'), held(ex[3], '7')];
    expect(comparePoints(mixed, parsePoint('noise@7325'), parsePoint('clean@7325')).seeds).toEqual([]);
    // one experiment across its own steps is always one vintage
    const own = [held(run('a', 1, [row(366, { all: [200, 0] }), row(887, { all: [190, 0] })]), '6.1')];
    expect(comparePoints(own, parsePoint('a@887'), parsePoint('a@366')).diffs).toEqual([-10]);
  });
});
