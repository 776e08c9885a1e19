/**
 * TransformerLens' weight processing (`process_weights`: fold_layer_norm + center_writing_weights +
 * center_unembed) on the flat parameter vector. Used by the circuits stage (the "folded"
 * convention) and by the LLC's canonical form (canonical.ts). With LayerNorm, every function of
 * the model is unchanged: LayerNorm weights and biases are folded into the weights that read the
 * residual stream, whose columns are then centred over d_model (a LayerNorm output has mean 0, so
 * that component is never seen), the residual-stream writers are centred (a LayerNorm subtracts
 * the mean anyway) and the unembedding is centred over the vocabulary (softmax ignores a common
 * shift). Without LayerNorm only center_unembed applies.
 */
import { assertParamVector, paramLayout, spec } from './layout.ts';
import type { ModelConfig } from './model-config.ts';

/**
 * TransformerLens' weight processing applied to the flat vector: the folded model, in the same
 * layout, with every LayerNorm weight 1 and bias 0 (LNPre). Its log-softmax outputs equal the
 * original model's (its logits differ by a constant per position, from center_unembed).
 */
export function processWeights(cfg: ModelConfig, params: Float32Array): Float64Array {
  const layout = paramLayout(cfg);
  assertParamVector(params, layout, 'processWeights: params');
  const out = Float64Array.from(params);
  const at = (name: string) => {
    const s = spec(layout, name);
    return out.subarray(s.offset, s.offset + s.size);
  };
  const { d_model: d, d_head: dh, n_heads: H, d_vocab: V } = cfg;
  if (cfg.layer_norm) {
    for (let L = 0; L < cfg.n_layers; L++) {
      const w = at(`blocks.${L}.ln1.w`);
      const b = at(`blocks.${L}.ln1.b`);
      for (const X of ['Q', 'K', 'V']) {
        const W = at(`blocks.${L}.attn.W_${X}`); // [head, d_model, d_head]
        const bias = at(`blocks.${L}.attn.b_${X}`); // [head, d_head]
        for (let h = 0; h < H; h++) foldInto(W.subarray(h * d * dh, (h + 1) * d * dh), bias.subarray(h * dh, (h + 1) * dh), w, b, d, dh);
      }
      w.fill(1);
      b.fill(0);
    }
    const wf = at('ln_final.w');
    const bf = at('ln_final.b');
    foldInto(at('unembed.W_U'), at('unembed.b_U'), wf, bf, d, V); // W_U [d_model, d_vocab]
    wf.fill(1);
    bf.fill(0);
    // center_writing_weights: everything that writes to the residual stream has mean 0 over d_model
    centreRows(at('embed.W_E'), d);
    centreRows(at('pos_embed.W_pos'), d);
    for (let L = 0; L < cfg.n_layers; L++) {
      centreRows(at(`blocks.${L}.attn.W_O`), d); // [head·d_head, d_model]
      centreRows(at(`blocks.${L}.attn.b_O`), d);
    }
  }
  // center_unembed: logits minus their mean over the vocabulary (softmax is unchanged)
  centreRows(at('unembed.W_U'), V); // [d_model, d_vocab]
  centreRows(at('unembed.b_U'), V);
  return out;
}

/**
 * Fold a LayerNorm (weight w, bias b over the d_in axis) into the next weight W [d_in, d_out] and
 * bias [d_out], then centre W over d_in: bias += b · W; W ← diag(w) · W; W −= mean over d_in.
 */
export function foldInto(W: Float64Array, bias: Float64Array, w: Float64Array, b: Float64Array, dIn: number, dOut: number): void {
  for (let k = 0; k < dIn; k++) for (let e = 0; e < dOut; e++) bias[e] += b[k] * W[k * dOut + e];
  for (let k = 0; k < dIn; k++) for (let e = 0; e < dOut; e++) W[k * dOut + e] *= w[k];
  for (let e = 0; e < dOut; e++) {
    let s = 0;
    for (let k = 0; k < dIn; k++) s += W[k * dOut + e];
    const mean = s / dIn;
    for (let k = 0; k < dIn; k++) W[k * dOut + e] -= mean;
  }
}

/** Subtract from each row of a row-major [*, cols] array its mean. */
export function centreRows(a: Float64Array, cols: number): void {
  for (let r = 0; r < a.length / cols; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += a[r * cols + j];
    const mean = s / cols;
    for (let j = 0; j < cols; j++) a[r * cols + j] -= mean;
  }
}
