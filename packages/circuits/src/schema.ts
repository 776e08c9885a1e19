/**
 * The circuits stage's config section: the single source of truth for its defaults, flags,
 * messages and cache key. Defaults: both conventions, 200 relabelings for the Toeplitz null,
 * measures also without the first and last 2 number tokens, head specialisation on the
 * raw-normalised OV circuits (the ARENA fixture's convention), mean-ablation on 250 and attention
 * on 200 clean validation sequences per checkpoint (sized so ~100 checkpoints take under a minute
 * on 2 cores; README.md).
 */
import type { StageDef } from '@sortscope/core/stage';
import { z } from 'zod';

/** The conventions the OV and QK circuits can be read in (conventions.ts). */
export const CONVENTIONS = ['folded', 'raw-normalised'] as const;
export type Convention = (typeof CONVENTIONS)[number];

export const CircuitsConfigSchema = z
  .object({
    seed: z.int().min(0).default(0).describe('seed of the random vocabulary relabelings of the Toeplitz null'),
    conventions: z
      .array(z.enum(CONVENTIONS))
      .min(1)
      .default(['folded', 'raw-normalised'])
      .refine((a) => new Set(a).size === a.length, { message: 'expected each convention at most once' })
      .describe('conventions of E, P and U: folded (TransformerLens fold_layer_norm + center_writing_weights + center_unembed) and/or raw-normalised (LN-normalised embeddings times ln1.w, diag(ln_final.w) W_U)'),
    null_samples: z.int().min(0).max(100_000).default(200).describe('random relabelings in the null distribution of the Toeplitz explained variance (0: no z or p)'),
    edge_tokens: z.int().min(0).default(2).describe('number tokens dropped at each end for the "_inner" measures'),
    ablation_rows: z.int().min(0).default(250).describe('clean validation sequences for the per-head mean-ablation loss increase (0: skip)'),
    probe_rows: z.int().min(0).default(200).describe('clean validation sequences (the first ones) of the attention probe (0: skip)'),
    batch_size: z.int().min(1).default(500).describe('sequences per forward pass'),
    specialisation: z
      .object({
        convention: z.enum(CONVENTIONS).default('raw-normalised').describe('convention of the OV and QK circuits that decide which head copies which token'),
      })
      .strict()
      .prefault({})
      .describe('head specialisation: copier per token, vocabulary regions, copying-range overlap, copy suppression'),
  })
  .strict();

export type CircuitsConfig = z.output<typeof CircuitsConfigSchema>;

/** The stage's declaration (name, version, config schema, upstream): light, so planning and the Nx plugin need not load the stage's code. */
export const circuitsStage: StageDef<typeof CircuitsConfigSchema> = {
  name: 'circuits',
  // 2 (2026-12-07, issue #30): measures.arrow and specialisation.arrow (schema v2) write null, not a
  // NaN or −1 sentinel, where a value does not apply (io.ts). The numbers are unchanged.
  version: '2',
  summary: 'QK/OV circuits in the vocabulary basis at every checkpoint, translational-symmetry measures with a relabeling null, head specialisation, ablations and attention.',
  schema: CircuitsConfigSchema,
  upstream: ['dataset', 'train'],
};
