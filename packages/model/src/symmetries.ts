/**
 * The continuous (and a few discrete) symmetries of the attention-only transformer: maps of the
 * parameters that leave every output probability unchanged. They matter for the LLC, which is a
 * property of the function near a checkpoint and so must not change under any of them
 * (docs/llc.md lists them with the reasoning). Each returns new (cfg, params); `rng` draws the
 * group element, `size` sets how far from the identity it is (0 = identity).
 *
 * With LayerNorm (pre-LN, TransformerLens, every reader of the residual stream is a LayerNorm):
 *   residual-scale   W_E, W_pos, W_O, b_O × c and ln_eps × c²         (LayerNorm is scale-free up to eps)
 *   residual-shift   writers' rows + a·1                                (LayerNorm subtracts the mean)
 *   ln-fold          ln.w, ln.b × s_i per coordinate, readers' row i ÷ s_i (ln1 → W_Q,W_K,W_V; ln_final → W_U)
 *   reader-shift     W_Q, W_K, W_V, W_U + 1·uᵀ (only once the LayerNorm bias is 0: the input is then centred)
 * Without LayerNorm:
 *   residual-gl      writers · M, readers · M⁻¹ for any invertible M [d_model, d_model]
 * Always:
 *   qk               [W_Q; b_Q] · A, [W_K; b_K] · A⁻ᵀ per head, A ∈ GL(d_head)
 *   ov               W_V · B, b_V · B, B⁻¹ · W_O per head, B ∈ GL(d_head)
 *   b_K              any b_K (it adds a constant to all of a query's scores)
 *   b_V              b_V + δ, b_O − δ·W_O (attention weights sum to 1)
 *   unembed-shift    W_U + v·1ᵀ, b_U + k·1 (softmax ignores a common shift of the logits)
 *   unused-pos       W_pos[2n] (row n_ctx − 1 is never fed)
 *   head-permutation the heads of a layer in another order
 */
import type { Rng } from '@sortscope/core';
import { type Layout, paramLayout, spec } from './layout.ts';
import type { ModelConfig } from './model-config.ts';

export const SYMMETRIES = ['residual-scale', 'residual-shift', 'ln-fold', 'reader-shift', 'residual-gl', 'qk', 'ov', 'b_K', 'b_V', 'unembed-shift', 'unused-pos', 'head-permutation'] as const;
export type Symmetry = (typeof SYMMETRIES)[number];

/** whether the symmetry exists for this architecture */
export function symmetryApplies(s: Symmetry, cfg: ModelConfig): boolean {
  if (s === 'residual-scale' || s === 'residual-shift' || s === 'ln-fold' || s === 'reader-shift') return cfg.layer_norm;
  if (s === 'residual-gl') return !cfg.layer_norm;
  if (s === 'head-permutation') return cfg.n_heads > 1;
  return true;
}

/** a random invertible [k, k] matrix I + size·N (well conditioned for size ≲ 0.5), and its inverse */
export function randomInvertible(k: number, size: number, rng: Rng): { m: Float64Array; inv: Float64Array } {
  const m = new Float64Array(k * k);
  for (let i = 0; i < k * k; i++) m[i] = rng.normal() * size / Math.sqrt(k);
  for (let i = 0; i < k; i++) m[i * k + i] += 1;
  return { m, inv: invert(m, k) };
}

/** Gauss–Jordan inverse with partial pivoting */
export function invert(a: Float64Array, k: number): Float64Array {
  const w = Float64Array.from(a);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(w[r * k + c]) > Math.abs(w[p * k + c])) p = r;
    if (w[p * k + c] === 0) throw new RangeError('invert: singular matrix');
    for (const m of [w, inv]) for (let j = 0; j < k; j++) [m[c * k + j], m[p * k + j]] = [m[p * k + j], m[c * k + j]];
    const d = w[c * k + c];
    for (let j = 0; j < k; j++) (w[c * k + j] /= d), (inv[c * k + j] /= d);
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = w[r * k + c];
      if (f === 0) continue;
      for (let j = 0; j < k; j++) (w[r * k + j] -= f * w[c * k + j]), (inv[r * k + j] -= f * inv[c * k + j]);
    }
  }
  return inv;
}

/** X [rows, k] ← X · M (M [k, k]) in place, for a row-major slice */
export function rightMul(x: Float64Array, rows: number, k: number, m: Float64Array, kOut = k): Float64Array {
  const out = new Float64Array(rows * kOut);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < kOut; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[r * k + i] * m[i * kOut + j];
      out[r * kOut + j] = s;
    }
  return out;
}

/** A float64 working copy of the parameters with named, mutable tensor views. */
export class Weights {
  readonly layout: Layout;
  readonly w: Float64Array;
  constructor(
    public cfg: ModelConfig,
    params: ArrayLike<number>,
  ) {
    this.layout = paramLayout(cfg);
    this.w = Float64Array.from(params);
  }
  at(name: string): Float64Array {
    const s = spec(this.layout, name);
    return this.w.subarray(s.offset, s.offset + s.size);
  }
  /** head h's [rows, cols] block of a [n_heads, rows, cols] tensor */
  head(name: string, h: number, rows: number, cols: number): Float64Array {
    return this.at(name).subarray(h * rows * cols, (h + 1) * rows * cols);
  }
  params(): Float32Array {
    return Float32Array.from(this.w);
  }
  /** the names of the tensors that write to / read from the residual stream */
  writers(): string[] {
    const out = ['embed.W_E', 'pos_embed.W_pos'];
    for (let L = 0; L < this.cfg.n_layers; L++) out.push(`blocks.${L}.attn.W_O`, `blocks.${L}.attn.b_O`);
    return out;
  }
}

/** Apply one symmetry with a random group element of the given size (see the file comment). */
export function applySymmetry(s: Symmetry, cfg: ModelConfig, params: ArrayLike<number>, rng: Rng, size = 0.5): { cfg: ModelConfig; params: Float32Array } {
  if (!symmetryApplies(s, cfg)) throw new RangeError(`symmetry ${s} does not exist for this model (layer_norm ${cfg.layer_norm}, n_heads ${cfg.n_heads})`);
  const W = new Weights({ ...cfg }, params);
  const { d_model: d, d_head: dh, n_heads: H, d_vocab: V, n_layers: NL } = cfg;
  const readers: [string, number][] = [];
  for (let L = 0; L < NL; L++) for (const X of ['Q', 'K', 'V']) readers.push([`blocks.${L}.attn.W_${X}`, H]);
  switch (s) {
    case 'residual-scale': {
      const c = Math.exp(size * 2 * (rng.float() - 0.5) * Math.LN2 * 2); // c in [2^(−2·size), 2^(2·size)]
      for (const name of W.writers()) W.at(name).forEach((x, i, a) => (a[i] = x * c));
      W.cfg.ln_eps = cfg.ln_eps * c * c;
      break;
    }
    case 'residual-shift':
      for (const name of W.writers()) {
        const t = W.at(name);
        for (let r = 0; r < t.length / d; r++) {
          const a = rng.normal() * size * 0.01;
          for (let j = 0; j < d; j++) t[r * d + j] += a;
        }
      }
      break;
    case 'ln-fold':
      for (let L = 0; L <= NL; L++) {
        const ln = L < NL ? `blocks.${L}.ln1` : 'ln_final';
        const sc = Array.from({ length: d }, () => Math.exp(size * rng.normal()) * (rng.float() < 0.1 * size ? -1 : 1));
        W.at(`${ln}.w`).forEach((x, i, a) => (a[i] = x * sc[i]));
        W.at(`${ln}.b`).forEach((x, i, a) => (a[i] = x * sc[i]));
        const reads = L < NL ? ['Q', 'K', 'V'].map((X) => `blocks.${L}.attn.W_${X}`) : ['unembed.W_U'];
        for (const name of reads) {
          const t = W.at(name);
          const cols = name === 'unembed.W_U' ? V : dh;
          const heads = name === 'unembed.W_U' ? 1 : H;
          for (let h = 0; h < heads; h++) for (let i = 0; i < d; i++) for (let e = 0; e < cols; e++) t[(h * d + i) * cols + e] /= sc[i];
        }
      }
      break;
    case 'reader-shift': {
      // valid only where the LayerNorm output is centred: its bias must be 0 (fold it first, as canonical form does)
      for (let L = 0; L <= NL; L++) if (W.at(L < NL ? `blocks.${L}.ln1.b` : 'ln_final.b').some((x) => x !== 0)) throw new RangeError('reader-shift needs LayerNorm biases of 0 (apply it to a canonical form)');
      for (const [name, heads] of [...readers, ['unembed.W_U', 1] as [string, number]]) {
        const t = W.at(name);
        const cols = name === 'unembed.W_U' ? V : dh;
        for (let h = 0; h < heads; h++)
          for (let e = 0; e < cols; e++) {
            const u = rng.normal() * size * 0.01;
            for (let i = 0; i < d; i++) t[(h * d + i) * cols + e] += u;
          }
      }
      break;
    }
    case 'residual-gl': {
      const { m, inv } = randomInvertible(d, size, rng);
      for (const name of W.writers()) {
        const t = W.at(name);
        t.set(rightMul(t, t.length / d, d, m));
      }
      // readers: row-space is the residual: X [d, cols] ← M⁻¹ X
      const invT = transpose(inv, d);
      for (const [name, heads] of [...readers, ['unembed.W_U', 1] as [string, number]]) {
        const t = W.at(name);
        const cols = name === 'unembed.W_U' ? V : dh;
        for (let h = 0; h < heads; h++) {
          const blk = t.subarray(h * d * cols, (h + 1) * d * cols);
          blk.set(transpose2(rightMul(transpose2(blk, d, cols), cols, d, invT), cols, d));
        }
      }
      break;
    }
    case 'qk':
    case 'ov':
      for (let L = 0; L < NL; L++)
        for (let h = 0; h < H; h++) {
          const { m, inv } = randomInvertible(dh, size, rng);
          const invT = transpose(inv, dh);
          if (s === 'qk') {
            for (const [name, rows, mat] of [
              [`blocks.${L}.attn.W_Q`, d, m],
              [`blocks.${L}.attn.b_Q`, 1, m],
              [`blocks.${L}.attn.W_K`, d, invT],
              [`blocks.${L}.attn.b_K`, 1, invT],
            ] as const) {
              const blk = W.head(name, h, rows, dh);
              blk.set(rightMul(blk, rows, dh, mat));
            }
          } else {
            for (const [name, rows] of [
              [`blocks.${L}.attn.W_V`, d],
              [`blocks.${L}.attn.b_V`, 1],
            ] as const) {
              const blk = W.head(name, h, rows, dh);
              blk.set(rightMul(blk, rows, dh, m));
            }
            const wo = W.head(`blocks.${L}.attn.W_O`, h, dh, d); // [dh, d] ← B⁻¹ W_O
            wo.set(transpose2(rightMul(transpose2(wo, dh, d), d, dh, invT), d, dh));
          }
        }
      break;
    case 'b_K':
      for (let L = 0; L < NL; L++) W.at(`blocks.${L}.attn.b_K`).forEach((x, i, a) => (a[i] = x + rng.normal() * size));
      break;
    case 'b_V':
      for (let L = 0; L < NL; L++) {
        const bO = W.at(`blocks.${L}.attn.b_O`);
        for (let h = 0; h < H; h++) {
          const bV = W.head(`blocks.${L}.attn.b_V`, h, 1, dh);
          const wo = W.head(`blocks.${L}.attn.W_O`, h, dh, d);
          for (let k = 0; k < dh; k++) {
            const delta = rng.normal() * size * 0.1;
            bV[k] += delta;
            for (let j = 0; j < d; j++) bO[j] -= delta * wo[k * d + j];
          }
        }
      }
      break;
    case 'unembed-shift': {
      const wu = W.at('unembed.W_U');
      for (let i = 0; i < d; i++) {
        const v = rng.normal() * size * 0.1;
        for (let t = 0; t < V; t++) wu[i * V + t] += v;
      }
      const k = rng.normal() * size;
      W.at('unembed.b_U').forEach((x, i, a) => (a[i] = x + k));
      break;
    }
    case 'unused-pos': {
      const row = W.at('pos_embed.W_pos').subarray((cfg.n_ctx - 1) * d, cfg.n_ctx * d);
      row.forEach((_, i, a) => (a[i] = rng.normal() * size));
      break;
    }
    case 'head-permutation':
      for (let L = 0; L < NL; L++) {
        const shift = 1 + rng.int(H - 1); // a cyclic shift, never the identity
        const perm = Array.from({ length: H }, (_, i) => (i + shift) % H);
        for (const [name, per] of [
          [`blocks.${L}.attn.W_Q`, d * dh],
          [`blocks.${L}.attn.W_K`, d * dh],
          [`blocks.${L}.attn.W_V`, d * dh],
          [`blocks.${L}.attn.W_O`, dh * d],
          [`blocks.${L}.attn.b_Q`, dh],
          [`blocks.${L}.attn.b_K`, dh],
          [`blocks.${L}.attn.b_V`, dh],
        ] as const) {
          const t = W.at(name);
          const old = Float64Array.from(t);
          perm.forEach((src, dst) => t.set(old.subarray(src * per, (src + 1) * per), dst * per));
        }
      }
      break;
  }
  return { cfg: W.cfg, params: W.params() };
}

/** transpose of a row-major [k, k] matrix */
function transpose(a: Float64Array, k: number): Float64Array {
  return transpose2(a, k, k);
}

/** transpose of a row-major [rows, cols] matrix → [cols, rows] */
export function transpose2(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}
