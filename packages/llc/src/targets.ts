/**
 * Which coordinates of the flat parameter vector a target samples (weight-restricted LLC):
 * `all` → every parameter; a head (layer L, head h) → the h-th slices of blocks.L.attn.W_Q, W_K,
 * W_V ([n_heads, d_model, d_head]) and W_O ([n_heads, d_head, d_model]), its QK and OV weights;
 * `params` → whole named tensors. Everything else stays at the checkpoint.
 */
import { ConfigError } from '@sortscope/core';
import { indicesOf, type Layout, spec } from '@sortscope/train';
import type { ModelConfig } from '@sortscope/train';
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
  const per = cfg.d_model * cfg.d_head; // entries of one head's slice of each W
  const out = new Uint32Array(4 * per);
  ['W_Q', 'W_K', 'W_V', 'W_O'].forEach((w, k) => {
    const s = spec(layout, `blocks.${t.layer}.attn.${w}`);
    for (let j = 0; j < per; j++) out[k * per + j] = s.offset + t.head * per + j;
  });
  return out;
}
