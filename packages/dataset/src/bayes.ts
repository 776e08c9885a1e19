/**
 * The irreducible (Bayes) loss of the training distribution, per output position.
 *
 * The model predicts output token t (t = 0 … n−1; t = 0 is predicted at SEP) from the input and
 * the t output tokens before it, so the best achievable mean cross-entropy at position t is the
 * conditional entropy H(Y_t | X, Y_<t) of the generated data (in nats).
 *
 * Closed forms (docs/science.md §5), with n numbers per list and V numbers in the range:
 * - clean data: 0 at every position (the output is a function of the input).
 * - token(p): each target is the right number w.p. 1 − p + p/V and each other number w.p. p/V,
 *     H = −(1 − p + p/V) ln(1 − p + p/V) − (V − 1)(p/V) ln(p/V)    at every position.
 * - permute(p), distinct numbers: while the prefix still equals the sorted prefix (probability
 *   m_t = (1 − p) + p (n−t)!/n!), the posterior that the row is clean is π = (1 − p)/m_t and the
 *   next token is the sorted one w.p. π + (1 − π)/(n − t), each of the other n − t − 1 remaining
 *   numbers w.p. (1 − π)/(n − t); once it deviates the row is a known permutation, entropy ln(n − t):
 *     H_t = m_t · H(π + (1−π)/(n−t), (1−π)/(n−t) × (n−t−1)) + (1 − m_t) · ln(n − t).
 *   At p = 1: H_t = ln(n − t), mean ln(n!)/n = 1.5104 for n = 10.
 * - replace-sorted(p, k): given the visible number set x, the target is sorted(x) w.p. 1 − p, and
 *   sorted(x − R + O) w.p. p / (C(n,k) C(V−n,k)) for each k-subset R of x and k-subset O of the
 *   other numbers. (For the input side this is the posterior given the corrupted input, which
 *   holds when every set is equally likely, i.e. uniform gaps.) No closed form over x: the
 *   conditional entropy of this finite mixture is computed exactly per row (`mixtureEntropy`)
 *   and averaged over a seeded sample of training rows, reported with its standard error.
 * - insert-sorted(p, k): the target is sorted(x) w.p. 1 − p, and the first n of sorted(x + O)
 *   w.p. p / C(m, k) for each k-subset O of the m numbers outside x below its maximum (m < k:
 *   sorted(x) w.p. 1); computed per row the same way.
 */
import { lnChoose } from './gaps.ts';
import type { DatasetConfig, Vocab } from './schema.ts';

export interface BayesLoss {
  method: 'closed-form' | 'exact-per-row-sample' | 'unavailable';
  /** H(Y_t | X, Y_<t) for t = 0 … n−1, nats; empty when unavailable */
  per_position: number[];
  mean: number | null;
  /** standard error of each per_position value (sampled rows only) */
  stderr?: number[];
  rows_sampled?: number;
  note: string;
}

function xlogx(x: number): number {
  return x > 0 ? x * Math.log(x) : 0;
}

export function tokenNoiseEntropy(p: number, V: number): number {
  const right = 1 - p + p / V;
  return -xlogx(right) - (V - 1) * xlogx(p / V);
}

export function permuteEntropy(p: number, n: number, t: number): number {
  const remaining = n - t;
  let logRatio = 0; // ln((n−t)!/n!)
  for (let i = remaining + 1; i <= n; i++) logRatio -= Math.log(i);
  const match = 1 - p + p * Math.exp(logRatio);
  if (match <= 0) return Math.log(remaining);
  const pi = (1 - p) / match;
  const other = (1 - pi) / remaining;
  const hMatch = -xlogx(pi + other) - (remaining - 1) * xlogx(other);
  return match * hMatch + (1 - match) * Math.log(remaining);
}

/**
 * Per-position conditional entropy of a finite distribution over sequences of length n.
 *
 * With G_t = Σ_{prefix groups of length t} W ln W, H(Y_t | Y_<t) = G_t − G_{t+1}. Sorting the
 * sequences lexicographically makes every prefix group a contiguous run, found with the
 * longest-common-prefix of neighbours, so all n entropies cost one sort and n linear scans.
 */
export function mixtureEntropy(seqs: Uint8Array[], weights: Float64Array, n: number): Float64Array {
  const order = Array.from(seqs.keys()).sort((a, b) => compareSeq(seqs[a], seqs[b], n));
  const lcp = new Uint8Array(order.length);
  for (let i = 1; i < order.length; i++) {
    const a = seqs[order[i - 1]];
    const b = seqs[order[i]];
    let l = 0;
    while (l < n && a[l] === b[l]) l++;
    lcp[i] = l;
  }
  const G = new Float64Array(n + 1);
  for (let t = 1; t <= n; t++) {
    let w = 0;
    for (let i = 0; i < order.length; i++) {
      if (i > 0 && lcp[i] < t) {
        G[t] += xlogx(w);
        w = 0;
      }
      w += weights[order[i]];
    }
    G[t] += xlogx(w);
  }
  let total = 0;
  for (const w of weights) total += w;
  G[0] = xlogx(total);
  const H = new Float64Array(n);
  for (let t = 0; t < n; t++) H[t] = G[t] - G[t + 1];
  return H;
}

function compareSeq(a: Uint8Array, b: Uint8Array, n: number): number {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The replace-sorted mixture's target distribution for one visible set (sorted ascending). */
export function replaceMixture(set: Uint8Array, p: number, k: number, vocab: Vocab): { seqs: Uint8Array[]; weights: Float64Array } {
  const { n, range, min_number } = vocab;
  const inSet = new Set(set);
  const outside: number[] = [];
  for (let v = min_number; v < min_number + range; v++) if (!inSet.has(v)) outside.push(v);
  const removals = combinations(n, k);
  const additions = combinations(outside.length, k);
  const each = p / (removals.length * additions.length);
  const seqs: Uint8Array[] = [Uint8Array.from(set)];
  const weights: number[] = [1 - p];
  for (const R of removals) {
    const kept = Array.from(set).filter((_, i) => !R.includes(i));
    for (const O of additions) {
      seqs.push(Uint8Array.from([...kept, ...O.map((i) => outside[i])].sort((a, b) => a - b)));
      weights.push(each);
    }
  }
  return { seqs, weights: Float64Array.from(weights) };
}

/** The insert-sorted mixture's target distribution for one visible set (sorted ascending). */
export function insertMixture(set: Uint8Array, p: number, k: number, vocab: Vocab): { seqs: Uint8Array[]; weights: Float64Array } {
  const { n, min_number } = vocab;
  const inSet = new Set(set);
  const below: number[] = [];
  for (let v = min_number; v < set[n - 1]; v++) if (!inSet.has(v)) below.push(v);
  if (below.length < k) return { seqs: [Uint8Array.from(set)], weights: Float64Array.of(1) };
  const additions = combinations(below.length, k);
  const seqs: Uint8Array[] = [Uint8Array.from(set)];
  const weights: number[] = [1 - p];
  for (const O of additions) {
    seqs.push(Uint8Array.from([...set, ...O.map((i) => below[i])].sort((a, b) => a - b).slice(0, n)));
    weights.push(p / additions.length);
  }
  return { seqs, weights: Float64Array.from(weights) };
}

function combinations(m: number, k: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = (start: number): void => {
    if (cur.length === k) {
      out.push(cur.slice());
      return;
    }
    for (let i = start; i <= m - (k - cur.length); i++) {
      cur.push(i);
      rec(i + 1);
      cur.pop();
    }
  };
  rec(0);
  return out;
}

/** Largest mixture (sequences per row) we enumerate; beyond it the Bayes loss is unavailable. */
export const MAX_MIXTURE = 200_000;
/** Sequences enumerated in all, across sampled rows (sets the number of rows sampled). */
const ENUMERATION_BUDGET = 3_000_000;

/**
 * The Bayes loss of the training distribution of `config`.
 * @param visibleSets sorted visible number sets of the training rows (row-major, n per row),
 *   used only for replace-sorted; `sampleOrder` picks which rows (a seeded permutation).
 */
export function bayesLoss(config: DatasetConfig, vocab: Vocab, visibleSets: Uint8Array, sampleOrder: Uint32Array): BayesLoss {
  const { n, range } = vocab;
  const noise = config.noise;
  const constant = (h: (t: number) => number, note: string): BayesLoss => {
    const per = Array.from({ length: n }, (_, t) => h(t));
    return { method: 'closed-form', per_position: per, mean: per.reduce((a, b) => a + b, 0) / n, note };
  };
  if (noise.kind === 'none' || noise.p === 0) return constant(() => 0, 'clean data: the output is a function of the input');
  if (noise.kind === 'token') return constant(() => tokenNoiseEntropy(noise.p, range), `token noise: each target resampled w.p. ${noise.p} over ${range} numbers`);
  if (noise.kind === 'permute') {
    if (!config.distinct) return { method: 'unavailable', per_position: [], mean: null, note: 'permute with repeated numbers has no closed form here' };
    return constant((t) => permuteEntropy(noise.p, n, t), `permute w.p. ${noise.p}: posterior over clean vs permuted given the prefix`);
  }
  // replace-sorted, insert-sorted
  if (noise.kind === 'replace-sorted' && noise.side === 'input' && config.gaps.kind !== 'uniform') {
    return { method: 'unavailable', per_position: [], mean: null, note: 'input-side replacement: the posterior needs every set equally likely (uniform gaps)' };
  }
  const perRow = (noise.kind === 'insert-sorted' ? Math.exp(lnChoose(range - n, noise.k)) : Math.exp(lnChoose(n, noise.k) + lnChoose(range - n, noise.k))) + 1;
  if (perRow > MAX_MIXTURE) {
    return { method: 'unavailable', per_position: [], mean: null, note: `${noise.kind} with k=${noise.k}: ${Math.round(perRow)} possible targets per row, too many to enumerate` };
  }
  const mixture = (set: Uint8Array) => (noise.kind === 'insert-sorted' ? insertMixture(set, noise.p, noise.k, vocab) : replaceMixture(set, noise.p, noise.k, vocab));
  const what = noise.kind === 'insert-sorted' ? `insert-sorted (k=${noise.k}, p=${noise.p})` : `replace-sorted (${noise.side} side, k=${noise.k}, p=${noise.p})`;
  const rows = Math.max(1, Math.min(2000, sampleOrder.length, Math.floor(ENUMERATION_BUDGET / perRow)));
  const sum = new Float64Array(n);
  const sumSq = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const row = sampleOrder[r];
    const { seqs, weights } = mixture(visibleSets.subarray(row * n, row * n + n));
    const H = mixtureEntropy(seqs, weights, n);
    for (let t = 0; t < n; t++) {
      sum[t] += H[t];
      sumSq[t] += H[t] * H[t];
    }
  }
  const per = Array.from(sum, (s) => s / rows);
  const stderr = per.map((m, t) => (rows > 1 ? Math.sqrt(Math.max(0, sumSq[t] / rows - m * m) / (rows - 1)) : NaN));
  return {
    method: 'exact-per-row-sample',
    per_position: per,
    mean: per.reduce((a, b) => a + b, 0) / n,
    stderr,
    rows_sampled: rows,
    note: `${what}: exact conditional entropy of each sampled row's (at most) ${Math.round(perRow)} possible targets, averaged over ${rows} training rows`,
  };
}
