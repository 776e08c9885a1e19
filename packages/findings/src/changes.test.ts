import { describe, expect, it } from 'vitest';
import { changesMarkdown, llcChanges, tQuantile } from './changes.ts';
import type { CheckpointRow, CompactExperiment } from './data.ts';
import { llcRow } from './testing.ts';

const row = (step: number, llc: number | null, flagged = 0): CheckpointRow => llcRow(step, llc === null ? {} : { all: [llc, flagged] });
const run = (seed: number, points: [number, number | null, number?][]): CompactExperiment =>
  ({ experiment: `cell-seed=${seed}`, cell: 'cell', seed, facts: {} as CompactExperiment['facts'], curve: points.map(([s, l, f]) => row(s, l, f)), behaviour: null }) as CompactExperiment;

describe('findings --changes', () => {
  it('pairs seeds between consecutive estimated steps, leaves flagged estimates out, and names the direction by the sign of every seed and t', () => {
    const runs = [
      run(1, [[0, 10], [5, 20], [9, 15], [12, 30]]),
      run(2, [[0, 12], [5, 21], [9, 15.9], [12, 14]]),
      run(3, [[0, 11], [5, 23], [9, 16, 2], [12, 25]]), // flagged at step 9: left out of 5→9 and 9→12
    ];
    const [a, b, c] = llcChanges(runs);
    expect(a).toMatchObject({ from: 0, to: 5, seeds: [1, 2, 3], diffs: [10, 9, 12], direction: 'up' });
    expect(a.mean).toBeCloseTo(31 / 3, 12);
    expect(a.t).toBeCloseTo(a.mean / (a.sd / Math.sqrt(3)), 12);
    expect(b).toMatchObject({ from: 5, to: 9, seeds: [1, 2], direction: 'down' });
    expect(b.diffs[1]).toBeCloseTo(-5.1, 12);
    expect(Math.abs(b.t)).toBeGreaterThan(tQuantile(1)); // 2 seeds: |t| must exceed 12.7
    expect(c).toMatchObject({ from: 9, to: 12, seeds: [1, 2], direction: 'inconclusive' }); // +15 and −1.9
    // every seed down but |t| below the quantile: inconclusive
    const [weak] = llcChanges([run(1, [[0, 10], [5, 5]]), run(2, [[0, 10], [5, 9]])]);
    expect(weak.direction).toBe('inconclusive');
    expect(changesMarkdown([a])).toContain('| cell | all | 0 → 5 | s1 +10, s2 +9, s3 +12 | 10.3 ± 1.53 | 3 | 11.7 | up |');
  });

  it('leaves out an unflagged estimate whose chains disagree (std over chains > 20% of λ̂)', () => {
    const runs = [run(1, [[0, 10], [5, 20]]), run(2, [[0, 12], [5, 21]]), run(3, [[0, 11], [5, 1157]])];
    runs[2].curve[1].llc.all.std = 984; // long-noWD seed 3 under llc 6: chains from 136 to 2,301, none flagged
    const [a] = llcChanges(runs);
    expect(a).toMatchObject({ from: 0, to: 5, seeds: [1, 2], diffs: [10, 9] });
    runs[2].curve[1].llc.all.std = 0.19 * 1157; // within the rule: read
    expect(llcChanges(runs)[0].seeds).toEqual([1, 2, 3]);
  });
});
