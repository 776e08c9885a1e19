/**
 * TransformerLens' "gpt2" initialisation from a seed: every weight matrix W_* (W_E, W_pos,
 * W_Q, W_K, W_V, W_O, W_U) ~ N(0, σ²) with σ = initializer_range = 0.8 / sqrt(d_model);
 * biases 0; LayerNorm weights 1 and biases 0. Stream: Rng.derive(seed, 'train', 'init').
 */
import { Rng } from '@sortscope/core';
import type { Layout } from './layout.ts';
import type { ModelConfig } from './model-config.ts';

export function initParams(cfg: ModelConfig, layout: Layout, seed: number): Float32Array {
  const params = new Float32Array(layout.size);
  const rng = Rng.derive(seed, 'train', 'init');
  const std = 0.8 / Math.sqrt(cfg.d_model);
  for (const p of layout.params) {
    const v = params.subarray(p.offset, p.offset + p.size);
    const leaf = p.name.split('.').pop()!;
    if (leaf.startsWith('W_')) rng.fillNormal(v, std);
    else if (leaf === 'w') v.fill(1);
    // b, b_Q, b_K, b_V, b_O, b_U: zero
  }
  return params;
}
