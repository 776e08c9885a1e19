/**
 * Activations by TransformerLens hook name for many sequences (TransformerLens' `run_with_cache`):
 * the engine's forward pass in batches, each requested hook's values concatenated over the rows.
 *
 *   hook value of row r = forward(params, tokens[r, 0 : n_ctx − 1]).cache[hook]
 *
 * Shapes per row are TransformerLens' without the batch axis (engine.ts hookShape): [pos, d_model]
 * for the residual stream, embeddings and normalised streams; [pos, n_heads, d_head] for
 * hook_q/k/v/z; [n_heads, query pos, key pos] for hook_attn_scores and hook_pattern. The model is
 * fed the first n_ctx − 1 = 2·list_length tokens, as in training.
 */
import { allHooks, type Engine, type HookName, hookShape } from './engine.ts';
import type { ModelConfig } from '@sortscope/model';

export interface HookValues {
  /** [rows, …per-row shape] */
  shape: number[];
  /** row-major */
  data: Float32Array;
}

/**
 * The hook names a model has, from a list of names or 'all'. Throws a RangeError naming the
 * unknown name and the valid ones.
 */
export function resolveHooks(cfg: ModelConfig, requested: readonly string[]): HookName[] {
  const valid = allHooks(cfg);
  if (requested.length === 1 && requested[0] === 'all') return valid;
  if (requested.length === 0) throw new RangeError(`no hook named; expected 'all' or some of: ${valid.join(', ')}`);
  const out: HookName[] = [];
  for (const name of requested) {
    if (!valid.includes(name as HookName)) throw new RangeError(`unknown hook '${name}' for this model; expected 'all' or some of: ${valid.join(', ')}`);
    if (!out.includes(name as HookName)) out.push(name as HookName);
  }
  return out;
}

/** Bytes of float32 values the hooks take for `rows` sequences. */
export function activationBytes(cfg: ModelConfig, hooks: readonly HookName[], rows: number): number {
  return hooks.reduce((a, h) => a + 4 * hookShape(h, cfg, rows).reduce((x, y) => x * y, 1), 0);
}

/** Run the forward pass over `rows` sequences of `tokens` ([rows, n_ctx] uint8) and keep `hooks`. */
export function collectActivations(engine: Engine, params: Float32Array, tokens: Uint8Array, rows: number, hooks: readonly HookName[], opts: { batchSize?: number } = {}): Record<string, HookValues> {
  const cfg = engine.cfg;
  const ctx = cfg.n_ctx;
  if (tokens.length < rows * ctx) throw new RangeError(`collectActivations: ${tokens.length} tokens are fewer than ${rows} rows of ${ctx}`);
  const bs = opts.batchSize ?? 500;
  const out: Record<string, HookValues> = {};
  for (const h of hooks) {
    const shape = hookShape(h, cfg, rows);
    out[h] = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
  }
  for (let r = 0; r < rows; r += bs) {
    const b = Math.min(bs, rows - r);
    const { cache } = engine.forward(params, { tokens: tokens.subarray(r * ctx, (r + b) * ctx), rows: b }, { hooks });
    for (const h of hooks) {
      const a = cache[h];
      const perRow = out[h].data.length / rows;
      if (!a || a.data.length !== b * perRow) throw new RangeError(`collectActivations: the engine returned ${a ? a.data.length : 'no'} values for ${h}, expected ${b} rows × ${perRow}`);
      out[h].data.set(a.data, r * perRow); // [b, …] rows r..r+b of [rows, …]
    }
  }
  return out;
}
