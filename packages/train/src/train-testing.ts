/**
 * A small sorting task for training-loop tests: 5 numbers from 0..19, a d_model 32 model. The
 * caller gives the dataset sizes and the train section (everything but the model); the result is
 * what runTraining takes.
 */
import { DatasetConfigSchema, generateDataset } from '@sortscope/dataset';
import { type ModelConfig, modelConfig } from '@sortscope/model';
import { type TrainConfig, TrainConfigSchema } from './schema.ts';
import type { TrainData } from './train-loop.ts';

export function smallTask(dataset: Record<string, unknown>, train: Record<string, unknown>): { mc: ModelConfig; cfg: TrainConfig; data: TrainData } {
  const ds = generateDataset(DatasetConfigSchema.parse({ list_length: 5, max_number: 19, n_test: 0, ...dataset }));
  const cfg = TrainConfigSchema.parse({ model: { d_model: 32, d_head: 16 }, ...train });
  const data: TrainData = {
    trainTokens: ds.splits.train.tokens,
    trainClean: ds.splits.train.clean,
    noiseApplied: ds.splits.train.noiseApplied,
    trainRows: ds.splits.train.rows,
    validationTokens: ds.splits.validation.tokens,
    validationRows: ds.splits.validation.rows,
  };
  return { mc: modelConfig(cfg.model, { d_vocab: ds.vocab.d_vocab, list_length: 5 }), cfg, data };
}
