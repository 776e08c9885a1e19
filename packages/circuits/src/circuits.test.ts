/**
 * The circuits against explicit sums over the parameter vector (no matrix helpers), on a random
 * model without LayerNorm so that both conventions' E, P, U are the stored matrices (up to
 * folded's centring of U, checked in conventions.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { paramLayout, spec } from '@sortscope/model';
import { CIRCUIT_KINDS, headCircuits } from './circuits.ts';
import { circuitInputs } from './conventions.ts';
import { randomParams, SMALL_CFG } from './testing.ts';

const cfg = { ...SMALL_CFG, layer_norm: false, n_heads: 3 };
const params = randomParams(cfg, 7);
const layout = paramLayout(cfg);
const { d_model: d, d_head: dh, d_vocab: V } = cfg;
const P2 = 2 * cfg.list_length;
const at = (name: string, i: number) => params[spec(layout, name).offset + i];
const WE = (t: number, k: number) => at('embed.W_E', t * d + k);
const Wpos = (p: number, k: number) => at('pos_embed.W_pos', p * d + k);
const W = (X: string, h: number, k: number, e: number) => at(`blocks.0.attn.W_${X}`, (h * d + k) * dh + e);
const WO = (h: number, e: number, k: number) => at('blocks.0.attn.W_O', (h * dh + e) * d + k);
const WU = (k: number, v: number) => at('unembed.W_U', k * V + v);

/** x · W_X[h] for an embedding row x(k): [d_head]. */
const proj = (x: (k: number) => number, X: string, h: number) => Array.from({ length: dh }, (_, e) => Array.from({ length: d }, (_, k) => x(k) * W(X, h, k, e)).reduce((a, b) => a + b, 0));

describe('head circuits', () => {
  const [inp] = circuitInputs(cfg, params, 'raw-normalised');
  const h = 2;
  const c = headCircuits(inp, h);

  it('have the documented shapes', () => {
    expect(CIRCUIT_KINDS.map((k) => [c[k].ldim, c[k].rdim])).toEqual([
      [V, V],
      [V, V],
      [P2, V],
    ]);
  });

  it('QK[q, k] = (W_E[q] W_Q) · (W_E[k] W_K), QK_pos[p, k] = (W_pos[p] W_Q) · (W_E[k] W_K)', () => {
    const keys = Array.from({ length: V }, (_, t) => proj((k) => WE(t, k), 'K', h));
    const qk = c.QK.dense();
    const qkPos = c.QK_pos.dense();
    for (let q = 0; q < V; q++) {
      const query = proj((k) => WE(q, k), 'Q', h);
      for (let t = 0; t < V; t++) expect(qk.data[q * V + t]).toBeCloseTo(query.reduce((a, x, e) => a + x * keys[t][e], 0), 10);
    }
    for (let p = 0; p < P2; p++) {
      const query = proj((k) => Wpos(p, k), 'Q', h);
      for (let t = 0; t < V; t++) expect(qkPos.data[p * V + t]).toBeCloseTo(query.reduce((a, x, e) => a + x * keys[t][e], 0), 10);
    }
  });

  it('OV[s, v] = W_E[s] W_V W_O W_U[:, v]', () => {
    const ov = c.OV.dense();
    for (let s = 0; s < V; s++) {
      const z = proj((k) => WE(s, k), 'V', h); // [d_head]
      const out = Array.from({ length: d }, (_, k) => z.reduce((a, x, e) => a + x * WO(h, e, k), 0)); // [d_model]
      for (let v = 0; v < V; v++) expect(ov.data[s * V + v]).toBeCloseTo(out.reduce((a, x, k) => a + x * WU(k, v), 0), 10);
    }
  });
});
