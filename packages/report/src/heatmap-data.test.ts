import type { MatrixRecord, Stepped } from '@sortscope/circuits';
import { matrix } from '@sortscope/circuits';
import { describe, expect, it } from 'vitest';
import { heatmapData, subsampleIndices } from './heatmap-data.ts';

/** QK and OV of heads 0 and 1 at `steps`, d_vocab 5; entry = f(step, head, circuit, i, j). */
function records(steps: number[], f: (step: number, head: number, circuit: 'QK' | 'OV', i: number, j: number) => number): Stepped<MatrixRecord>[] {
  const n = 5;
  return steps.flatMap((step) =>
    [0, 1].flatMap((head) =>
      (['QK', 'OV'] as const).map((circuit) => ({
        step,
        layer: 0,
        head,
        circuit,
        convention: 'raw-normalised' as const,
        matrix: matrix(n, n, Float64Array.from({ length: n * n }, (_, k) => f(step, head, circuit, Math.floor(k / n), k % n))),
      })),
    ),
  );
}

describe('subsampleIndices', () => {
  it('keeps everything when there are few, else spreads evenly with the first and the last', () => {
    expect(subsampleIndices(5, 60)).toEqual([0, 1, 2, 3, 4]);
    expect(subsampleIndices(11, 3)).toEqual([0, 5, 10]);
    expect(subsampleIndices(93, 60)).toHaveLength(60);
    const idx = subsampleIndices(93, 60);
    expect(idx[0]).toBe(0);
    expect(idx.at(-1)).toBe(92);
    for (let i = 1; i < idx.length; i++) expect(idx[i] - idx[i - 1]).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < idx.length; i++) expect(idx[i] - idx[i - 1]).toBeLessThanOrEqual(2);
    expect(subsampleIndices(7, 1)).toEqual([6]);
    expect(subsampleIndices(0, 10)).toEqual([]);
  });
});

describe('heatmapData', () => {
  it('one panel per head and circuit (QK then OV), rows per kept frame, values to 3 significant digits', () => {
    const steps = [0, 1, 2, 5, 10, 20, 50];
    const data = heatmapData(records(steps, (s, h, c, i, j) => (s + 1) * (i - j + h) * (c === 'QK' ? 1.234567 : -0.0123456)), { max_frames: 4, digits: 3 })!;
    expect(data.panels.map((p) => `${p.head} ${p.circuit}`)).toEqual(['L0H0 QK', 'L0H0 OV', 'L0H1 QK', 'L0H1 OV']);
    expect(data.steps).toEqual([0, 2, 10, 50]);
    expect(data.checkpoints).toBe(7);
    expect(data.d_vocab).toBe(5);
    expect(data.sep).toBe(4);
    expect(data.rows).toHaveLength(4 * 4 * 5);
    const row = data.rows.find((r) => r.m === 0 && r.i === 3 && r.r === 4)!; // step 50, L0H0 QK, row 4
    expect(row.v).toEqual([4, 3, 2, 1, 0].map((d) => Number((51 * d * 1.234567).toPrecision(3))));
    expect(data.rows.find((r) => r.m === 1 && r.i === 1 && r.r === 0)!.v[1]).toBe(Number((3 * -1 * -0.0123456).toPrecision(3)));
  });

  it('takes the colour domain from every checkpoint of the panel, not only the kept frames', () => {
    const steps = [0, 1, 2, 3, 4];
    // step 1 (dropped by the subsampling to 3 frames: 0, 2, 4) holds the largest value of L0H0 QK
    const data = heatmapData(records(steps, (s, h, c, i, j) => (s === 1 && h === 0 && c === 'QK' && i === 2 && j === 3 ? -7.5 : i === j ? 1 : 0)), { max_frames: 3, digits: 3 })!;
    expect(data.steps).toEqual([0, 2, 4]);
    expect(data.panels[0].max_abs).toBe(7.5);
    expect(data.panels[1].max_abs).toBe(1);
  });

  it('stores values that are not finite as null, and returns null without QK/OV matrices', () => {
    const data = heatmapData(records([0], (_s, _h, _c, i, j) => (i === 1 && j === 1 ? NaN : i)), { max_frames: 10, digits: 3 })!;
    expect(data.rows.find((r) => r.m === 0 && r.r === 1)!.v).toEqual([1, null, 1, 1, 1]);
    expect(heatmapData([], { max_frames: 10, digits: 3 })).toBeNull();
  });
});
