/**
 * The two conventions for "the embeddings as the attention layer sees them and the unembedding
 * as the output sees it" (docs/science.md §3). Symbols → code:
 *
 *   E [d_vocab, d_model]   token embeddings seen by layer L        LayerInputs.E
 *   P [2n, d_model]        position embeddings of the fed positions LayerInputs.P
 *   U [d_model, d_vocab]   the unembedding                          LayerInputs.U
 *   W_Q, W_K, W_V [d_model, d_head], W_O [d_head, d_model] per head  LayerInputs.heads[h]
 *
 * raw-normalised (the ARENA fixture's definition):
 *   E[t] = LN(W_E[t]) ⊙ ln1.w,  LN(x) = (x − mean(x)) / sqrt(mean((x − mean(x))²) + eps), no ln1.b
 *   P[p] = LN(W_pos[p]) ⊙ ln1.w
 *   U    = diag(ln_final.w) · W_U
 *   W_*  as stored.
 * folded (TransformerLens' process_weights: fold_layer_norm + center_writing_weights + center_unembed):
 *   W_{Q,K,V}[h] ← diag(ln1.w) · W_{Q,K,V}[h], then minus its mean over the d_model (input) axis
 *                  (b_{Q,K,V}[h] ← b + ln1.b · W, before the fold)
 *   W_U ← diag(ln_final.w) · W_U, minus its mean over d_model       (b_U ← b_U + ln_final.b · W_U)
 *   W_E, W_pos ← rows minus their mean over d_model
 *   W_O[h] ← minus its mean over the output d_model axis;  b_O ← b_O − mean(b_O)
 *   W_U ← minus its mean over the vocabulary axis;          b_U ← b_U − mean(b_U)
 *   LayerNorms become LNPre (weight 1, bias 0); then E = W_E, P = W_pos[:2n], U = W_U, no LN division.
 * Without LayerNorm (cfg.layer_norm false), as in TransformerLens (which centres writing weights
 * only before a LayerNorm): folded = center_unembed only; raw-normalised = the raw matrices.
 * TransformerLens' optional fold_value_biases is not applied (biases are not part of the circuits).
 *
 * For a layer L > 0 both conventions use the token and position embeddings (the direct path into
 * layer L), with layer L's ln1 weight; contributions of earlier layers are not part of these circuits.
 */
import { ShapeError } from '@sortscope/core';
import { assertParamVector, type ModelConfig, paramLayout, processWeights, spec } from '@sortscope/model';
import { type Matrix, matrix, slab } from './matrix.ts';
import { CONVENTIONS, type Convention } from './schema.ts';

export { CONVENTIONS, type Convention };

export const CONVENTION_NOTES: Record<Convention, string> = {
  folded: 'TransformerLens process_weights: fold_layer_norm + center_writing_weights + center_unembed; E = W_E, P = W_pos, U = W_U after processing, no LayerNorm division (without LayerNorm: center_unembed only)',
  'raw-normalised': 'E = LN(W_E rows) * ln1.w and P = LN(W_pos rows) * ln1.w (no ln1.b), U = diag(ln_final.w) W_U (without LayerNorm: the raw matrices)',
};

export interface HeadWeights {
  /** [d_model, d_head] */
  W_Q: Matrix;
  W_K: Matrix;
  W_V: Matrix;
  /** [d_head, d_model] */
  W_O: Matrix;
}

export interface LayerInputs {
  /** [d_vocab, d_model] */
  E: Matrix;
  /** [2n, d_model] */
  P: Matrix;
  /** [d_model, d_vocab] */
  U: Matrix;
  heads: HeadWeights[];
}

/** LN(row) ⊙ w for every row (no bias): [rows, d_model]. */
function normaliseRows(m: Matrix, w: ArrayLike<number>, eps: number): Matrix {
  const out = matrix(m.rows, m.cols);
  const d = m.cols;
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += m.data[r * d + j];
    const mean = s / d;
    let ss = 0;
    for (let j = 0; j < d; j++) ss += (m.data[r * d + j] - mean) ** 2;
    const scale = 1 / Math.sqrt(ss / d + eps);
    for (let j = 0; j < d; j++) out.data[r * d + j] = (m.data[r * d + j] - mean) * scale * w[j];
  }
  return out;
}

/** diag(w) · M for M [len(w), cols]. */
function scaleRows(m: Matrix, w: ArrayLike<number>): Matrix {
  const out = matrix(m.rows, m.cols, m.data);
  for (let r = 0; r < m.rows; r++) for (let j = 0; j < m.cols; j++) out.data[r * m.cols + j] *= w[r];
  return out;
}

/** E, P, U and each head's weights of every layer, in one convention. */
export function circuitInputs(cfg: ModelConfig, params: Float32Array, convention: Convention): LayerInputs[] {
  const layout = paramLayout(cfg);
  assertParamVector(params, layout, 'circuitInputs: params');
  const source: ArrayLike<number> = convention === 'folded' ? processWeights(cfg, params) : params;
  const { d_model: d, d_head: dh, d_vocab: V, n_heads: H } = cfg;
  const P2 = 2 * cfg.list_length;
  if (P2 > cfg.n_ctx) throw new ShapeError(`circuitInputs: 2n = ${P2} fed positions exceed n_ctx = ${cfg.n_ctx}`);
  const mat = (name: string, rows: number, cols: number, within = 0) => slab(source, spec(layout, name).offset + within, rows, cols);
  const vec = (name: string) => slab(source, spec(layout, name).offset, 1, spec(layout, name).size).data;
  const WE = mat('embed.W_E', V, d); // [d_vocab, d_model]
  const Wpos = mat('pos_embed.W_pos', P2, d); // [2n, d_model]: the fed positions only
  const WU = mat('unembed.W_U', d, V); // [d_model, d_vocab]
  const rawNorm = convention === 'raw-normalised' && cfg.layer_norm;
  const U = rawNorm ? scaleRows(WU, vec('ln_final.w')) : WU;
  return Array.from({ length: cfg.n_layers }, (_, L) => {
    const w = rawNorm ? vec(`blocks.${L}.ln1.w`) : null;
    const heads = Array.from({ length: H }, (_, h) => ({
      W_Q: mat(`blocks.${L}.attn.W_Q`, d, dh, h * d * dh),
      W_K: mat(`blocks.${L}.attn.W_K`, d, dh, h * d * dh),
      W_V: mat(`blocks.${L}.attn.W_V`, d, dh, h * d * dh),
      W_O: mat(`blocks.${L}.attn.W_O`, dh, d, h * dh * d),
    }));
    return { E: w ? normaliseRows(WE, w, cfg.ln_eps) : WE, P: w ? normaliseRows(Wpos, w, cfg.ln_eps) : Wpos, U, heads };
  });
}
