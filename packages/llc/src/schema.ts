/**
 * The llc stage's config section (science.md §4, devinterp v1.x semantics). Names map to
 * devinterp's: epsilon = `lr`, gamma = `localization`, nbeta = `nbeta`, chains = `num_chains`,
 * draws = `num_draws`, burnin = `num_burnin_steps`, steps_between_draws = `num_steps_bw_draws`.
 * nβ defaults to B / ln B of the SGLD batch size and is resolved here, once, so the value used
 * is the value recorded.
 *
 * The defaults are devinterp-typical (ε = 1e-4, γ = 100, B = 512, 8 chains × 400 draws). They
 * are NOT healthy for LayerNorm + weight-decay checkpoints such as ARENA's (science.md §4, the
 * pitfall): run `sortscope llc calibrate` and set epsilon/gamma per study.
 */
import { z } from 'zod';
import { defaultNbeta } from './sgld.ts';

export const TargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('head'), layer: z.int().min(0).default(0), head: z.int().min(0) }).strict(),
  z.object({ kind: z.literal('params'), names: z.array(z.string()).min(1) }).strict(),
]);

export type Target = z.output<typeof TargetSchema>;

export const LlcConfigSchema = z
  .object({
    epsilon: z.number().positive().default(1e-4).describe('SGLD step size ε (devinterp lr)'),
    gamma: z.number().min(0).default(100).describe('localization strength γ toward the checkpoint'),
    nbeta: z.number().positive().optional().describe('inverse temperature nβ [default: B / ln B of batch_size]'),
    batch_size: z.int().min(2).default(512).describe('SGLD minibatch size B (from the training set, reshuffled each epoch)'),
    chains: z.int().min(1).default(8).describe('independent chains per checkpoint'),
    draws: z.int().min(2).default(400).describe('draws per chain (draw 0 is at the checkpoint when burnin = 0)'),
    burnin: z.int().min(0).default(0).describe('SGLD steps before the first draw'),
    steps_between_draws: z.int().min(1).default(1).describe('SGLD steps between draws'),
    noise_level: z.number().min(0).default(1).describe('noise scale σ; anything but 1 breaks posterior sampling'),
    weight_decay: z.number().min(0).default(0).describe('Gaussian prior toward 0 (devinterp weight_decay)'),
    seed: z.int().min(0).default(0).describe('seed of the chains (data order and noise; the same at every checkpoint)'),
    targets: z
      .array(TargetSchema)
      .min(1)
      .default([{ kind: 'all' }])
      .describe('parameters to sample: all, a head ({kind: head, layer, head}: its W_Q, W_K, W_V, W_O), or named tensors'),
    checkpoints: z
      .object({
        every: z.int().min(1).default(1).describe('estimate at every k-th checkpoint (the last is always included)'),
        steps: z.array(z.int().min(0)).default([]).describe('estimate only at these training steps (overrides every)'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .transform((c) => ({ ...c, nbeta: c.nbeta ?? defaultNbeta(c.batch_size) }));

export type LlcConfig = z.output<typeof LlcConfigSchema>;

export function targetName(t: Target): string {
  if (t.kind === 'all') return 'all';
  if (t.kind === 'head') return `L${t.layer}H${t.head}`;
  return `params:${t.names.join('+')}`;
}
