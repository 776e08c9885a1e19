/**
 * A plain-loop float64 restatement of the model's forward pass and loss, independent of tfjs:
 * the oracle the engines are tested against (golden logits, finite-difference gradients).
 * Slow and simple on purpose; see tfjs/forward.ts for the formulas.
 */
import { type Layout, paramLayout } from './layout.ts';
import type { ModelConfig } from './model-config.ts';
import { IGNORE } from './model-config.ts';

type Vec = Float64Array;

function get(params: ArrayLike<number>, layout: Layout, name: string): Vec {
  const s = layout.params.find((p) => p.name === name)!;
  return Float64Array.from({ length: s.size }, (_, i) => params[s.offset + i]);
}

function layerNorm(x: Vec, d: number, w: Vec, b: Vec, eps: number): Vec {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i] / d;
    let ms = 0;
    for (let i = 0; i < d; i++) ms += (x[r * d + i] - mean) ** 2 / d;
    const scale = Math.sqrt(ms + eps);
    for (let i = 0; i < d; i++) out[r * d + i] = ((x[r * d + i] - mean) / scale) * w[i] + b[i];
  }
  return out;
}

/** Logits [rows, 2n, d_vocab] for full sequences [rows, n_ctx] (the first 2n tokens are fed). */
export function referenceLogits(cfg: ModelConfig, params: ArrayLike<number>, tokens: Uint8Array, rows: number): Float64Array {
  const layout = paramLayout(cfg);
  const { d_model: d, n_heads: H, d_head: dh, d_vocab: V, n_ctx } = cfg;
  const P = 2 * cfg.list_length;
  const WE = get(params, layout, 'embed.W_E');
  const Wpos = get(params, layout, 'pos_embed.W_pos');
  const logits = new Float64Array(rows * P * V);
  for (let r = 0; r < rows; r++) {
    let resid = new Float64Array(P * d); // [pos, d_model]
    for (let p = 0; p < P; p++) for (let i = 0; i < d; i++) resid[p * d + i] = WE[tokens[r * n_ctx + p] * d + i] + Wpos[p * d + i];
    for (let L = 0; L < cfg.n_layers; L++) {
      const pre = `blocks.${L}`;
      const x = cfg.layer_norm ? layerNorm(resid, d, get(params, layout, `${pre}.ln1.w`), get(params, layout, `${pre}.ln1.b`), cfg.ln_eps) : resid;
      const [WQ, WK, WV, WO, bQ, bK, bV, bO] = ['W_Q', 'W_K', 'W_V', 'W_O', 'b_Q', 'b_K', 'b_V', 'b_O'].map((n) => get(params, layout, `${pre}.attn.${n}`));
      const out = new Float64Array(P * d);
      for (let p = 0; p < P; p++) for (let i = 0; i < d; i++) out[p * d + i] = bO[i];
      for (let h = 0; h < H; h++) {
        const proj = (W: Vec, b: Vec) => {
          const y = new Float64Array(P * dh); // [pos, d_head]
          for (let p = 0; p < P; p++)
            for (let j = 0; j < dh; j++) {
              let s = b[h * dh + j];
              for (let i = 0; i < d; i++) s += x[p * d + i] * W[(h * d + i) * dh + j];
              y[p * dh + j] = s;
            }
          return y;
        };
        const q = proj(WQ, bQ);
        const k = proj(WK, bK);
        const v = proj(WV, bV);
        for (let qp = 0; qp < P; qp++) {
          const scores = new Float64Array(P);
          let max = -Infinity;
          for (let kp = 0; kp < P; kp++) {
            let s = 0;
            for (let j = 0; j < dh; j++) s += q[qp * dh + j] * k[kp * dh + j];
            scores[kp] = kp > qp ? IGNORE : s / Math.sqrt(dh);
            max = Math.max(max, scores[kp]);
          }
          let z = 0;
          for (let kp = 0; kp < P; kp++) z += scores[kp] = Math.exp(scores[kp] - max);
          const zv = new Float64Array(dh); // this head's z at qp
          for (let kp = 0; kp < P; kp++) for (let j = 0; j < dh; j++) zv[j] += (scores[kp] / z) * v[kp * dh + j];
          for (let i = 0; i < d; i++) {
            let s = 0;
            for (let j = 0; j < dh; j++) s += zv[j] * WO[(h * dh + j) * d + i];
            out[qp * d + i] += s;
          }
        }
      }
      resid = resid.map((v, i) => v + out[i]);
    }
    const xf = cfg.layer_norm ? layerNorm(resid, d, get(params, layout, 'ln_final.w'), get(params, layout, 'ln_final.b'), cfg.ln_eps) : resid;
    const WU = get(params, layout, 'unembed.W_U');
    const bU = get(params, layout, 'unembed.b_U');
    for (let p = 0; p < P; p++)
      for (let t = 0; t < V; t++) {
        let s = bU[t];
        for (let i = 0; i < d; i++) s += xf[p * d + i] * WU[i * V + t];
        logits[(r * P + p) * V + t] = s;
      }
  }
  return logits;
}

/** Mean cross-entropy over rows × n scored positions (float64). */
export function referenceLoss(cfg: ModelConfig, params: ArrayLike<number>, tokens: Uint8Array, rows: number): number {
  const logits = referenceLogits(cfg, params, tokens, rows);
  const n = cfg.list_length;
  const P = 2 * n;
  const V = cfg.d_vocab;
  let total = 0;
  for (let r = 0; r < rows; r++)
    for (let t = 0; t < n; t++) {
      const row = logits.subarray((r * P + n + t) * V, (r * P + n + t + 1) * V);
      const max = Math.max(...row);
      let z = 0;
      for (const v of row) z += Math.exp(v - max);
      total += max + Math.log(z) - row[tokens[r * cfg.n_ctx + n + 1 + t]];
    }
  return total / (rows * n);
}
