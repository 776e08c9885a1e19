import { describe, expect, it } from 'vitest';
import { bayesLoss, insertMixture, mixtureEntropy, permuteEntropy, replaceMixture, tokenNoiseEntropy } from './bayes.ts';
import { generateDataset } from './dataset.ts';
import { vocabOf } from './schema.ts';
import { config, empiricalConditionalEntropy } from './testing.ts';

function permutations(a: number[]): number[][] {
  if (a.length <= 1) return [a];
  return a.flatMap((x, i) => permutations([...a.slice(0, i), ...a.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('Bayes loss: closed forms', () => {
  it('permute at p = 1 is ln(n − t), mean ln(10!)/10 = 1.5104', () => {
    const c = config({ noise: { kind: 'permute', p: 1 } });
    const b = bayesLoss(c, vocabOf(c), new Uint8Array(0), new Uint32Array(0));
    expect(b.method).toBe('closed-form');
    b.per_position.forEach((h, t) => expect(h).toBeCloseTo(Math.log(10 - t), 12));
    expect(b.mean).toBeCloseTo(1.5104412573, 9);
  });

  it('clean data and p = 0 have zero Bayes loss', () => {
    for (const noise of [{ kind: 'none' }, { kind: 'permute', p: 0 }, { kind: 'token', p: 0 }]) {
      const c = config({ noise });
      expect(bayesLoss(c, vocabOf(c), new Uint8Array(0), new Uint32Array(0)).per_position).toEqual(Array(10).fill(0));
    }
  });

  it('permute formula equals exact enumeration over all n! permutations', () => {
    const n = 4;
    const sorted = [0, 1, 2, 3];
    for (const p of [0.1, 0.5, 0.9]) {
      const perms = permutations(sorted);
      const seqs = [Uint8Array.from(sorted), ...perms.map((q) => Uint8Array.from(q))];
      const weights = Float64Array.from([1 - p, ...perms.map(() => p / perms.length)]);
      const H = mixtureEntropy(seqs, weights, n);
      for (let t = 0; t < n; t++) expect(permuteEntropy(p, n, t)).toBeCloseTo(H[t], 12);
    }
  });

  it('token formula equals exact enumeration over all V^n outputs', () => {
    const n = 3;
    const V = 4;
    const p = 0.3;
    const truth = [0, 2, 3];
    const seqs: Uint8Array[] = [];
    const weights: number[] = [];
    for (let code = 0; code < V ** n; code++) {
      const seq = [code % V, Math.floor(code / V) % V, Math.floor(code / V ** 2)];
      seqs.push(Uint8Array.from(seq));
      weights.push(seq.reduce((w, v, i) => w * ((v === truth[i] ? 1 - p : 0) + p / V), 1));
    }
    const H = mixtureEntropy(seqs, Float64Array.from(weights), n);
    for (let t = 0; t < n; t++) expect(tokenNoiseEntropy(p, V)).toBeCloseTo(H[t], 12);
  });

  it('replace-sorted mixture has 1 + C(n,k)·C(V−n,k) sorted targets summing to 1', () => {
    const c = config({ noise: { kind: 'replace-sorted', p: 0.3, k: 2 } });
    const { seqs, weights } = replaceMixture(Uint8Array.from([1, 5, 9, 13, 17, 21, 25, 29, 33, 37]), 0.3, 2, vocabOf(c));
    expect(seqs).toHaveLength(1 + 45 * 820);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(seqs.every((s) => s.every((v, i) => i === 0 || v > s[i - 1]))).toBe(true);
  });
});

describe('Bayes loss against Monte Carlo (the plug-in conditional entropy of generated data)', () => {
  // a tiny vocabulary so every context is seen thousands of times
  const tiny = { list_length: 3, max_number: 5, n_train: 300_000, n_validation: 1, n_test: 0 };
  const cases: Record<string, unknown>[] = [
    { kind: 'permute', p: 0.6 },
    // noisy prefixes multiply the contexts by V^t: a smaller range keeps each one well sampled
    { kind: 'token', p: 0.25, max_number: 3 },
    { kind: 'replace-sorted', p: 0.5, k: 1 },
    { kind: 'replace-sorted', p: 0.7, k: 2 },
    { kind: 'replace-sorted', p: 0.5, k: 1, side: 'input' },
  ];
  for (const noise of cases) {
    it(`${noise.kind} ${JSON.stringify(noise)}`, () => {
      const { max_number, ...rest } = noise;
      const c = config({ ...tiny, ...(max_number === undefined ? {} : { max_number }), noise: rest });
      const { splits, bayes } = generateDataset(c);
      const mc = empiricalConditionalEntropy(splits.train.tokens, splits.train.rows, 3);
      expect(bayes.per_position).toHaveLength(3);
      bayes.per_position.forEach((h, t) => {
        const sampling = bayes.stderr ? 4 * bayes.stderr[t] : 0;
        expect(Math.abs(h - mc[t])).toBeLessThan(0.01 + sampling);
      });
    });
  }
});

describe('insert-sorted Bayes loss', () => {
  it('at p = 1, k = 1 the targets are the m numbers below the maximum, equally likely: Σ_t H_t = ln m', () => {
    const c = config({ noise: { kind: 'insert-sorted', p: 1, k: 1 } });
    const set = Uint8Array.from([1, 5, 9, 13, 17, 21, 25, 29, 33, 37]); // 37 − 10 + 1 − … : numbers 0..36 not in the set
    const m = 37 - 9; // 0..36 has 37 numbers, 9 of them in the set
    const { seqs, weights } = insertMixture(set, 1, 1, vocabOf(c));
    const H = mixtureEntropy(seqs, weights, 10);
    expect(H.reduce((a, b) => a + b, 0)).toBeCloseTo(Math.log(m), 10);
    // a list with no gap below its maximum cannot be corrupted: entropy 0
    const full = insertMixture(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 1, 1, vocabOf(c));
    expect(mixtureEntropy(full.seqs, full.weights, 10).every((h) => h === 0)).toBe(true);
  });
});
