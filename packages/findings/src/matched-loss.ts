/**
 * Claim 3a at matched loss (`findings --claims`, row 3a): the seeds of one noisy cell trained to
 * the same training loss (studies/claims/matched-loss.sweep.json); does the seed whose heads stay
 * more overlapping have the higher λ̂ (the paper: the split is the simpler, lower-LLC solution)?
 *
 *   per seed s, at its last checkpoint: overlap_s (the heads' copy-set overlap), λ̂_s (target all,
 *   readable only), L_s = the llc stage's L(w*) on the whole training set
 *   Spearman's ρ between overlap and λ̂ over the seeds, with its exact two-sided permutation p
 *   (all n! orderings; ties get mid-ranks)
 *   nβ·(max L − min L): how far apart the losses still are, in λ̂'s units (nβ = T·n / ln n)
 *
 * Verdict: reproduced when ρ > 0 with p < 0.05; contradicted when ρ < 0 with p < 0.05; not
 * reproduced in the range tried when p ≥ 0.05 (n ≥ 4); not measured below 4 readable seeds.
 *
 * The free-energy form (row 3a-F), for when the losses are not matched at λ̂'s resolution: the seeds
 * share one training set (only train.seed varies), so their local free energies compare directly,
 *
 *   F_s / ln n ≈ nβ·L_s + λ̂_s        (F_n ≈ n·L_n(w*) + λ·ln n with the per-sequence likelihood;
 *                                     nβ = T·n/ln n, L_s per token: the same units as λ̂)
 *
 * and the same rule on Spearman's ρ between overlap and F_s: reproduced (the more overlapping
 * solution has the higher free energy, so the posterior prefers the split) when ρ > 0 with p < 0.05.
 */
import { readable } from './changes.ts';
import type { CompactExperiment } from './data.ts';
import type { Verdict } from './verdict-words.ts';

export interface MatchedLoss {
  cell: string;
  seeds: number[];
  overlap: number[];
  llc: number[];
  loss: number[];
  steps: number[];
  rho: number;
  p: number;
  /** nβ·(max L − min L) */
  nbeta_dloss: number;
  verdict: Verdict;
  /** F_s/ln n − min over seeds = nβ·L_s + λ̂_s − min (λ̂ units) */
  free: number[];
  free_rho: number;
  free_p: number;
  free_verdict: Verdict;
}

function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) [sxy, sxx, syy] = [sxy + (x[i] - mx) * (y[i] - my), sxx + (x[i] - mx) ** 2, syy + (y[i] - my) ** 2];
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** Exact two-sided p of Spearman's ρ: the fraction of the n! pairings with |ρ| at least as large. */
export function spearmanP(x: readonly number[], y: readonly number[]): number {
  const rho = Math.abs(spearman(x, y));
  if (!Number.isFinite(rho)) return NaN;
  const rx = ranks(x);
  const ry = ranks(y);
  let hit = 0;
  let total = 0;
  const perm = ry.slice();
  const visit = (k: number) => {
    if (k === perm.length) {
      total++;
      if (Math.abs(pearson(rx, perm)) >= rho - 1e-12) hit++;
      return;
    }
    for (let i = k; i < perm.length; i++) {
      [perm[k], perm[i]] = [perm[i], perm[k]];
      visit(k + 1);
      [perm[k], perm[i]] = [perm[i], perm[k]];
    }
  };
  visit(0);
  return hit / total;
}

export function matchedLoss(experiments: readonly CompactExperiment[], cell: string, nbeta: number): MatchedLoss | null {
  const runs = experiments.filter((e) => e.cell === cell).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  if (runs.length === 0) return null;
  const out = { seeds: [] as number[], overlap: [] as number[], llc: [] as number[], loss: [] as number[], steps: [] as number[] };
  for (const e of runs) {
    const last = e.curve.filter((r) => r.llc.all).at(-1);
    const p = last?.llc.all;
    if (!last || !p || readable(last) === null || last.overlap === null) continue;
    out.seeds.push(e.seed ?? 0);
    out.overlap.push(last.overlap);
    out.llc.push(p.mean);
    out.loss.push(p.init_loss);
    out.steps.push(last.step);
  }
  const n = out.seeds.length;
  const rank = (y: number[]) => {
    const rho = n >= 2 ? spearman(out.overlap, y) : NaN;
    const p = n >= 2 && n <= 9 ? spearmanP(out.overlap, y) : NaN;
    const verdict: Verdict = n < 4 || !Number.isFinite(p) ? 'not measured' : p < 0.05 ? (rho > 0 ? 'reproduced' : 'contradicted') : 'not reproduced in the range tried';
    return { rho, p, verdict };
  };
  const { rho, p, verdict } = rank(out.llc);
  const dl = n ? Math.max(...out.loss) - Math.min(...out.loss) : NaN;
  // relative to the lowest: the common n·L of the noise floor is ~10⁵ λ̂ units and says nothing here
  const f = out.loss.map((l, i) => nbeta * (l - Math.min(...out.loss)) + out.llc[i]);
  const free = f.map((x) => x - Math.min(...f));
  const F = rank(free);
  return { cell, ...out, rho, p, nbeta_dloss: nbeta * dl, verdict, free, free_rho: F.rho, free_p: F.p, free_verdict: F.verdict };
}
