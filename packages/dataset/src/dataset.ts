/**
 * The dataset stage as a pure function: config → train / validation / test splits, with the
 * training distribution's Bayes loss, gap statistics and noise statistics. No file I/O here.
 *
 * Random streams (core/rng.ts): lists of split s from ('dataset', 'lists', s); training noise from
 * ('dataset', 'noise'); the rows sampled for the replace-sorted Bayes loss from ('dataset', 'bayes').
 * Validation and test sets are clean and, where the space of number sets allows, share no set
 * with the training split (nor with each other).
 */
import { Rng } from '@sortscope/core';
import { type BayesLoss, bayesLoss } from './bayes.ts';
import { type GapStats, gapStats, lnChoose } from './gaps.ts';
import { listSampler, setKey } from './lists.ts';
import { corrupter } from './noise.ts';
import { type DatasetConfig, type Vocab, vocabOf } from './schema.ts';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLITS: SplitName[] = ['train', 'validation', 'test'];

export interface Split {
  name: SplitName;
  rows: number;
  /** [rows, seqLen] the sequences as the model sees them (noisy on train) */
  tokens: Uint8Array;
  /** [rows, seqLen] the clean sequences */
  clean: Uint8Array;
  /** [rows] 1 where the noise process selected the row */
  noiseApplied: Uint8Array;
  /** [rows, seqLen] 1 where tokens differ from clean */
  changed: Uint8Array;
}

export interface SplitFacts {
  gaps: GapStats;
  disjoint_from_train: boolean;
  /** rows redrawn because their set was already used */
  rejected: number;
  noise: { rows_selected: number; fraction_rows_selected: number; fraction_output_tokens_changed: number };
}

export interface DatasetResult {
  vocab: Vocab;
  splits: Record<SplitName, Split>;
  facts: Record<SplitName, SplitFacts>;
  bayes: BayesLoss;
  /** the tilt of the gap distribution, when gaps are tilted */
  tilt: { theta: number; mean_gap: number } | null;
}

export function generateDataset(config: DatasetConfig): DatasetResult {
  const vocab = vocabOf(config);
  const { n, range, seq_len: seqLen } = vocab;
  const sampler = listSampler(config, vocab);
  const sizes: Record<SplitName, number> = { train: config.n_train, validation: config.n_validation, test: config.n_test };
  const lnSets = config.distinct ? lnChoose(range, n) : lnChoose(range + n - 1, n);
  const roomForDisjoint = lnSets > Math.log(2 * (sizes.train + sizes.validation + sizes.test));

  const used = new Set<string>();
  const splits = {} as Record<SplitName, Split>;
  const facts = {} as Record<SplitName, SplitFacts>;
  for (const name of SPLITS) {
    const rows = sizes[name];
    const checkDisjoint = name !== 'train' && roomForDisjoint;
    let drawn = drawSplit(rows, seqLen, sampler.draw, Rng.derive(config.seed, 'dataset', 'lists', name), checkDisjoint ? used : null);
    let disjoint = checkDisjoint;
    if (drawn === null) {
      // the sets left over are too few to draw from by rejection: give up disjointness, say so
      disjoint = false;
      drawn = drawSplit(rows, seqLen, sampler.draw, Rng.derive(config.seed, 'dataset', 'lists', name, 'overlapping'), null)!;
    }
    const { clean, rejected } = drawn;
    if (roomForDisjoint) for (let r = 0; r < rows; r++) used.add(setKey(clean.subarray(r * seqLen, (r + 1) * seqLen), n));
    const tokens = clean.slice();
    const noiseApplied = new Uint8Array(rows);
    if (name === 'train') {
      const corrupt = corrupter(config.noise, vocab);
      const rng = Rng.derive(config.seed, 'dataset', 'noise');
      for (let r = 0; r < rows; r++) noiseApplied[r] = corrupt(rng, tokens.subarray(r * seqLen, (r + 1) * seqLen)) ? 1 : 0;
    }
    const changed = new Uint8Array(rows * seqLen);
    let changedOut = 0;
    let selected = 0;
    for (let r = 0; r < rows; r++) {
      selected += noiseApplied[r];
      for (let i = 0; i < seqLen; i++) {
        const d = tokens[r * seqLen + i] !== clean[r * seqLen + i] ? 1 : 0;
        changed[r * seqLen + i] = d;
        if (i > n) changedOut += d;
      }
    }
    splits[name] = { name, rows, tokens, clean, noiseApplied, changed };
    facts[name] = {
      gaps: gapStats(sortedHalves(clean, rows, n), n),
      disjoint_from_train: name === 'train' ? true : disjoint,
      rejected,
      noise: { rows_selected: selected, fraction_rows_selected: rows ? selected / rows : 0, fraction_output_tokens_changed: rows ? changedOut / (rows * n) : 0 },
    };
  }
  // Bayes loss: the visible number sets of the training rows (the noisy input for input-side noise)
  const visible = sortedInputs(splits.train.tokens, splits.train.rows, n, seqLen);
  const bayes = bayesLoss(config, vocab, visible, Rng.derive(config.seed, 'dataset', 'bayes').permutation(splits.train.rows));
  const tilt = sampler.tilt ? { theta: Math.exp(sampler.tilt.lnTheta), mean_gap: sampler.tilt.meanGap } : null;
  return { vocab, splits, facts, bayes, tilt };
}

function drawSplit(rows: number, seqLen: number, draw: (rng: Rng, seq: Uint8Array) => void, rng: Rng, used: Set<string> | null): { clean: Uint8Array; rejected: number } | null {
  const n = (seqLen - 1) / 2;
  const clean = new Uint8Array(rows * seqLen);
  const maxRejections = 100 * rows + 1000;
  let rejected = 0;
  for (let r = 0; r < rows; r++) {
    const seq = clean.subarray(r * seqLen, (r + 1) * seqLen);
    for (;;) {
      draw(rng, seq);
      if (!used) break;
      const key = setKey(seq, n);
      if (!used.has(key)) {
        used.add(key);
        break;
      }
      if (++rejected > maxRejections) return null;
    }
  }
  return { clean, rejected };
}

/** [rows, n] the sorted output halves. */
function sortedHalves(seqs: Uint8Array, rows: number, n: number): Uint8Array {
  const seqLen = 2 * n + 1;
  const out = new Uint8Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(seqs.subarray(r * seqLen + n + 1, (r + 1) * seqLen), r * n);
  return out;
}

/** [rows, n] each row's input numbers, sorted. */
function sortedInputs(seqs: Uint8Array, rows: number, n: number, seqLen: number): Uint8Array {
  const out = new Uint8Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * n, (r + 1) * n);
    row.set(seqs.subarray(r * seqLen, r * seqLen + n));
    row.sort();
  }
  return out;
}
