/**
 * The canonical form of a checkpoint: one fixed representative of its orbit under the model's
 * symmetries (symmetries.ts), so that anything computed from it — the LLC above all — depends on
 * the function the weights compute and not on which of its many parametrizations training (or a
 * user) happened to pick. Every step leaves every output probability unchanged:
 *
 *  1. TransformerLens' process_weights (process-weights.ts): LayerNorm weights and biases folded
 *     into the readers, readers and writers centred over d_model, the unembedding over the vocabulary
 *     (kills: ln-fold, reader-shift, residual-shift, unembed-shift);
 *  2. b_K → 0 (kills b_K); b_V folded into b_O: b_O += Σ_h b_V[h]·W_O[h], b_V → 0 (kills b_V);
 *     W_pos[2n] → 0, the row never fed (kills unused-pos);
 *  3. the residual stream's scale (LayerNorm) or its whole linear frame (no LayerNorm):
 *     - LayerNorm: every writer × c with c = 1 / RMS of the layer-0 residual over all
 *       (token, position) pairs, RMS² = mean_{t,p} ‖W_E[t] + W_pos[p]‖² / d_model; ln_eps × c²
 *       (kills residual-scale: the RMS of c·x is 1 whatever x was);
 *     - no LayerNorm: writers · G^{-1/2}, readers · G^{1/2}, with G = the Gram matrix of the
 *       embeddings and b_O (Σ over their rows r of rᵀr), so the new Gram is the identity (kills
 *       residual-gl up to an orthogonal map, which the isotropic SGLD sampler does not see);
 *  4. per head, [W_Q; b_Q] and W_K replaced by the balanced factors of their product
 *     ([W_Q; b_Q]·W_Kᵀ = U·S·Vᵀ → U√S, V√S), and W_V, W_O (as W_Oᵀ) likewise (kills qk, ov).
 *
 * Head order is left alone: a permutation of the heads permutes coordinates, which an isotropic
 * sampler does not see either. `frozen` lists the coordinates this form fixes outright (LayerNorm
 * weights 1 and biases 0, b_K, b_V, the unused W_pos row): the LLC samples the others.
 */
import { type Layout, paramLayout, spec } from './layout.ts';
import { balancedFactors, svdSquare } from './linalg.ts';
import type { ModelConfig } from './model-config.ts';
import { processWeights } from './process-weights.ts';
import { rightMul, transpose2, Weights } from './symmetries.ts';

export interface CanonicalForm {
  /** the model configuration of the canonical weights (ln_eps changes with the residual scale) */
  cfg: ModelConfig;
  params: Float32Array;
  /** coordinates fixed by the form (not to be sampled) */
  frozen: Uint32Array;
  /** the factor the residual-stream writers were multiplied by (LayerNorm models; 1 otherwise) */
  residualScale: number;
}

export function canonicalForm(cfg: ModelConfig, params: ArrayLike<number>): CanonicalForm {
  const layout = paramLayout(cfg);
  const W = new Weights({ ...cfg }, processWeights(cfg, Float32Array.from(params)));
  const { d_model: d, d_head: dh, n_heads: H, n_layers: NL, d_vocab: V } = cfg;
  const P = 2 * cfg.list_length;

  // 2. redundant biases and the unused position
  for (let L = 0; L < NL; L++) {
    W.at(`blocks.${L}.attn.b_K`).fill(0);
    const bO = W.at(`blocks.${L}.attn.b_O`);
    for (let h = 0; h < H; h++) {
      const bV = W.head(`blocks.${L}.attn.b_V`, h, 1, dh);
      const wo = W.head(`blocks.${L}.attn.W_O`, h, dh, d);
      for (let k = 0; k < dh; k++) for (let j = 0; j < d; j++) bO[j] += bV[k] * wo[k * d + j];
      bV.fill(0);
    }
  }
  W.at('pos_embed.W_pos').fill(0, P * d, (P + 1) * d);

  // 3. the residual stream's scale or frame
  let residualScale = 1;
  if (cfg.layer_norm) {
    const E = W.at('embed.W_E');
    const Wp = W.at('pos_embed.W_pos');
    let ss = 0;
    for (let t = 0; t < V; t++) for (let p = 0; p < P; p++) for (let j = 0; j < d; j++) ss += (E[t * d + j] + Wp[p * d + j]) ** 2;
    const rms = Math.sqrt(ss / (V * P * d));
    if (rms > 0) {
      residualScale = 1 / rms;
      for (const name of W.writers()) W.at(name).forEach((x, i, a) => (a[i] = x * residualScale));
      W.cfg.ln_eps = cfg.ln_eps * residualScale * residualScale;
    }
  } else whitenResidual(W);

  // 4. balanced QK and OV factors per head
  for (let L = 0; L < NL; L++)
    for (let h = 0; h < H; h++) {
      const wq = W.head(`blocks.${L}.attn.W_Q`, h, d, dh);
      const bq = W.head(`blocks.${L}.attn.b_Q`, h, 1, dh);
      const wk = W.head(`blocks.${L}.attn.W_K`, h, d, dh);
      const qAug = new Float64Array((d + 1) * dh);
      qAug.set(wq);
      qAug.set(bq, d * dh);
      const qk = balancedFactors(qAug, d + 1, Float64Array.from(wk), d, dh);
      wq.set(qk.a.subarray(0, d * dh));
      bq.set(qk.a.subarray(d * dh));
      wk.set(qk.b);
      const wv = W.head(`blocks.${L}.attn.W_V`, h, d, dh);
      const wo = W.head(`blocks.${L}.attn.W_O`, h, dh, d);
      const ov = balancedFactors(Float64Array.from(wv), d, transpose2(wo, dh, d), d, dh);
      wv.set(ov.a);
      wo.set(transpose2(ov.b, d, dh));
    }
  return { cfg: W.cfg, params: W.params(), frozen: frozenIndices(cfg, layout), residualScale };
}

/**
 * no LayerNorm: writers · G^{-1/2}, readers · G^{1/2}, G = the Gram matrix of the pure writers
 * (W_E, the fed rows of W_pos, b_O: W_O is left out because the OV symmetry changes it). G is full
 * rank when d_model ≤ d_vocab + 2n + n_layers; beyond that the frame is fixed only on the span of
 * those writers (docs/llc.md).
 */
function whitenResidual(W: Weights): void {
  const { d_model: d, d_head: dh, n_heads: H, n_layers: NL, d_vocab: V } = W.cfg;
  const P = 2 * W.cfg.list_length;
  const G = new Float64Array(d * d);
  const rows: Float64Array[] = [W.at('embed.W_E'), W.at('pos_embed.W_pos').subarray(0, P * d)];
  for (let L = 0; L < NL; L++) rows.push(W.at(`blocks.${L}.attn.b_O`));
  for (const t of rows)
    for (let r = 0; r < t.length / d; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) G[i * d + j] += t[r * d + i] * t[r * d + j];
  const { u, s } = svdSquare(G, d); // G symmetric PSD: G = U S Uᵀ
  const floor = s[0] * 1e-12;
  const root = (p: number) => {
    const m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let x = 0;
      for (let k = 0; k < d; k++) x += u[i * d + k] * Math.max(s[k], floor) ** p * u[j * d + k];
      m[i * d + j] = x;
    }
    return m;
  };
  const inv = root(-0.5);
  const fwd = root(0.5);
  for (const name of W.writers()) {
    const t = W.at(name);
    t.set(rightMul(t, t.length / d, d, inv));
  }
  // a reader X [d, cols] becomes G^{1/2} X (G^{1/2} symmetric)
  const readers: [string, number, number][] = [['unembed.W_U', 1, V]];
  for (let L = 0; L < NL; L++) for (const X of ['Q', 'K', 'V']) readers.push([`blocks.${L}.attn.W_${X}`, H, dh]);
  for (const [name, heads, cols] of readers)
    for (let h = 0; h < heads; h++) {
      const blk = W.at(name).subarray(h * d * cols, (h + 1) * d * cols);
      blk.set(transpose2(rightMul(transpose2(blk, d, cols), cols, d, fwd), cols, d));
    }
}

function frozenIndices(cfg: ModelConfig, layout: Layout): Uint32Array {
  const out: number[] = [];
  const all = (name: string) => {
    const s = spec(layout, name);
    for (let i = 0; i < s.size; i++) out.push(s.offset + i);
  };
  for (let L = 0; L < cfg.n_layers; L++) {
    if (cfg.layer_norm) all(`blocks.${L}.ln1.w`), all(`blocks.${L}.ln1.b`);
    all(`blocks.${L}.attn.b_K`);
    all(`blocks.${L}.attn.b_V`);
  }
  if (cfg.layer_norm) all('ln_final.w'), all('ln_final.b');
  const pos = spec(layout, 'pos_embed.W_pos');
  for (let j = 0; j < cfg.d_model; j++) out.push(pos.offset + (cfg.n_ctx - 1) * cfg.d_model + j);
  return Uint32Array.from(out).sort();
}

/** the coordinates of `layout` not in `frozen` (sorted) */
export function sampledIndices(size: number, frozen: Uint32Array): Uint32Array {
  const skip = new Uint8Array(size);
  for (const i of frozen) skip[i] = 1;
  const out = new Uint32Array(size - frozen.length);
  let k = 0;
  for (let i = 0; i < size; i++) if (!skip[i]) out[k++] = i;
  return out;
}
