/**
 * Probe sequences for a single weights file (`circuitsOfWeights`): a dataset split (.arrow, its
 * `tokens` column), raw rows of n_ctx uint8 tokens (.u8, like the fixture's eval-10000x21.u8), or by
 * default fresh clean sequences for the model's vocabulary (dataset seed 0).
 */
import { readInputFile } from '@sortscope/core';
import { checkSequences, checkSplitVocab, DatasetConfigSchema, generateDataset, readSplit } from '@sortscope/dataset';
import type { ModelConfig } from '@sortscope/model';
import type { ProbeData } from './analyse.ts';

export function loadProbeData(path: string | undefined, cfg: ModelConfig, rows: number): ProbeData & { source: string } {
  if (path === undefined) {
    // no ablation and no attention probe asked for: no sequences needed
    if (rows === 0) return { tokens: new Uint8Array(0), rows: 0, source: 'no sequences (ablation_rows and probe_rows are 0)' };
    const ds = generateDataset(DatasetConfigSchema.parse({ list_length: cfg.list_length, max_number: cfg.d_vocab - 2, n_train: 1, n_validation: rows, n_test: 0 }));
    const v = ds.splits.validation;
    return { tokens: v.tokens, rows: v.rows, source: `${v.rows} fresh clean sequences (dataset seed 0)` };
  }
  let tokens: Uint8Array;
  if (path.endsWith('.arrow')) {
    const split = readSplit(path);
    checkSplitVocab(split.vocab, cfg, `--data ${path}`);
    tokens = split.tokens;
  } else {
    tokens = new Uint8Array(readInputFile(path, '--data'));
    checkSequences(tokens, cfg, `--data ${path}`);
  }
  const n = Math.min(rows, tokens.length / cfg.n_ctx);
  return { tokens: tokens.slice(0, n * cfg.n_ctx), rows: n, source: path };
}
