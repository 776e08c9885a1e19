/**
 * Which coordinates of the flat parameter vector a target samples (weight-restricted LLC):
 * `all` → every parameter; a head (layer L, head h) → the h-th slices of blocks.L.attn.W_Q, W_K,
 * W_V ([n_heads, d_model, d_head]), W_O ([n_heads, d_head, d_model]) and b_Q, b_K, b_V
 * ([n_heads, d_head]): its QK and OV weights and biases (under the canonical form b_K and b_V are
 * 0 and fixed: b_K never changes a softmax, and b_V acts only through b_O); `params` → whole named
 * tensors. Everything else stays at the checkpoint.
 */
import { ConfigError } from '@sortscope/core';
import { indicesOf, type Layout, spec } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import type { Target } from './schema.ts';

export function targetIndices(t: Target, layout: Layout, cfg: ModelConfig): Uint32Array | null {
  if (t.kind === 'all') return null;
  if (t.kind === 'params') {
    try {
      return indicesOf(layout, t.names);
    } catch (err) {
      throw new ConfigError(`llc.targets: ${(err as Error).message}`);
    }
  }
  if (t.layer >= cfg.n_layers || t.head >= cfg.n_heads) {
    throw new ConfigError(`llc.targets: got head ${t.layer}.${t.head}; expected layer < ${cfg.n_layers} and head < ${cfg.n_heads}`);
  }
  const out: number[] = [];
  for (const [name, per] of [
    ['W_Q', cfg.d_model * cfg.d_head],
    ['W_K', cfg.d_model * cfg.d_head],
    ['W_V', cfg.d_model * cfg.d_head],
    ['W_O', cfg.d_model * cfg.d_head],
    ['b_Q', cfg.d_head],
    ['b_K', cfg.d_head],
    ['b_V', cfg.d_head],
  ] as const) {
    const s = spec(layout, `blocks.${t.layer}.attn.${name}`);
    for (let j = 0; j < per; j++) out.push(s.offset + t.head * per + j);
  }
  return Uint32Array.from(out).sort();
}
