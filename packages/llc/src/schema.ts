/**
 * The llc stage's config section. Two estimators (docs/llc.md):
 *
 *  - `canonical` (default): SGLD on the checkpoint's canonical form (train/canonical.ts: one fixed
 *    representative of its orbit under the model's symmetries), with the coordinates that form fixes
 *    left out, at the inverse temperature of the definition, nβ = n / ln n (n = training sequences),
 *    and a step size set from the curvature: ε = epsilon_fraction · 4 / (nβ·λ_max + γ), λ_max the
 *    top Hessian eigenvalue at the checkpoint. λ̂ depends on the function, not the parametrization.
 *  - `sgld`: devinterp v1.x exactly, on the raw parameters (names: epsilon = `lr`, gamma =
 *    `localization`, nbeta = `nbeta` [default B / ln B], chains = `num_chains`, draws = `num_draws`,
 *    burnin = `num_burnin_steps`, steps_between_draws = `num_steps_bw_draws`). Kept for comparison;
 *    on LayerNorm + weight-decay checkpoints it measures the weights' scale (docs/llc.md).
 *
 * epsilon and nbeta given explicitly override the method's rule. The resolved values are recorded
 * in every estimate.
 */
import { z } from 'zod';
import { NOISE_STREAMS } from './sgld.ts';

export const TargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('head'), layer: z.int().min(0).default(0), head: z.int().min(0) }).strict(),
  z.object({ kind: z.literal('params'), names: z.array(z.string()).min(1) }).strict(),
]);

export type Target = z.output<typeof TargetSchema>;

export const LlcConfigSchema = z
  .object({
    method: z.enum(['canonical', 'sgld']).default('canonical').describe('canonical: SGLD on the canonical form, nβ = n/ln n, ε from the curvature; sgld: devinterp on the raw parameters'),
    epsilon: z.number().positive().max(1).optional().describe('SGLD step size ε (devinterp lr) [default: canonical → epsilon_fraction · 4/(nβ·λ_max + γ); sgld → 1e-4]'),
    epsilon_fraction: z.number().positive().max(1).default(0.05).describe('canonical: ε as a fraction of the drift-stability limit 4/(nβ·λ_max + γ)'),
    gamma: z.number().min(0).default(100).describe('localization strength γ toward the checkpoint'),
    nbeta: z.number().positive().optional().describe('inverse temperature nβ [default: canonical → n/ln n of the training set; sgld → B/ln B of batch_size]'),
    batch_size: z.int().min(2).default(128).describe('SGLD minibatch size B (from the training set, reshuffled each epoch)'),
    chains: z.int().min(1).default(4).describe('independent chains per checkpoint'),
    init_batches: z
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('minibatches of batch_size rows on which L(w0) is measured; its error is shared by every chain and moves λ̂ by nβ times it [default: canonical → 32; sgld → chains, as devinterp]'),
    draws: z.int().min(2).default(500).describe('draws per chain'),
    burnin: z.int().min(0).default(500).describe('SGLD steps before the first draw'),
    steps_between_draws: z.int().min(1).default(1).describe('SGLD steps between draws'),
    noise_level: z.number().min(0).default(1).describe('noise scale σ; anything but 1 breaks posterior sampling'),
    noise_stream: z
      .enum(NOISE_STREAMS)
      .optional()
      .describe("how each chain draws its Gaussian noise from its stream: box-muller [default; every committed result] or ziggurat (3–5× cheaper to draw; 10–13% more chain steps per second at batch 64; another stream, so other λ̂ within the Monte Carlo spread)"),
    weight_decay: z.number().min(0).default(0).describe('Gaussian prior toward 0 (devinterp weight_decay)'),
    seed: z.int().min(0).default(0).describe('seed of the chains (data order and noise; the same at every checkpoint)'),
    targets: z
      .array(TargetSchema)
      .min(1)
      .default([{ kind: 'all' }])
      .describe('parameters to sample: all, a head ({kind: head, layer, head}: its W_Q, W_K, W_V, W_O, b_Q, b_K, b_V), or named tensors'),
    checkpoints: z
      .object({
        every: z.int().min(1).default(1).describe('estimate at every k-th checkpoint (the last is always included)'),
        steps: z.array(z.int().min(0)).default([]).describe('estimate only at these training steps (overrides every)'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type LlcConfig = z.output<typeof LlcConfigSchema>;

export function targetName(t: Target): string {
  if (t.kind === 'all') return 'all';
  if (t.kind === 'head') return `L${t.layer}H${t.head}`;
  return `params:${t.names.join('+')}`;
}
