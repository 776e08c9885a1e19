/**
 * The model's shape: an attention-only transformer in TransformerLens' conventions
 * (HookedTransformer with attn_only=True). Defaults are ARENA's sorted-list model:
 * 1 layer, 2 heads, d_model 96, d_head 48, LayerNorm before attention and before the
 * unembedding, learned positions, untied unembedding. d_vocab and n_ctx come from the dataset.
 */
import { z } from 'zod';

export const ModelShapeSchema = z
  .object({
    n_layers: z.int().min(1).max(12).default(1).describe('attention layers'),
    n_heads: z.int().min(1).max(32).default(2).describe('attention heads per layer'),
    d_model: z.int().min(1).max(1024).default(96).describe('residual stream width'),
    d_head: z.int().min(1).max(512).default(48).describe('width of each head'),
    layer_norm: z.boolean().default(true).describe('LayerNorm (learnable weight and bias) before each attention layer and before the unembedding'),
    ln_eps: z.number().positive().default(1e-5).describe('LayerNorm epsilon'),
  })
  .strict();

export type ModelShape = z.output<typeof ModelShapeSchema>;

/** Everything the compute needs: the shape plus vocabulary and context from the data. */
export interface ModelConfig extends ModelShape {
  d_vocab: number;
  /** rows of W_pos (TransformerLens' n_ctx): the full sequence length 2n + 1 */
  n_ctx: number;
  /** numbers per list: the model is fed 2n tokens and scored at positions n … 2n − 1 */
  list_length: number;
}

export function modelConfig(shape: ModelShape, data: { d_vocab: number; list_length: number }): ModelConfig {
  return { ...shape, d_vocab: data.d_vocab, n_ctx: 2 * data.list_length + 1, list_length: data.list_length };
}

/** Positions fed to the model (2n) and the positions whose logits are scored (n … 2n − 1). */
export function positions(cfg: Pick<ModelConfig, 'list_length'>): { n_pos: number; first_scored: number; n_scored: number } {
  return { n_pos: 2 * cfg.list_length, first_scored: cfg.list_length, n_scored: cfg.list_length };
}

/** TransformerLens' IGNORE value for masked attention scores (the fixture's buffer holds −1e5). */
export const IGNORE = -1e5;
