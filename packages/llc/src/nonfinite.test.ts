/**
 * A NaN anywhere in w0 must surface as the `nan` flag of every chain, never as a finite λ̂. The
 * fused engine used to flush NaN weights to zero, so the LLC of a NaN checkpoint came out finite
 * and unflagged.
 */
import { DatasetConfigSchema, generateDataset } from '@sortscope/dataset';
import { FusedEngine } from '@sortscope/engine';
import { initParams, modelConfig, ModelShapeSchema, paramLayout, spec } from '@sortscope/model';
import { describe, expect, it } from 'vitest';
import { estimateLlc } from './estimate.ts';
import { engineProblem, tokenStreams } from './problem.ts';

describe('LLC of non-finite weights', () => {
  it('flags every chain nan (and n_ok = 0) when w0 holds a NaN', async () => {
    const ds = generateDataset(DatasetConfigSchema.parse({ list_length: 4, max_number: 11, n_train: 400, n_validation: 10, n_test: 0 }));
    const cfg = modelConfig(ModelShapeSchema.parse({ d_model: 16, d_head: 8 }), { d_vocab: ds.vocab.d_vocab, list_length: 4 });
    const engine = await FusedEngine.create(cfg, { threads: 1 });
    try {
      const w0 = initParams(cfg, paramLayout(cfg), 1);
      const settings = { sgld: { epsilon: 1e-4, gamma: 100, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws: 5, burnin: 0, stepsBetweenDraws: 1, indices: null };
      const streams = tokenStreams(ds.splits.train.tokens, ds.splits.train.rows, cfg.n_ctx, 16, 0, 'full');
      const ok = estimateLlc(engineProblem(engine), w0, settings, streams, 2);
      expect(ok.n_ok).toBe(2);
      expect(ok.chains.every((c) => !c.flags.nan)).toBe(true);

      w0[spec(paramLayout(cfg), 'blocks.0.attn.W_Q').offset + 5] = NaN;
      const bad = estimateLlc(engineProblem(engine), w0, settings, streams, 2);
      expect(bad.chains.every((c) => c.flags.nan)).toBe(true);
      expect(bad.n_ok).toBe(0);
      expect(Number.isNaN(bad.mean)).toBe(true);
    } finally {
      engine.dispose();
    }
  });
});
