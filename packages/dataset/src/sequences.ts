/**
 * Sequences brought from outside the pipeline (`--data FILE` of eval, llc, circuits and
 * activations) must belong to the model they are fed to. A sequence is `a_1 … a_n SEP b_1 … b_n`
 * (schema.ts): n_ctx = 2n + 1 tokens, SEP = d_vocab − 1 at position n and nowhere else, every
 * token < d_vocab. Raw `.u8` rows carry no vocabulary, so the SEP column is what tells another
 * vocabulary (its SEP elsewhere in the id range) or another row length (the byte count may still
 * divide) from the model's own.
 */
import { ArtifactError, ConfigError } from '@sortscope/core';

export interface SequenceShape {
  n_ctx: number;
  d_vocab: number;
  list_length: number;
}

/** A dataset split (.arrow) carries its vocabulary: it must be the model's (row length and d_vocab). */
export function checkSplitVocab(vocab: { seq_len: number; d_vocab: number }, shape: SequenceShape, source: string): void {
  if (vocab.seq_len !== shape.n_ctx || vocab.d_vocab !== shape.d_vocab) {
    throw new ConfigError(`${source}: sequences of ${vocab.seq_len} tokens over ${vocab.d_vocab} symbols, but the model has n_ctx ${shape.n_ctx} and d_vocab ${shape.d_vocab}`);
  }
}

/** The number of rows; throws (naming `source`) when `tokens` are not rows of this model's sequences. */
export function checkSequences(tokens: Uint8Array, shape: SequenceShape, source: string): number {
  const { n_ctx, d_vocab, list_length: n } = shape;
  if (n_ctx !== 2 * n + 1) throw new ConfigError(`${source}: the model's n_ctx ${n_ctx} is not 2 × list_length ${n} + 1`);
  if (tokens.length % n_ctx !== 0) throw new ConfigError(`${source}: ${tokens.length} bytes is not a whole number of ${n_ctx}-token rows`);
  const sep = d_vocab - 1;
  const bad = tokens.findIndex((t) => t >= d_vocab);
  if (bad >= 0) throw new ArtifactError(`${source}: token ${tokens[bad]} at row ${Math.floor(bad / n_ctx)}, position ${bad % n_ctx} is outside the model's vocabulary (d_vocab ${d_vocab})`);
  for (let i = 0; i < tokens.length; i++) {
    const pos = i % n_ctx;
    if ((pos === n) !== (tokens[i] === sep)) {
      const row = Math.floor(i / n_ctx);
      const what = pos === n ? `token ${tokens[i]} where SEP (${sep}) belongs` : `SEP (${sep}) at position ${pos}`;
      throw new ArtifactError(`${source}: row ${row} has ${what}; expected rows of ${n} numbers, SEP = ${sep} at position ${n}, then ${n} numbers (n_ctx ${n_ctx}, d_vocab ${d_vocab}): sequences of another vocabulary or length?`);
    }
  }
  return tokens.length / n_ctx;
}
