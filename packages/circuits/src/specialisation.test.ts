/**
 * Head specialisation on hand-made OV diagonals and QK circuits, the vocabulary-split pair of
 * docs/circuits.md, and the ARENA fixture (head 0 copies exactly tokens 28–36).
 */
import { describe, expect, it } from 'vitest';
import { loadWeights } from '@sortscope/model';
import { ARENA_WEIGHTS } from '@sortscope/model/testing';
import { circuitAnalysis } from './analyse.ts';
import { fromFn } from './matrix.ts';
import { CircuitsConfigSchema } from './schema.ts';
import { copierOf, countRuns, jaccard, pearson, specialise } from './specialisation.ts';
import { syntheticMatrices } from './testing.ts';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('specialisation primitives', () => {
  it('copier: the largest positive diagonal, −1 where none is positive, ties to the lower head', () => {
    expect(Array.from(copierOf([f64([1, -1, 0.5, 2, 0]), f64([0.5, -2, 0.7, 2, 0])]))).toEqual([0, -1, 1, 0, -1]);
  });

  it('counts maximal runs and Jaccard overlaps', () => {
    expect(countRuns([1, 1, 0, 1, 0, 0, 1, 1])).toBe(3);
    expect(countRuns([0, 0])).toBe(0);
    expect(jaccard([1, 1, 0, 1], [0, 1, 1, 1])).toBeCloseTo(2 / 4, 15);
    expect(jaccard([0, 0], [0, 0])).toBeNaN();
  });

  it('pearson: ±1 for affine copies, 0 for a constant vector', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15);
    expect(pearson([1, 2, 3], [5, 5, 5])).toBe(0);
  });
});

describe('specialise', () => {
  it('vocabulary split (docs/circuits.md): one region each, no overlap, no copy suppression', () => {
    const s = syntheticMatrices(51);
    const diag = (m: typeof s.blockLow) => Float64Array.from({ length: 51 }, (_, t) => m.data[t * 51 + t]);
    const qk = fromFn(51, 51, (i, j) => -Math.abs(i - j));
    const [a, b] = specialise([diag(s.blockLow), diag(s.blockHigh)], [qk, qk]);
    expect([a.n_copied, b.n_copied, a.regions, b.regions]).toEqual([25, 26, 1, 1]);
    expect(Array.from(a.overlap)).toEqual([1, 0]);
    expect([a.copy_suppression, b.copy_suppression, a.copy_suppression_partner]).toEqual([0, 0, -1]);
  });

  it('copy suppression: the fraction of tokens suppressed where the other head copies, weighted by QK agreement', () => {
    // head 0 copies tokens 0..5; head 1 suppresses 0..2 and copies 6..7
    const d0 = f64([1, 1, 1, 1, 1, 1, -1, -1]);
    const d1 = f64([-1, -1, -1, 0, 0, 0, 1, 1]);
    const same = fromFn(8, 8, (i, j) => Math.sin(i + 2 * j)); // identical QK rows: ρ = 1
    const [h0, h1] = specialise([d0, d1], [same, same]);
    expect(h1.copy_suppression).toBeCloseTo(3 / 8, 15);
    expect(h1.copy_suppression_partner).toBe(0);
    expect(h0.copy_suppression).toBeCloseTo(2 / 8, 15); // h0 < 0 < h1 on tokens 6, 7
    const opposite = fromFn(8, 8, (i, j) => -Math.sin(i + 2 * j)); // ρ = −1: no agreement, no score
    expect(specialise([d0, d1], [same, opposite])[1].copy_suppression).toBe(0);
    expect(h0.regions).toBe(1);
    expect(Array.from(h1.copies)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(h0.overlap[1]).toBe(0);
  });

  it('refuses mismatched shapes', () => {
    expect(() => specialise([f64([1, 2])], [fromFn(3, 3, () => 0)])).toThrowError(/QK of head 0 must be \[2, 2\], got \[3, 3\]/);
  });
});

describe('ARENA fixture', () => {
  it('raw-normalised: head 0 copies exactly tokens 28–36 (1 region), head 1 the rest (2 regions)', () => {
    const w = loadWeights(ARENA_WEIGHTS);
    const { specialisation } = circuitAnalysis(w.cfg, w.params, CircuitsConfigSchema.parse({ null_samples: 0 }));
    const [h0, h1] = specialisation;
    const tokens = (m: Uint8Array) => Array.from(m.keys()).filter((t) => m[t]);
    expect(tokens(h0.copies)).toEqual([28, 29, 30, 31, 32, 33, 34, 35, 36]);
    expect(tokens(h1.copies)).toEqual([...Array.from({ length: 28 }, (_, t) => t), ...Array.from({ length: 14 }, (_, t) => 37 + t)]);
    expect([h0.regions, h1.regions]).toEqual([1, 2]);
    expect(h0.convention).toBe('raw-normalised');
    // head 0 has a negative OV diagonal where head 1 copies, and the two look alike from those queries
    expect(h0.copy_suppression).toBeGreaterThan(0.5);
    expect(h0.copy_suppression_partner).toBe(1);
    // the folded convention gives the same split
    const folded = circuitAnalysis(w.cfg, w.params, CircuitsConfigSchema.parse({ null_samples: 0, specialisation: { convention: 'folded' } })).specialisation;
    expect(folded.map((s) => tokens(s.copies))).toEqual([tokens(h0.copies), tokens(h1.copies)]);
    expect(folded[0].convention).toBe('folded');
  });
});
