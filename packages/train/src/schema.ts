/**
 * The train stage's config section: the single source of truth for its defaults, flags,
 * messages and cache key. Defaults reproduce ARENA's setup: Adam with coupled L2 weight decay
 * 0.005, batch 512, 25 epochs over the 150,000 training lists (7,325 steps), lr 1e-3 → 1e-4
 * linearly per epoch, TransformerLens gpt2 init from seed 42.
 */
import type { StageDef } from '@sortscope/core/stage';
import { z } from 'zod';
import { ModelShapeSchema } from '@sortscope/model/config';

export const TrainConfigSchema = z
  .object({
    model: ModelShapeSchema.prefault({}),
    seed: z.int().min(0).default(42).describe('seed of the initialisation and of the per-epoch shuffles'),
    optimizer: z.enum(['adam', 'adamw']).default('adam').describe('adam: L2 weight decay added to the gradient (PyTorch Adam, ARENA); adamw: decoupled'),
    lr: z.number().positive().max(1e3).default(1e-3).describe('learning rate (at the first epoch)'),
    lr_end: z.number().min(0).max(1e3).default(1e-4).describe('learning rate at the last epoch (linear-per-epoch, cosine)'),
    schedule: z.enum(['linear-per-epoch', 'constant', 'cosine']).default('linear-per-epoch').describe('learning-rate schedule'),
    anneal_epochs: z
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('with schedule constant: over these last epochs lr steps down linearly per epoch to lr_end (reached at the last epoch); the epochs before are at lr, step for step the constant run'),
    weight_decay: z.number().min(0).max(1e3).default(0.005).describe('weight decay λ'),
    beta1: z.number().min(0).lt(1).default(0.9).describe('Adam β1, in [0, 1)'),
    beta2: z.number().min(0).lt(1).default(0.999).describe('Adam β2, in [0, 1)'),
    eps: z.number().positive().max(1).default(1e-8).describe('Adam epsilon'),
    batch_size: z.int().min(1).max(1_000_000).default(512).describe('sequences per step (the last batch of an epoch may be smaller)'),
    epochs: z.int().min(1).max(100_000).default(25).describe('passes over the finite training set, reshuffled each epoch'),
    max_steps: z.int().min(1).max(1e9).optional().describe('stop after this many steps (default: all epochs)'),
    checkpoints: z
      .object({
        log_spaced: z.int().min(0).max(10_000).default(60).describe('checkpoints evenly spaced in log(step)'),
        linear: z.int().min(0).max(10_000).default(40).describe('checkpoints evenly spaced in step'),
        steps: z.array(z.int().min(0)).max(10_000).optional().describe('extra checkpoints at these steps (those past the last step are ignored)'),
      })
      .strict()
      .prefault({})
      .describe('the checkpoint schedule (step 0 and the last step are always included)'),
    freeze: z
      .object({
        params: z
          .array(z.string().min(1))
          .min(1)
          .describe("parameters held fixed: TransformerLens names ('blocks.0.attn.W_Q') or a prefix of them ('blocks.0.attn' is every attention weight and bias)"),
        from_step: z.int().min(0).default(0).describe('the step from which they are held at their values (the steps before train them as usual)'),
      })
      .strict()
      .optional()
      .describe('hold some parameters fixed from a step on (e.g. the heads, to anneal the rest with the circuits fixed)'),
    stop_at: z
      .object({
        train_loss: z.number().positive().describe("the loss on the fixed training sample (the checkpoints' train loss, against the targets trained on) at which to stop"),
        every: z.int().min(1).max(1e9).default(25).describe('check it every this many steps'),
      })
      .strict()
      .optional()
      .describe('stop at the first checked step whose training-sample loss is at most train_loss; that step becomes the last checkpoint (to compare runs at matched loss)'),
    log_every: z.int().min(1).max(1e9).default(10).describe('record train loss, lr, gradient and weight norms every this many steps'),
    eval: z
      .object({
        validation_rows: z.int().min(1).max(10_000_000).default(2000).describe('clean validation sequences evaluated at each checkpoint'),
        train_rows: z.int().min(1).max(10_000_000).default(2000).describe('training sequences (a fixed sample) evaluated at each checkpoint'),
        batch_size: z.int().min(1).max(1_000_000).default(1000).describe('sequences per evaluation batch'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.anneal_epochs === undefined) return;
    if (c.schedule !== 'constant') ctx.addIssue({ code: 'custom', path: ['anneal_epochs'], message: `anneal_epochs needs schedule 'constant' (it is '${c.schedule}')` });
    else if (c.anneal_epochs > c.epochs) ctx.addIssue({ code: 'custom', path: ['anneal_epochs'], message: `anneal_epochs (${c.anneal_epochs}) is more than epochs (${c.epochs})` });
  });

export type TrainConfig = z.output<typeof TrainConfigSchema>;

/** The stage's declaration (name, version, config schema, upstream): light, so planning and the Nx plugin need not load the stage's code. */
export const trainStage: StageDef<typeof TrainConfigSchema> = {
  name: 'train',
  // 2 (2026-12-07): metrics-checkpoints.arrow writes null, not NaN, for a set that does not apply
  // (the noisy rows of clean data; schema v2). Training itself is unchanged: the same weights.
  version: '2',
  summary: 'Train the sorting transformer on the dataset, with checkpoints along training (resumable).',
  schema: TrainConfigSchema,
  upstream: ['dataset'],
};
