/**
 * The model's symmetries (symmetries.ts) leave every output probability unchanged, and the
 * canonical form (canonical.ts) both leaves them unchanged and maps every point of an orbit to
 * the same representative: on random models with and without LayerNorm, 1 and 2 layers.
 */
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { canonicalForm } from './canonical.ts';
import { paramLayout } from './layout.ts';
import type { ModelConfig } from './model-config.ts';
import { referenceLogits } from './reference.ts';
import { applySymmetry, SYMMETRIES, symmetryApplies } from './symmetries.ts';

const MODELS: ModelConfig[] = [
  { n_layers: 1, n_heads: 2, d_model: 12, d_head: 5, layer_norm: true, ln_eps: 1e-5, d_vocab: 9, list_length: 3, n_ctx: 7 },
  { n_layers: 2, n_heads: 3, d_model: 10, d_head: 4, layer_norm: true, ln_eps: 1e-5, d_vocab: 8, list_length: 3, n_ctx: 7 },
  { n_layers: 2, n_heads: 2, d_model: 10, d_head: 4, layer_norm: false, ln_eps: 1e-5, d_vocab: 8, list_length: 3, n_ctx: 7 },
];

interface Batch {
  tokens: Uint8Array;
  rows: number;
}

function setup(cfg: ModelConfig, seed: number): { params: Float32Array; batch: Batch } {
  const rng = Rng.derive(seed, 'canonical-test');
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.size);
  rng.fillNormal(params, 0.4);
  for (const p of layout.params) if (p.name.endsWith('.w')) for (let i = 0; i < p.size; i++) params[p.offset + i] += 1;
  const rows = 6;
  const tokens = new Uint8Array(rows * cfg.n_ctx);
  const sep = cfg.d_vocab - 1;
  for (let r = 0; r < rows; r++) {
    const nums = Array.from({ length: cfg.list_length }, () => rng.int(sep));
    tokens.set([...nums, sep, ...nums.slice().sort((a, b) => a - b)], r * cfg.n_ctx);
  }
  return { params, batch: { tokens, rows } };
}

/** log-probabilities at every fed position: [rows, 2n, d_vocab], from the float64 reference forward */
function logProbs(cfg: ModelConfig, params: Float32Array, batch: Batch): Float64Array {
  const logits = referenceLogits(cfg, params, batch.tokens, batch.rows);
  const V = cfg.d_vocab;
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / V; r++) {
    let mx = -Infinity;
    for (let t = 0; t < V; t++) mx = Math.max(mx, logits[r * V + t]);
    let s = 0;
    for (let t = 0; t < V; t++) s += Math.exp(logits[r * V + t] - mx);
    for (let t = 0; t < V; t++) out[r * V + t] = logits[r * V + t] - mx - Math.log(s);
  }
  return out;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each(MODELS.map((cfg) => [`${cfg.n_layers} layer(s), ${cfg.n_heads} heads, layer_norm ${cfg.layer_norm}`, cfg] as const))('%s', (_, cfg) => {
  const { params, batch } = setup(cfg, cfg.n_layers * 10 + cfg.n_heads);

  it('the canonical form computes the same probabilities', () => {
    const c = canonicalForm(cfg, params);
    expect(maxDiff(logProbs(c.cfg, c.params, batch), logProbs(cfg, params, batch))).toBeLessThan(2e-4);
    for (const i of c.frozen) expect(c.params[i] === 0 || c.params[i] === 1).toBe(true);
  });

  for (const s of SYMMETRIES) {
    if (!symmetryApplies(s, cfg) || s === 'reader-shift') continue;
    it(`${s}: same probabilities, and the same canonical form`, () => {
      const rng = Rng.derive(5, s);
      const t = applySymmetry(s, cfg, params, rng, 0.5);
      expect(maxDiff(t.params, params)).toBeGreaterThan(1e-3); // it did move the weights
      expect(maxDiff(logProbs(t.cfg, t.params, batch), logProbs(cfg, params, batch))).toBeLessThan(2e-4);
      const a = canonicalForm(cfg, params);
      const b = canonicalForm(t.cfg, t.params);
      expect(b.cfg.ln_eps / a.cfg.ln_eps).toBeCloseTo(1, 4);
      if (s === 'head-permutation' || s === 'residual-gl') return; // canonical up to an isometry of the coordinates
      expect(maxDiff(a.params, b.params)).toBeLessThan(2e-4);
    });
  }

  if (cfg.layer_norm)
    it('reader-shift (on the canonical form, where LayerNorm biases are 0): same probabilities and form', () => {
      const a = canonicalForm(cfg, params);
      const t = applySymmetry('reader-shift', a.cfg, a.params, Rng.derive(5, 'rs'), 0.5);
      expect(maxDiff(logProbs(t.cfg, t.params, batch), logProbs(cfg, params, batch))).toBeLessThan(2e-4);
      expect(maxDiff(canonicalForm(t.cfg, t.params).params, a.params)).toBeLessThan(2e-4);
    });
});
