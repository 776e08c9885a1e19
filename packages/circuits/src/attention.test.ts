/**
 * The attention summary: a hand-made pattern with known answers, and the ARENA fixture's heads on
 * the default 200-sequence probe.
 */
import { describe, expect, it } from 'vitest';
import { loadWeights } from '@sortscope/model';
import { TfjsEngine } from '@sortscope/engine';
import { ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';
import { probeAttention, summariseAttention } from './attention.ts';
import { SMALL_CFG } from './testing.ts';

describe('summariseAttention', () => {
  const cfg = SMALL_CFG; // n = 4, positions 0..7, d_vocab 12 (numbers 0..10, SEP 11)
  const seqs = [
    [3, 1, 7, 5, 11, 1, 3, 5, 7],
    [0, 10, 4, 2, 11, 0, 2, 4, 10],
  ];
  const tokens = Uint8Array.from(seqs.flat());
  const P = 8;
  // head 0: all attention on the key holding the correct next token; head 1: uniform over keys 0..q
  const pattern = new Float32Array(2 * 2 * P * P);
  seqs.forEach((seq, r) => {
    for (let q = 0; q < P; q++) {
      const target = seq[q + 1];
      const key = seq.slice(0, 4).indexOf(target);
      if (q >= 4) pattern[((r * 2 + 0) * P + q) * P + key] = 1;
      for (let k = 0; k <= q; k++) pattern[((r * 2 + 1) * P + q) * P + k] = 1 / (q + 1);
    }
  });
  const [h0, h1] = summariseAttention(pattern, tokens, 2, cfg);

  it('gives 1 for a head that always attends to the correct token', () => {
    expect(h0.mean).toBe(1);
    expect(Array.from(h0.per_position)).toEqual([1, 1, 1, 1]);
    // correct next tokens: row 0 → 1 3 5 7, row 1 → 0 2 4 10; every other number never occurs
    expect(Array.from(h0.token_count)).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1]);
    expect(Array.from(h0.per_token).map((x) => (Number.isNaN(x) ? null : x))).toEqual([1, 1, 1, 1, 1, 1, null, 1, null, null, 1]);
  });

  it('gives 1/(q + 1) per output position for a uniform causal head', () => {
    Array.from(h1.per_position).forEach((x, k) => expect(x).toBeCloseTo(1 / (4 + k + 1), 7));
    expect(h1.per_token[1]).toBeCloseTo(1 / 5, 7); // token 1 is predicted at q = 4 (row 0)
    expect(h1.per_token[10]).toBeCloseTo(1 / 8, 7); // token 10 at q = 7 (row 1)
  });

  it('refuses a pattern of the wrong shape', () => {
    expect(() => summariseAttention(new Float32Array(10), tokens, 2, cfg)).toThrowError(/expected \[2, 2, 8, 8\]/);
  });
});

describe('ARENA fixture, 200 probe sequences', () => {
  it('head 0 attends to the correct next token relatively most on its copying range (28–36)', async () => {
    const w = loadWeights(ARENA_WEIGHTS);
    const engine = await TfjsEngine.create(w.cfg, { backend: 'wasm' });
    const [h0, h1] = probeAttention(engine, w.params, arenaEvalTokens(), 200, 500);
    const mean = (x: Float64Array, inside: boolean) => {
      const v = Array.from(x).filter((_, t) => (t >= 28 && t <= 36) === inside);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    // measured: head 0 0.412 on 28–36 against 0.228 elsewhere; head 1 0.430 against 0.464
    expect(mean(h0.per_token, true)).toBeCloseTo(0.412, 2);
    expect(mean(h0.per_token, false)).toBeCloseTo(0.228, 2);
    expect(mean(h1.per_token, true)).toBeLessThan(mean(h1.per_token, false));
    // head 0 out-attends head 1 only around the low end of its range: tokens 26–32
    expect(Array.from(h0.per_token.keys()).filter((t) => h0.per_token[t] > h1.per_token[t])).toEqual([26, 27, 28, 29, 30, 31, 32]);
    expect(h0.mean).toBeCloseTo(0.2586, 3);
    expect(h1.mean).toBeCloseTo(0.4574, 3);
    expect(h0.token_count.reduce((a, b) => a + b, 0)).toBe(200 * 10);
  });
});
