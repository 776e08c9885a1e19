/**
 * The training data SGLD draws minibatches from: the dataset stage's train split (the sequences
 * as trained on, noise included), a raw .u8 file of n_ctx-token rows, or — for a bare weights
 * file — a fresh default training set for the model's vocabulary (the dataset stage's defaults,
 * seed 0: ARENA's 150,000 lists for the ARENA model).
 */
import { readInputFile } from '@sortscope/core';
import { checkSequences, checkSplitVocab, DatasetConfigSchema, generateDataset, readSplit } from '@sortscope/dataset';
import type { ModelConfig } from '@sortscope/model';
import type { TrainingData } from './run.ts';

export function trainingData(path: string | undefined, cfg: ModelConfig): TrainingData & { source: string; sha256?: string } {
  if (path === undefined) {
    const ds = generateDataset(DatasetConfigSchema.parse({ list_length: cfg.list_length, max_number: cfg.d_vocab - 2, n_validation: 1, n_test: 0 }));
    return { tokens: ds.splits.train.tokens, rows: ds.splits.train.rows, source: `a fresh default training set (${ds.splits.train.rows} sequences, dataset seed 0)` };
  }
  if (path.endsWith('.arrow')) {
    const split = readSplit(path);
    checkSplitVocab(split.vocab, cfg, `--data ${path}`);
    return { tokens: split.tokens, rows: split.rows, source: path, sha256: split.sha256 };
  }
  const tokens = new Uint8Array(readInputFile(path, '--data'));
  return { tokens, rows: checkSequences(tokens, cfg, `--data ${path}`), source: path };
}
