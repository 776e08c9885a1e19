/**
 * The direction of the LLC between checkpoints, per cell (`sortscope findings --changes`): for each
 * pair of consecutive steps at which the cell's seeds have an LLC estimate, the paired differences
 * over the seeds whose estimates at both steps can be read (no blocking flag),
 *
 *   d_s = λ̂_s(step b) − λ̂_s(step a),   mean d̄ ± sd, n, t = d̄ / (sd/√n),
 *
 * and the direction: `up` / `down` when every seed moved that way and |t| exceeds the two-sided 95%
 * quantile of Student's t with n − 1 degrees of freedom, else `inconclusive` (also for n < 2).
 */
import { readableEstimate } from '@sortscope/llc/diagnostics';
import { type CheckpointRow, type CompactExperiment } from './data.ts';

export interface Change {
  cell: string;
  target: string;
  from: number;
  to: number;
  /** the paired differences, per seed, in seed order */
  seeds: number[];
  diffs: number[];
  mean: number;
  sd: number;
  t: number;
  direction: 'up' | 'down' | 'inconclusive';
}

/** two-sided 95% quantiles of Student's t, by degrees of freedom 1 … 10 (above: 2.0) */
const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

export function tQuantile(df: number): number {
  return df < 1 ? NaN : df < T975.length ? T975[df] : 2.0;
}

/** one-sided 95% quantiles of Student's t, by degrees of freedom 1 … 10 (above: 1.8, ≥ the true 1.645–1.796) */
const T95 = [NaN, 6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812];

/** Student's t one-sided 95% quantile (the bound of a two one-sided tests equivalence test at α 0.05). */
export function tQuantileOneSided(df: number): number {
  return df < 1 ? NaN : df < T95.length ? T95[df] : 1.8;
}

/** Mean, sd, t and the direction (the rule above) of paired differences. */
export function paired(diffs: readonly number[]): { mean: number; sd: number; t: number; direction: Change['direction'] } {
  const n = diffs.length;
  const mean = n ? diffs.reduce((s, d) => s + d, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1)) : NaN;
  const t = n > 1 ? mean / (sd / Math.sqrt(n)) : NaN;
  const same = (sign: number) => n > 1 && diffs.every((d) => Math.sign(d) === sign);
  const significant = Number.isFinite(t) && Math.abs(t) > tQuantile(n - 1);
  const direction = significant && same(1) ? 'up' : significant && same(-1) ? 'down' : 'inconclusive';
  return { mean, sd, t, direction };
}

/** λ̂ of `target` at this checkpoint when it can be read (llc readable.ts: no flagged chain, λ̂ > 0, chains agree), else null */
export const readable = (r: CheckpointRow | undefined, target = 'all'): number | null => {
  const p = r?.llc[target];
  return p && readableEstimate(p) ? p.mean : null;
};

export function llcChanges(experiments: readonly CompactExperiment[], target = 'all'): Change[] {
  const out: Change[] = [];
  for (const cell of [...new Set(experiments.map((e) => e.cell))]) {
    const runs = experiments.filter((e) => e.cell === cell).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
    const steps = [...new Set(runs.flatMap((e) => e.curve.filter((r) => r.llc[target]).map((r) => r.step)))].sort((a, b) => a - b);
    for (let i = 0; i + 1 < steps.length; i++) {
      const [from, to] = [steps[i], steps[i + 1]];
      const seeds: number[] = [];
      const diffs: number[] = [];
      for (const e of runs) {
        const a = readable(e.curve.find((r) => r.step === from), target);
        const b = readable(e.curve.find((r) => r.step === to), target);
        if (a !== null && b !== null) (seeds.push(e.seed ?? 0), diffs.push(b - a));
      }
      out.push({ cell, target, from, to, seeds, diffs, ...paired(diffs) });
    }
  }
  return out;
}

export function changesMarkdown(changes: readonly Change[]): string {
  const p = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : '–');
  const out = ['| cell | target | steps | Δλ̂ per seed | mean ± sd | n | t | direction |', '|---|---|---|---|---:|---:|---:|---|'];
  for (const c of changes)
    out.push(`| ${c.cell} | ${c.target} | ${c.from} → ${c.to} | ${c.diffs.map((d, i) => `s${c.seeds[i]} ${d >= 0 ? '+' : ''}${p(d)}`).join(', ') || '–'} | ${p(c.mean)} ± ${p(c.sd)} | ${c.diffs.length} | ${p(c.t, 3)} | ${c.direction} |`);
  return `${out.join('\n')}\n`;
}
