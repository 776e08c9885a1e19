/**
 * The llc stage's config section. Two estimators (docs/llc.md):
 *
 *  - `canonical` (default): SGLD on the checkpoint's canonical form (train/canonical.ts: one fixed
 *    representative of its orbit under the model's symmetries), with the coordinates that form fixes
 *    left out, at the likelihood's own inverse temperature, nβ = T·n / ln n (n training sequences, T
 *    scored tokens per sequence: the loss per sequence is T times the engine's per-token mean), and a
 *    step size set from the curvature: ε = epsilon_fraction · 4 / (nβ·λ_max + γ), λ_max the top
 *    Hessian eigenvalue at the checkpoint. The estimate is taken at the minimum of the sampled
 *    potential near the checkpoint (relax.ts), where the loss is tilted so that the point is a
 *    stationary point of the potential (tilt.ts); L(w0) is measured on every training sequence, each draw's
 *    loss is taken against L(w0) on its own minibatch (control_variate), λ̂ reads the last half of
 *    the draws, and the chains are lengthened until λ̂ is stable (convergence.ts) or max_draws.
 *    λ̂ depends on the function, not the parametrization.
 *  - `sgld`: devinterp v1.x exactly, on the raw parameters (names: epsilon = `lr`, gamma =
 *    `localization`, nbeta = `nbeta` [default B / ln B], chains = `num_chains`, draws = `num_draws`,
 *    burnin = `num_burnin_steps`, steps_between_draws = `num_steps_bw_draws`). Kept for comparison;
 *    on LayerNorm + weight-decay checkpoints it measures the weights' scale (docs/llc.md).
 *
 * epsilon and nbeta given explicitly override the method's rule. The resolved values are recorded
 * in every estimate.
 */
import type { StageDef } from '@sortscope/core/stage';
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
    gamma: z.number().min(0).optional().describe('localization strength γ toward the checkpoint [default: canonical → 10000; sgld → 100]'),
    nbeta: z.number().positive().optional().describe('inverse temperature nβ, the factor on the per-token mean loss [default: canonical → T·n/ln n, n training sequences of T scored tokens (the per-sequence likelihood at β = 1/ln n); sgld → B/ln B of batch_size]'),
    batch_size: z.int().min(2).default(128).describe('SGLD minibatch size B (from the training set, reshuffled each epoch)'),
    chains: z.int().min(1).default(4).describe('independent chains per checkpoint'),
    init_batches: z
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('sgld: minibatches of batch_size rows on which L(w0) is measured, as devinterp [default: chains] (canonical measures it on every training sequence)'),
    draws: z.int().min(4).default(1500).describe('draws per chain in the first round (canonical: λ̂ reads the last half)'),
    max_draws: z.int().min(4).optional().describe('lengthen the chains (doubling the draws) until λ̂ is stable, up to this many draws per chain; else flag not_converged [default: canonical → 8 × draws; sgld → draws, fixed length as devinterp]'),
    tolerance: z.number().positive().max(1).default(0.05).describe('stable: λ̂ moves by at most this fraction between the third and fourth quarters of the draws (beyond 2 standard errors), with split-R̂ ≤ 1.1'),
    relax: z
      .boolean()
      .optional()
      .describe('take the estimate at the minimum of nβ·L_n + γ/2·‖w − w0‖² near the checkpoint (Newton–CG on the whole training set), not at the checkpoint itself [default: canonical → true unless tilt is false; sgld → false]'),
    tilt: z.boolean().optional().describe("subtract the whole training set's loss gradient at the point the chains start from (the relaxed point, or the checkpoint), so that it is a stationary point of the sampled potential [default: canonical → true; sgld → false]"),
    control_variate: z.boolean().optional().describe('take each draw\'s loss against L(w0) on the same minibatch (far less minibatch noise; L_B(w0) is summed from the whole-set pass per-token losses, no forward pass per draw) [default: canonical → true; sgld → false]'),
    preconditioner: z.enum(['none', 'rmsprop']).default('none').describe('none: plain SGLD; rmsprop: a diagonal preconditioner from the squared minibatch gradients at the checkpoint, fixed for the chain (pSGLD)'),
    burnin: z.int().min(0).default(500).describe('SGLD steps before the first draw'),
    min_mixing: z
      .number()
      .min(0)
      .max(10)
      .default(1.2)
      .describe('canonical: lengthen each estimate\'s burn-in until the mixing m = S·εγ/2 at the first draw read reaches this (readers require m ≥ ln 10 / 2 ≈ 1.152, where at most 10% of the equilibrium λ̂ can be missing; docs/llc.md "Mixing"), up to 20 × max_draws steps; 0: off, the burn-in is fixed (the default before llc 7) [default: 1.2]'),
    steps_between_draws: z.int().min(1).default(1).describe('SGLD steps between draws'),
    noise_level: z.number().min(0).default(1).describe('noise scale σ; anything but 1 breaks posterior sampling'),
    noise_stream: z
      .enum(NOISE_STREAMS)
      .default('ziggurat')
      .describe("how each chain draws its Gaussian noise from its stream: ziggurat (the default since llc 5; drawn in the engine) or box-muller (the stream of llc ≤ 4.1; another stream, so other λ̂ within the Monte Carlo spread)"),
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
        last: z.boolean().optional().describe('also estimate at the last checkpoint, whatever its step (a run ended by train.stop_at); alone (no steps), only there'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.relax === true && c.tilt === false)
      ctx.addIssue({ code: 'custom', path: ['relax'], input: c.relax, message: 'relax: true needs tilt (the chains are centred at the relaxed point, which the tilt keeps stationary); set tilt: true, or relax: false' });
  });

export type LlcConfig = z.output<typeof LlcConfigSchema>;

/** Step sizes, temperature, localization and the estimator's options as a method resolves them. */
export interface EstimatorOptions {
  gamma: number;
  /** take the estimate at the relaxed point (relax.ts) */
  relax: boolean;
  tilt: boolean;
  control_variate: boolean;
  /** the first round's draws and the most a chain may reach */
  draws: number;
  max_draws: number;
  /** λ̂ reads draws [first_used(N), N): the last half (canonical) or all of them (sgld, as devinterp) */
  window: 'last-half' | 'all';
  /** L(w0) on every training sequence (canonical) or on init_batches minibatches (sgld) */
  exact_init: boolean;
}

export function estimatorOptions(c: LlcConfig): EstimatorOptions {
  const canonical = c.method === 'canonical';
  return {
    gamma: c.gamma ?? (canonical ? 10_000 : 100),
    relax: c.relax ?? (canonical && c.tilt !== false),
    tilt: c.tilt ?? canonical,
    control_variate: c.control_variate ?? canonical,
    draws: c.draws,
    max_draws: Math.max(c.draws, c.max_draws ?? (canonical ? 8 * c.draws : c.draws)),
    window: canonical ? 'last-half' : 'all',
    exact_init: canonical,
  };
}

export function targetName(t: Target): string {
  if (t.kind === 'all') return 'all';
  if (t.kind === 'head') return `L${t.layer}H${t.head}`;
  return `params:${t.names.join('+')}`;
}

/** The stage's declaration (name, version, config schema, upstream): light, so planning and the Nx plugin need not load the stage's code. */
export const llcStage: StageDef<typeof LlcConfigSchema> = {
  name: 'llc',
  version: '7',
  summary: 'Estimate the local learning coefficient at the checkpoints of a training run (SGLD on the canonical form; or devinterp on the raw weights).',
  schema: LlcConfigSchema,
  upstream: ['dataset', 'train'],
};
