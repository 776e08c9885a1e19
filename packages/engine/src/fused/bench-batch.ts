/**
 * The model and the batches every speed measurement of the fused engine uses (bench.ts,
 * profile.ts, flops.ts, peak.ts): ARENA's baseline model and rows of 10 distinct numbers of
 * 0 … 49, SEP (51), the same numbers sorted, seeded by the batch size.
 */
import { Rng } from '@sortscope/core';
import type { Batch } from '../engine.ts';
import type { ModelConfig } from '@sortscope/model';

/** 1 layer, 2 heads, d_model 96, d_head 48, d_vocab 52, lists of 10 (49,684 parameters) */
export const BASELINE: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 96, d_head: 48, layer_norm: true, ln_eps: 1e-5, d_vocab: 52, n_ctx: 21, list_length: 10 };

export function benchBatch(rows: number, seed = rows): Batch {
  const rng = Rng.derive(seed, 'bench-batch');
  const tokens = new Uint8Array(rows * 21);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from(rng.permutation(50).subarray(0, 10));
    tokens.set([...nums, 51, ...nums.sort((a, b) => a - b)], r * 21);
  }
  return { tokens, rows };
}
