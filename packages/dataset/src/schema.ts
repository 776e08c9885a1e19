/**
 * The dataset stage's config: the single source of truth for its defaults, CLI flags,
 * validation messages and cache key. Defaults reproduce ARENA's sorted-list data:
 * 10 distinct numbers from 0..50, SEP = 51, 150,000 training lists, 10,000 validation and test.
 *
 * Token ids are the numbers themselves; SEP = max_number + 1; d_vocab = max_number + 2; a
 * sequence is `a_1 … a_n SEP b_1 … b_n` (2n + 1 tokens), b = a sorted ascending.
 */
import type { StageDef } from '@sortscope/core/stage';
import { z } from 'zod';
import { circularGapRange } from './circular-gaps.ts';

const Prob = z.number().min(0).max(1).describe('probability that a training sequence (or, for token noise, a token) is corrupted');

export const NoiseSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('none') }).strict(),
    z.object({ kind: z.literal('permute'), p: Prob }).strict(),
    z
      .object({
        kind: z.literal('replace-sorted'),
        p: Prob,
        k: z.int().min(1).default(1).describe('how many numbers of a corrupted sequence are replaced by numbers not in the list'),
        side: z.enum(['output', 'input']).default('output').describe('replace numbers of the sorted output (kept sorted) or of the input list'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('insert-sorted'),
        p: Prob,
        k: z.int().min(1).default(1).describe('how many numbers not in the list are inserted into the sorted output (at their sorted places; the output keeps its first n numbers)'),
      })
      .strict(),
    z.object({ kind: z.literal('token'), p: Prob }).strict(),
  ])
  .describe(
    'noise on the training split only: none, permute (output is a random permutation of the input), replace-sorted, insert-sorted (numbers inserted into the sorted output, order kept), token (each output token resampled uniformly)',
  )
  // any noise at level 0 is no noise: resolve it to none, so those experiments share the clean dataset and its runs
  .transform((n) => (n.kind !== 'none' && n.p === 0 ? { kind: 'none' as const } : n));

export const GapsSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('uniform') }).strict(),
    z
      .object({
        kind: z.literal('tilted'),
        mean_gap: z.number().describe('target mean gap between adjacent sorted numbers (baseline 4.727 for 10 of 0..50)'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('circular-tilted'),
        mean_gap: z.number().describe('target mean gap ρ̄ between adjacent sorted numbers (4.727 = uniform sets for 10 of 0..50)'),
      })
      .strict(),
  ])
  .describe(
    'distribution of the sorted lists: uniform (every set equally likely), tilted (P(list) ∝ θ^span, θ set so the mean adjacent gap is mean_gap; the maximum-entropy family with that mean; middle numbers more frequent when θ ≠ 1) or circular-tilted (clusters on the circle of numbers, rotated uniformly: every number equally likely at any mean_gap; packages/dataset/src/circular-gaps.ts)',
  );

export const DatasetConfigSchema = z
  .object({
    list_length: z.int().min(1).max(100).default(10).describe('numbers per list (n)'),
    min_number: z.int().min(0).max(253).default(0).describe('smallest number (token id = number)'),
    max_number: z.int().min(0).max(253).default(50).describe('largest number; SEP = max_number + 1'),
    distinct: z.boolean().default(true).describe('numbers in a list are distinct (false: drawn with repeats)'),
    n_train: z.int().min(1).max(10_000_000).default(150_000).describe('training sequences (a finite set)'),
    n_validation: z.int().min(1).max(10_000_000).default(10_000).describe('clean validation sequences'),
    n_test: z.int().min(0).max(10_000_000).default(10_000).describe('clean test sequences'),
    seed: z.int().min(0).default(0).describe('seed of every random choice of the stage'),
    gaps: GapsSchema.prefault({ kind: 'uniform' }),
    noise: NoiseSchema.prefault({ kind: 'none' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const range = c.max_number - c.min_number + 1;
    if (c.max_number < c.min_number) {
      ctx.addIssue({ code: 'custom', path: ['max_number'], input: c.max_number, message: `expected max_number >= min_number (${c.min_number})` });
      return;
    }
    if (c.distinct && range < c.list_length) {
      ctx.addIssue({ code: 'custom', path: ['list_length'], input: c.list_length, message: `expected at most ${range} distinct numbers in ${c.min_number}..${c.max_number}` });
    }
    if (c.gaps.kind === 'circular-tilted') {
      if (!c.distinct) ctx.addIssue({ code: 'custom', path: ['gaps', 'kind'], input: c.gaps.kind, message: 'expected distinct = true (the circular-tilted gap distribution is defined for distinct numbers)' });
      else if (c.list_length < 2) ctx.addIssue({ code: 'custom', path: ['gaps', 'kind'], input: c.gaps.kind, message: 'expected list_length >= 2 (a single number has no gaps)' });
      else {
        const [lo, hi] = circularGapRange(c.list_length, range);
        if (!(c.gaps.mean_gap > lo + 1e-9 && c.gaps.mean_gap <= hi)) {
          ctx.addIssue({
            code: 'custom',
            path: ['gaps', 'mean_gap'],
            input: c.gaps.mean_gap,
            message: `expected a mean gap in (${lo.toFixed(4)}, ${hi.toFixed(4)}] for ${c.list_length} distinct numbers in ${c.min_number}..${c.max_number} (circular-tilted: every number equally likely)`,
          });
        }
      }
    }
    if (c.gaps.kind === 'tilted') {
      if (!c.distinct) ctx.addIssue({ code: 'custom', path: ['gaps', 'kind'], input: 'tilted', message: 'expected distinct = true (the tilted gap distribution is defined for distinct numbers)' });
      else if (c.list_length < 2) ctx.addIssue({ code: 'custom', path: ['gaps', 'kind'], input: 'tilted', message: 'expected list_length >= 2 (a single number has no gaps)' });
      else {
        const max = (range - 1) / (c.list_length - 1);
        if (!(c.gaps.mean_gap > 1 && c.gaps.mean_gap < max)) {
          ctx.addIssue({
            code: 'custom',
            path: ['gaps', 'mean_gap'],
            input: c.gaps.mean_gap,
            message: `expected a mean gap in (1, ${max.toFixed(4)}) for ${c.list_length} distinct numbers in ${c.min_number}..${c.max_number}`,
          });
        }
      }
    }
    if (c.noise.kind === 'insert-sorted') {
      if (!c.distinct) ctx.addIssue({ code: 'custom', path: ['noise', 'kind'], input: c.noise.kind, message: 'expected distinct = true (insertion draws numbers not in the list)' });
      if (c.noise.k > range - c.list_length) ctx.addIssue({ code: 'custom', path: ['noise', 'k'], input: c.noise.k, message: `expected k <= ${range - c.list_length} (numbers outside a list)` });
    }
    if (c.noise.kind === 'replace-sorted') {
      if (!c.distinct) ctx.addIssue({ code: 'custom', path: ['noise', 'kind'], input: c.noise.kind, message: 'expected distinct = true (replacement draws numbers not in the list)' });
      const room = Math.min(c.list_length, range - c.list_length);
      if (c.noise.k > room) ctx.addIssue({ code: 'custom', path: ['noise', 'k'], input: c.noise.k, message: `expected k <= ${room} (list_length ${c.list_length}, ${range - c.list_length} numbers outside a list)` });
    }
  });

export type DatasetConfig = z.output<typeof DatasetConfigSchema>;
export type NoiseConfig = DatasetConfig['noise'];

/** Vocabulary facts derived from a config (the one place they are derived). */
export interface Vocab {
  /** numbers per list */
  n: number;
  /** how many distinct numbers exist (max - min + 1) */
  range: number;
  min_number: number;
  max_number: number;
  sep: number;
  d_vocab: number;
  /** tokens per sequence: 2n + 1 */
  seq_len: number;
}

export function vocabOf(c: Pick<DatasetConfig, 'list_length' | 'min_number' | 'max_number'>): Vocab {
  const sep = c.max_number + 1;
  return {
    n: c.list_length,
    range: c.max_number - c.min_number + 1,
    min_number: c.min_number,
    max_number: c.max_number,
    sep,
    d_vocab: sep + 1,
    seq_len: 2 * c.list_length + 1,
  };
}

/** The stage's declaration (name, version, config schema, upstream): light, so planning and the Nx plugin need not load the stage's code. */
export const datasetStage: StageDef<typeof DatasetConfigSchema> = {
  name: 'dataset',
  version: '1',
  summary: 'Generate the sorting datasets (train with optional noise; clean validation and test) as Arrow files.',
  schema: DatasetConfigSchema,
  upstream: [],
};
