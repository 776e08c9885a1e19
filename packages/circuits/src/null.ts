/**
 * How Toeplitz-like is a circuit compared with chance? The null distribution of the Toeplitz
 * explained variance (measures.ts) under random relabelings of the vocabulary:
 *
 *   EV_k = EV(M[π_k, π_k]),  k = 1 … K,  π_k a uniformly random permutation of the n tokens
 *          (the same permutation on rows and columns: a relabeling, which keeps every property
 *           of M that does not depend on the order of the tokens — its entries, its spectrum)
 *   null mean m = mean_k EV_k,  null std s = sample std of EV_k (K − 1 denominator)
 *   z = (EV − m) / s                           (NaN when K < 2 or s = 0)
 *   p = (1 + #{k : EV_k ≥ EV}) / (K + 1)       (one-sided permutation p-value; NaN when K = 0)
 *
 * Permutations: `Rng.derive(seed, 'circuits', 'null', n)` draws π_1 … π_K for matrices of size n,
 * so every checkpoint, head, circuit and convention of a run is tested against the same K
 * relabelings (common random numbers: z along training is not jittered by fresh permutations),
 * and the numbers do not depend on the order or the worker in which matrices are processed.
 */
import { Rng } from '@sortscope/core';
import { type Matrix } from './matrix.ts';
import { centred, explainedVarianceCentred, sumSquares, toeplitzEV } from './measures.ts';

export interface ToeplitzTest {
  ev: number;
  ev_null_mean: number;
  ev_null_std: number;
  ev_z: number;
  ev_p: number;
}

const cache = new Map<string, Uint32Array[]>();

/** K seeded random permutations of 0 … n − 1 (cached: the same (seed, n, K) gives the same arrays). */
export function relabelings(seed: number, n: number, K: number): Uint32Array[] {
  const key = `${seed}/${n}/${K}`;
  let perms = cache.get(key);
  if (!perms) {
    const rng = Rng.derive(seed, 'circuits', 'null', n);
    perms = Array.from({ length: K }, () => rng.permutation(n));
    cache.set(key, perms);
  }
  return perms;
}

/** The null values EV(M[π, π]) for each permutation. */
export function nullEVs(m: Matrix, perms: readonly Uint32Array[]): Float64Array {
  const mc = centred(m);
  const total = sumSquares(mc);
  return Float64Array.from(perms, (p) => explainedVarianceCentred(mc, total, p));
}

/** EV with its relabeling null: mean, std, z and p. */
export function toeplitzTest(m: Matrix, perms: readonly Uint32Array[]): ToeplitzTest {
  const ev = toeplitzEV(m);
  const K = perms.length;
  if (K === 0) return { ev, ev_null_mean: NaN, ev_null_std: NaN, ev_z: NaN, ev_p: NaN };
  const nulls = nullEVs(m, perms);
  let s = 0;
  let above = 0;
  for (const x of nulls) {
    s += x;
    if (x >= ev) above++;
  }
  const mean = s / K;
  let ss = 0;
  for (const x of nulls) ss += (x - mean) ** 2;
  const std = K > 1 ? Math.sqrt(ss / (K - 1)) : NaN;
  return { ev, ev_null_mean: mean, ev_null_std: std, ev_z: std > 0 ? (ev - mean) / std : NaN, ev_p: (1 + above) / (K + 1) };
}
