import { describe, expect, it } from 'vitest';
import { generateDataset } from './dataset.ts';
import { config } from './testing.ts';

describe('generateDataset', () => {
  it('makes well-formed sorting sequences: a_1..a_n SEP sorted(a)', () => {
    const { splits, vocab } = generateDataset(config());
    expect(vocab).toEqual({ n: 10, range: 51, min_number: 0, max_number: 50, sep: 51, d_vocab: 52, seq_len: 21 });
    for (const s of Object.values(splits)) {
      let ok = true;
      for (let r = 0; r < s.rows; r++) {
        const row = s.clean.subarray(r * 21, (r + 1) * 21);
        const input = Array.from(row.subarray(0, 10));
        ok &&= row[10] === 51 && new Set(input).size === 10 && input.every((v) => v <= 50);
        ok &&= Array.from(row.subarray(11)).join() === input.sort((a, b) => a - b).join();
      }
      expect(ok).toBe(true);
    }
  });

  it('draws with repeats when distinct = false', () => {
    const { splits } = generateDataset(config({ distinct: false, n_train: 1000 }));
    let withRepeat = 0;
    for (let r = 0; r < 1000; r++) if (new Set(splits.train.clean.subarray(r * 21, r * 21 + 10)).size < 10) withRepeat++;
    // P(no repeat among 10 draws of 51) = 51!/(41!·51^10) ≈ 0.39
    expect(withRepeat / 1000).toBeGreaterThan(0.55);
    expect(withRepeat / 1000).toBeLessThan(0.67);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateDataset(config({ noise: { kind: 'token', p: 0.1 } }));
    const b = generateDataset(config({ noise: { kind: 'token', p: 0.1 } }));
    const c = generateDataset(config({ seed: 1, noise: { kind: 'token', p: 0.1 } }));
    expect(b.splits.train.tokens).toEqual(a.splits.train.tokens);
    expect(b.splits.test.tokens).toEqual(a.splits.test.tokens);
    expect(c.splits.train.tokens).not.toEqual(a.splits.train.tokens);
  });

  it('resolves any noise at p = 0 to no noise (so such experiments share the clean data)', () => {
    for (const noise of [{ kind: 'permute', p: 0 }, { kind: 'token', p: 0 }, { kind: 'replace-sorted', p: 0, k: 2 }]) expect(config({ noise }).noise).toEqual({ kind: 'none' });
    expect(config({ noise: { kind: 'token', p: 0.1 } }).noise).toEqual({ kind: 'token', p: 0.1 });
  });

  it('shares the clean lists between noise levels of the same seed (a paired control)', () => {
    const clean = generateDataset(config());
    const noisy = generateDataset(config({ noise: { kind: 'permute', p: 0.5 } }));
    expect(noisy.splits.train.clean).toEqual(clean.splits.train.clean);
  });

  it('keeps validation and test sets disjoint from training (and each other)', () => {
    const { splits, facts } = generateDataset(config({ n_train: 20_000 }));
    const key = (a: Uint8Array, r: number) => a.subarray(r * 21 + 11, r * 21 + 21).join();
    const train = new Set(Array.from({ length: splits.train.rows }, (_, r) => key(splits.train.clean, r)));
    const val = Array.from({ length: splits.validation.rows }, (_, r) => key(splits.validation.clean, r));
    const test = Array.from({ length: splits.test.rows }, (_, r) => key(splits.test.clean, r));
    expect(val.some((k) => train.has(k))).toBe(false);
    expect(test.some((k) => train.has(k) || val.includes(k))).toBe(false);
    expect(facts.validation.disjoint_from_train).toBe(true);
  });

  it('gives up disjointness where the space is too small, and says so', () => {
    // C(6,3) = 20 possible sets: cannot hold 100 training rows and disjoint held-out sets
    const { facts, splits } = generateDataset(config({ list_length: 3, max_number: 5, n_train: 100, n_validation: 50, n_test: 50 }));
    expect(facts.validation.disjoint_from_train).toBe(false);
    expect(facts.test.disjoint_from_train).toBe(false);
    expect(splits.validation.rows).toBe(50);
  });
});
