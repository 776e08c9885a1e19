/**
 * Noise on the training split (docs/science.md §5). Each function corrupts one sequence in place,
 * given its clean version, and returns whether the noise process selected it.
 *
 * - permute(p): with probability p the output is a uniformly random permutation of the input.
 * - replace-sorted(p, k, side='output'): with probability p, k output numbers (chosen
 *   uniformly) are replaced by k distinct numbers not in the input (chosen uniformly) and the
 *   output is re-sorted: the order is kept, the content is wrong.
 * - replace-sorted(p, k, side='input'): with probability p, k input numbers are replaced in
 *   place by k distinct numbers not in the list; the output stays the sorted original list.
 * - insert-sorted(p, k): with probability p, k distinct numbers not in the list and below its
 *   largest number (chosen uniformly) are inserted into the sorted output at their sorted places,
 *   and the output keeps its first n numbers: the order is kept, the largest numbers are pushed
 *   out (with k > 1, an inserted number can be pushed out too; the smallest one always stays). A list with fewer than k such numbers (no gaps below its maximum) is left clean.
 * - token(p): each output token independently, with probability p, is replaced by a number
 *   drawn uniformly from the whole range (it may redraw the right one).
 */
import type { Rng } from '@sortscope/core';
import type { NoiseConfig, Vocab } from './schema.ts';

export type Corrupt = (rng: Rng, seq: Uint8Array) => boolean;

export function corrupter(noise: NoiseConfig, vocab: Vocab): Corrupt {
  const { n, range, min_number } = vocab;
  const out = n + 1; // first output position
  switch (noise.kind) {
    case 'none':
      return () => false;
    case 'permute':
      return (rng, seq) => {
        if (!rng.bernoulli(noise.p)) return false;
        seq.set(seq.subarray(0, n), out);
        rng.shuffle(seq.subarray(out, out + n));
        return true;
      };
    case 'token':
      return (rng, seq) => {
        let hit = false;
        for (let i = out; i < out + n; i++) {
          if (rng.bernoulli(noise.p)) {
            seq[i] = min_number + rng.int(range);
            hit = true;
          }
        }
        return hit;
      };
    case 'insert-sorted': {
      const { k, p } = noise;
      const present = new Uint8Array(256);
      const below = new Uint8Array(range);
      const merged = new Uint8Array(n + k);
      return (rng, seq) => {
        if (!rng.bernoulli(p)) return false;
        const sorted = seq.subarray(out, out + n); // the clean output, ascending
        present.fill(0);
        for (let i = 0; i < n; i++) present[sorted[i]] = 1;
        let m = 0;
        for (let v = min_number; v < sorted[n - 1]; v++) if (!present[v]) below[m++] = v;
        if (m < k) return false;
        for (let i = 0; i < k; i++) {
          const j = i + rng.int(m - i);
          const t = below[i];
          below[i] = below[j];
          below[j] = t;
        }
        merged.set(sorted);
        merged.set(below.subarray(0, k), n);
        merged.sort();
        sorted.set(merged.subarray(0, n));
        return true;
      };
    }
    case 'replace-sorted': {
      const { k, p, side } = noise;
      const present = new Uint8Array(256);
      const outside = new Uint8Array(range);
      return (rng, seq) => {
        if (!rng.bernoulli(p)) return false;
        present.fill(0);
        for (let i = 0; i < n; i++) present[seq[i]] = 1;
        let m = 0;
        for (let v = min_number; v < min_number + range; v++) if (!present[v]) outside[m++] = v;
        // k distinct replacement numbers: partial Fisher–Yates over the outside numbers
        for (let i = 0; i < k; i++) {
          const j = i + rng.int(m - i);
          const t = outside[i];
          outside[i] = outside[j];
          outside[j] = t;
        }
        // k distinct positions (of the input list, or of the sorted output)
        const positions = rng.permutation(n).subarray(0, k);
        const base = side === 'input' ? 0 : out;
        for (let i = 0; i < k; i++) seq[base + positions[i]] = outside[i];
        if (side === 'output') seq.subarray(out, out + n).sort();
        return true;
      };
    }
  }
}
