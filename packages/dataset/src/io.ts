/**
 * Arrow I/O of dataset splits (artifact kind "dataset/split", schema version 1).
 *
 * Columns (one row per sequence, seq_len = 2n + 1 tokens `a_1 … a_n SEP b_1 … b_n`):
 *   tokens         FixedSizeList<uint8>[seq_len]  the sequence as the model sees it (noisy on train)
 *   clean_tokens   FixedSizeList<uint8>[seq_len]  the clean sequence
 *   noise_applied  bool                            the noise process selected this row
 *   changed        FixedSizeList<bool>[seq_len]    tokens that differ from clean_tokens
 * Metadata (besides the artifact contract): split, vocab, bayes_loss, gap_stats,
 * disjoint_from_train, noise_stats, gap_tilt.
 */
import { basename } from 'node:path';
import {
  ArtifactError, type ArtifactMeta, boolListVector, boolVector, readArtifact, readBoolList, readFixedSizeList, readNumbers, ShapeError, tableOf, fixedSizeListVector, writeArtifact,
  regenerateHint,
} from '@sortscope/core';
import type { BayesLoss } from './bayes.ts';
import { type DatasetResult, type Split, type SplitFacts, type SplitName, SPLITS } from './dataset.ts';
import type { DatasetConfig, Vocab } from './schema.ts';

export const SPLIT_KIND = 'dataset/split';
export const SPLIT_SCHEMA_VERSION = 1;

export interface SplitArtifactInfo {
  split: SplitName;
  vocab: Vocab;
  bayes_loss: BayesLoss;
  facts: SplitFacts;
}

export function splitMeta(result: DatasetResult, name: SplitName, base: Omit<ArtifactMeta, 'kind' | 'schemaVersion' | 'extra'>): ArtifactMeta {
  const f = result.facts[name];
  const cleanBayes: BayesLoss = { method: 'closed-form', per_position: Array(result.vocab.n).fill(0), mean: 0, note: 'clean split' };
  return {
    ...base,
    kind: SPLIT_KIND,
    schemaVersion: SPLIT_SCHEMA_VERSION,
    extra: {
      split: name,
      vocab: result.vocab,
      bayes_loss: name === 'train' ? result.bayes : cleanBayes,
      gap_stats: f.gaps,
      gap_tilt: result.tilt,
      disjoint_from_train: f.disjoint_from_train,
      rejected_for_disjointness: f.rejected,
      noise_stats: f.noise,
    },
  };
}

export function writeSplit(path: string, split: Split, vocab: Vocab, meta: ArtifactMeta): string {
  const table = tableOf({
    tokens: fixedSizeListVector(split.tokens, vocab.seq_len),
    clean_tokens: fixedSizeListVector(split.clean, vocab.seq_len),
    noise_applied: boolVector(split.noiseApplied),
    changed: boolListVector(split.changed, vocab.seq_len),
  });
  return writeArtifact(path, table, meta);
}

export interface LoadedSplit extends Split {
  vocab: Vocab;
  config: DatasetConfig;
  bayes: BayesLoss;
  sha256: string;
  configHash: string;
}

/** Read a split artifact, checking its kind, version and column shapes. */
export function readSplit(path: string, regenerate = regenerateHint('dataset')): LoadedSplit {
  const { table, meta, sha256 } = readArtifact(path, { kind: SPLIT_KIND, schemaVersion: SPLIT_SCHEMA_VERSION, regenerate });
  const vocab = meta.extra.vocab as Vocab;
  const split = meta.extra.split as SplitName;
  // a stage folder's <split>.arrow must hold that split (e.g. not validation.arrow copied over train.arrow)
  const named = basename(path).replace(/\.arrow$/, '');
  if ((SPLITS as readonly string[]).includes(named) && split !== named) {
    throw new ArtifactError(`${path} holds the ${split} split, not ${named} (a file copied over another?); regenerate it with: ${regenerate}`);
  }
  const rows = table.numRows;
  const tokens = readFixedSizeList(table, 'tokens', vocab.seq_len, Uint8Array);
  const clean = readFixedSizeList(table, 'clean_tokens', vocab.seq_len, Uint8Array);
  const noiseApplied = Uint8Array.from(readNumbers(table, 'noise_applied'));
  const changed = readBoolList(table, 'changed', vocab.seq_len);
  if (tokens.length !== rows * vocab.seq_len) throw new ShapeError(`${path}: tokens must be [${rows}, ${vocab.seq_len}]`);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] >= vocab.d_vocab) throw new ShapeError(`${path}: token ${tokens[i]} at row ${Math.floor(i / vocab.seq_len)} is outside the vocabulary (d_vocab ${vocab.d_vocab})`);
  }
  return {
    name: split,
    rows,
    tokens,
    clean,
    noiseApplied,
    changed,
    vocab,
    config: meta.config as DatasetConfig,
    bayes: meta.extra.bayes_loss as BayesLoss,
    sha256,
    configHash: meta.configHash,
  };
}
