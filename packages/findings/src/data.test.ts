import { describe, expect, it } from 'vitest';
import { type CompactExperiment, compactCurveMarkdown, llcCell } from './data.ts';
import { llcPoint, llcRow } from './testing.ts';


describe('llcCell: what --curve prints for one estimate', () => {
  it('prints a readable estimate as λ̂ ± std and nothing else', () => {
    expect(llcCell(llcPoint(216, 0, { std: 2, mixing: 2.9 }))).toBe('216 ± 2');
  });

  it('says why an estimate is not read, by the rule every reader applies', () => {
    expect(llcCell(llcPoint(729, 0, { std: 6, mixing: 0.66 }))).toMatch(/^729 ± 6 \(not read: chains not relaxed \(m = S·εγ\/2 0\.66 < 1\.15: up to 27% of λ̂ may be missing\)\)$/);
    expect(llcCell(llcPoint(-56800, 4, { std: 1300 }))).toContain('(not read: 4 chains flagged)');
    expect(llcCell(llcPoint(1157, 0, { std: 984 }))).toContain('(not read: chains disagree');
    expect(llcCell(llcPoint(-3, 0, { std: 0.1 }))).toContain('≤ 0');
  });

  it('judges no mixing where the entry has none (saved before m was recorded)', () => {
    expect(llcCell(llcPoint(216, 0, { std: 2 }))).toBe('216 ± 2');
  });
});

describe('compactCurveMarkdown', () => {
  it('marks the unread estimates of a curve and leaves the readable ones plain', () => {
    const ex: CompactExperiment = {
      experiment: 'noise/permute-p=1-seed=1',
      cell: 'noise/permute-p=1',
      seed: 1,
      facts: {} as CompactExperiment['facts'],
      behaviour: null,
      curve: [llcRow(196, { all: [709, 0] }), llcRow(366, { all: [-56800, 4] }), llcRow(887, { all: [550, 0] })],
    };
    ex.curve[2].llc.all.mixing = 0.61;
    const md = compactCurveMarkdown(ex).split('\n');
    expect(md[2]).toContain('LLC all (± std over chains)');
    expect(md[4]).toMatch(/\| 709 ± 7\.1 \|$/);
    expect(md[5]).toContain('not read: 4 chains flagged');
    expect(md[6]).toContain('not read: chains not relaxed (m = S·εγ/2 0.61');
  });
});
