import { describe, expect, it } from 'vitest';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { gapVerdict, type ModeAt, modeAt, modes, modesLine, survivesVerdict } from './modes.ts';

const row = (step: number, overlap: number | null, n_copied: number[], regions = [2, 2]) => ({ step, overlap, n_copied, regions, llc: {} }) as unknown as CheckpointRow;

describe('modes', () => {
  it('classifies by both split definitions; a head that copies nothing is not a split', () => {
    expect(modeAt(row(1, 0.29, [26, 25]), 1)).toMatchObject({ mode: 'split', jaccard_split: true, argmax_split: true });
    expect(modeAt(row(1, 0.93, [30, 21]), 1)).toMatchObject({ mode: 'overlapping', jaccard_split: false, argmax_split: true });
    expect(modeAt(row(1, 0, [51, 0]), 1)).toMatchObject({ mode: 'one copier', jaccard_split: true, argmax_split: false });
    expect(modeAt(row(1, 0.1, [45, 6]), 1).mode).toBe('one copier'); // share 0.12 < 0.2
    expect(modeAt(row(1, null, []), 1).mode).toBeNull();
  });
  it('reads each seed at a step or at its last checkpoint with circuits', () => {
    const e = (seed: number, rows: CheckpointRow[]) => ({ cell: 'c', seed, curve: rows }) as unknown as CompactExperiment;
    const ex = [e(2, [row(10, 0.9, [30, 21]), row(20, 0.3, [26, 25]), row(30, null, [])]), e(1, [row(10, 0.95, [30, 21]), row(20, 0.2, [25, 26])])];
    expect(modes(ex, 'c').map((m) => [m.seed, m.step, m.mode])).toEqual([[1, 20, 'split'], [2, 20, 'split']]);
    expect(modes(ex, 'c', 10).map((m) => m.mode)).toEqual(['overlapping', 'overlapping']);
    expect(modesLine(modes(ex, 'c', 10).slice(0, 1))).toBe('s1@10: overlapping (overlap 0.95, shares 0.59/0.41, regions 2/2)');
  });
  it('verdicts: the split survives (both definitions), and ρ̄ decides the mode (a monotone switch)', () => {
    const m = (mode: ModeAt['mode'], j: boolean, a: boolean) => ({ mode, jaccard_split: j, argmax_split: a }) as ModeAt;
    expect(survivesVerdict([m('split', true, true), m('split', true, true)])).toBe('reproduced');
    expect(survivesVerdict([m('overlapping', false, true), m('overlapping', false, true)])).toBe('inconclusive'); // the definitions disagree
    expect(survivesVerdict([m('one copier', false, false), m('overlapping', false, false)])).toBe('contradicted');
    expect(survivesVerdict([m('split', true, true)])).toBe('not measured');
    const cell = (rho: number, ...ms: ModeAt['mode'][]) => ({ rho, modes: ms.map((x) => m(x, true, true)) });
    expect(gapVerdict([cell(2.9, 'split', 'split'), cell(4.7, 'split', 'split', 'split')])).toBe('not reproduced in the range tried');
    expect(gapVerdict([cell(4.7, 'split', 'split'), cell(2.9, 'one copier', 'one copier'), cell(3.8, 'split', 'one copier')])).toBe('reproduced');
    expect(gapVerdict([cell(2.9, 'split', 'split'), cell(3.8, 'one copier', 'one copier'), cell(4.7, 'split', 'split')])).toBe('inconclusive');
    expect(gapVerdict([cell(2.9, 'split', 'one copier'), cell(3.8, 'split', 'one copier')])).toBe('inconclusive');
    expect(gapVerdict([cell(2.9, 'split')])).toBe('not measured');
  });
});
