import { describe, expect, it } from 'vitest';
import { generateDataset } from './dataset.ts';
import { config, withinBinomial } from './testing.ts';

const n = 10;
const seqLen = 2 * n + 1;
const rowsOf = (a: Uint8Array, r: number) => a.subarray(r * seqLen, (r + 1) * seqLen);
const sortedCopy = (a: Uint8Array) => Array.from(a).sort((x, y) => x - y);

describe('noise', () => {
  it('none leaves the training set clean', () => {
    const { splits } = generateDataset(config());
    expect(splits.train.tokens).toEqual(splits.train.clean);
    expect(splits.train.noiseApplied.every((x) => x === 0)).toBe(true);
  });

  it('permute: fraction ≈ p, corrupted outputs are permutations of the inputs, the rest untouched', () => {
    const p = 0.3;
    const { splits, facts } = generateDataset(config({ n_train: 20_000, noise: { kind: 'permute', p } }));
    const t = splits.train;
    const selected = t.noiseApplied.reduce((a, b) => a + b, 0);
    expect(withinBinomial(selected, t.rows, p)).toBe(true);
    expect(facts.train.noise.fraction_rows_selected).toBe(selected / t.rows);
    let ok = true;
    for (let r = 0; r < t.rows; r++) {
      const row = rowsOf(t.tokens, r);
      const clean = rowsOf(t.clean, r);
      ok &&= row.subarray(0, n + 1).every((v, i) => v === clean[i]); // input and SEP untouched
      if (t.noiseApplied[r]) ok &&= sortedCopy(row.subarray(n + 1)).join() === sortedCopy(row.subarray(0, n)).join();
      else ok &&= row.every((v, i) => v === clean[i]);
    }
    expect(ok).toBe(true);
    // a permuted output is in sorted order only with probability 1/10!
    expect(facts.train.noise.fraction_output_tokens_changed).toBeGreaterThan(0.3 * 0.85);
  });

  it('replace-sorted (output side): order kept, exactly k numbers foreign to the input, input untouched', () => {
    const p = 0.4;
    const k = 2;
    const { splits } = generateDataset(config({ n_train: 20_000, noise: { kind: 'replace-sorted', p, k } }));
    const t = splits.train;
    expect(withinBinomial(t.noiseApplied.reduce((a, b) => a + b, 0), t.rows, p)).toBe(true);
    let ok = true;
    for (let r = 0; r < t.rows; r++) {
      const row = rowsOf(t.tokens, r);
      const out = row.subarray(n + 1);
      const input = new Set(row.subarray(0, n));
      ok &&= out.every((v, i) => i === 0 || v > out[i - 1]); // strictly ascending: sorted, distinct
      const foreign = Array.from(out).filter((v) => !input.has(v)).length;
      ok &&= foreign === (t.noiseApplied[r] ? k : 0);
      ok &&= row.subarray(0, n).every((v, i) => v === t.clean[r * seqLen + i]);
    }
    expect(ok).toBe(true);
  });

  it('replace-sorted (input side): k input numbers replaced in place by numbers not in the list, output = the clean sorted list', () => {
    const p = 0.5;
    const k = 1;
    const { splits } = generateDataset(config({ n_train: 20_000, noise: { kind: 'replace-sorted', p, k, side: 'input' } }));
    const t = splits.train;
    expect(withinBinomial(t.noiseApplied.reduce((a, b) => a + b, 0), t.rows, p)).toBe(true);
    let ok = true;
    for (let r = 0; r < t.rows; r++) {
      const row = rowsOf(t.tokens, r);
      const clean = rowsOf(t.clean, r);
      ok &&= row.subarray(n).every((v, i) => v === clean[n + i]); // SEP and output untouched
      const moved = row.subarray(0, n).reduce((a, v, i) => a + (v !== clean[i] ? 1 : 0), 0);
      ok &&= moved === (t.noiseApplied[r] ? k : 0);
      const cleanSet = new Set(clean.subarray(0, n));
      for (let i = 0; i < n; i++) if (row[i] !== clean[i]) ok &&= !cleanSet.has(row[i]);
    }
    expect(ok).toBe(true);
  });

  it('token: each output token resampled w.p. p (changed w.p. p·(V−1)/V), inputs untouched', () => {
    const p = 0.2;
    const V = 51;
    const { splits, facts } = generateDataset(config({ n_train: 20_000, noise: { kind: 'token', p } }));
    const t = splits.train;
    let changed = 0;
    let inputsOk = true;
    for (let r = 0; r < t.rows; r++) {
      for (let i = 0; i <= n; i++) inputsOk &&= t.tokens[r * seqLen + i] === t.clean[r * seqLen + i];
      for (let i = n + 1; i < seqLen; i++) changed += t.changed[r * seqLen + i];
    }
    expect(inputsOk).toBe(true);
    expect(withinBinomial(changed, t.rows * n, (p * (V - 1)) / V)).toBe(true);
    expect(facts.train.noise.fraction_output_tokens_changed).toBeCloseTo(changed / (t.rows * n), 12);
    // a row is selected when at least one of its tokens was resampled
    expect(withinBinomial(t.noiseApplied.reduce((a, b) => a + b, 0), t.rows, 1 - (1 - p) ** n)).toBe(true);
  });

  it('never touches validation or test', () => {
    const { splits } = generateDataset(config({ noise: { kind: 'permute', p: 1 } }));
    for (const s of [splits.validation, splits.test]) {
      expect(s.tokens).toEqual(s.clean);
      expect(s.noiseApplied.every((x) => x === 0)).toBe(true);
    }
  });
});

describe('insert-sorted noise', () => {
  it('inserts k numbers from outside the list below its maximum at their sorted places, keeps the first n, and leaves the rest clean', () => {
    for (const k of [1, 2]) {
      const p = 0.4;
      const { splits } = generateDataset(config({ n_train: 5000, noise: { kind: 'insert-sorted', p, k } }));
      const t = splits.train;
      let selected = 0;
      for (let r = 0; r < t.rows; r++) {
        const row = rowsOf(t.tokens, r);
        const clean = rowsOf(t.clean, r);
        expect(Array.from(row.subarray(0, n + 1))).toEqual(Array.from(clean.subarray(0, n + 1)));
        const output = Array.from(row.subarray(n + 1));
        expect(output).toEqual(sortedCopy(row.subarray(n + 1))); // order kept
        if (!t.noiseApplied[r]) {
          expect(Array.from(row)).toEqual(Array.from(clean));
          continue;
        }
        selected++;
        const input = new Set(clean.subarray(0, n));
        const inserted = output.filter((v) => !input.has(v));
        // the smallest inserted number always stays; with k > 1 a later one can be pushed out with the list's largest
        expect(inserted.length).toBeGreaterThanOrEqual(1);
        expect(inserted.length).toBeLessThanOrEqual(k);
        const max = Math.max(...input);
        expect(inserted.every((v) => v < max)).toBe(true);
        // what remains of the list is its smallest n − k numbers
        expect(output.filter((v) => input.has(v))).toEqual(sortedCopy(clean.subarray(0, n)).slice(0, n - inserted.length));
      }
      expect(withinBinomial(selected, t.rows, p)).toBe(true);
    }
  });
});
