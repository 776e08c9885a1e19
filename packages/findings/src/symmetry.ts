/**
 * The paper's structural measure against λ̂ (`findings --claims`, the symmetry table): does the
 * translational symmetry of the heads' circuits move with the LLC along training?
 *
 *   per run, over its checkpoints with a readable λ̂ (target all): Spearman's ρ between λ̂ and the
 *   authors' T_norm = (S_perp − S_par)/(S_perp + S_par) of each head's OV and QK circuit
 *   (raw-normalised, every number token; data.ts `symmetry`), and of their mean over the heads
 *   per cell: each key's ρ per seed, and their mean ± sd
 *
 * A ρ near −1 in every seed says the symmetry rises while λ̂ falls (or the reverse), step for step;
 * with 9–14 checkpoints per run ρ is descriptive: both quantities also move with training time.
 */
import { type Spread, spread } from './claims.ts';
import type { CompactExperiment } from './data.ts';
import { spearman } from './matched-loss.ts';

export interface SymmetryVsLlc {
  cell: string;
  /** `OV` / `QK`: the mean over heads; `L0H0 OV` …: one head */
  keys: string[];
  seeds: number[];
  /** [seed][key] ρ (NaN when fewer than 4 checkpoints) */
  rho: number[][];
  points: number[];
  summary: Record<string, Spread | null>;
}

export function symmetryVsLlc(experiments: readonly CompactExperiment[], cell: string): SymmetryVsLlc | null {
  const runs = experiments.filter((e) => e.cell === cell).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  if (!runs.length) return null;
  const headKeys = [...new Set(runs.flatMap((e) => e.curve.flatMap((r) => Object.keys(r.symmetry ?? {}))))].sort();
  const keys = [...['OV', 'QK'].filter((c) => headKeys.some((k) => k.endsWith(` ${c}`))), ...headKeys];
  const rho: number[][] = [];
  const points: number[] = [];
  for (const e of runs) {
    const rows = e.curve.filter((r) => r.llc.all && r.llc.all.flagged === 0 && Number.isFinite(r.llc.all.mean) && r.symmetry && Object.keys(r.symmetry).length);
    points.push(rows.length);
    const value = (r: (typeof rows)[number], key: string): number | null => {
      if (key.includes(' ')) return r.symmetry![key]?.t_norm ?? null;
      const v = Object.entries(r.symmetry!).filter(([k, x]) => k.endsWith(` ${key}`) && x.t_norm !== null).map(([, x]) => x.t_norm!);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    rho.push(
      keys.map((key) => {
        const pairs = rows.map((r) => [r.llc.all.mean, value(r, key)] as const).filter((p): p is readonly [number, number] => p[1] !== null);
        return pairs.length >= 4 ? spearman(pairs.map((p) => p[0]), pairs.map((p) => p[1])) : NaN;
      }),
    );
  }
  return { cell, keys, seeds: runs.map((e) => e.seed ?? 0), rho, points, summary: Object.fromEntries(keys.map((k, j) => [k, spread(rho.map((r) => (Number.isFinite(r[j]) ? r[j] : null)))])) };
}

export function symmetryMarkdown(s: SymmetryVsLlc | null): string {
  if (!s) return '';
  const p = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
  const out = [
    `Spearman ρ between λ̂ and the authors' T_norm along training, ${s.cell} (checkpoints with a readable λ̂ per seed: ${s.points.join(', ')}):`,
    '',
    `| seed | ${s.keys.join(' | ')} |`,
    `|---|${s.keys.map(() => '---:').join('|')}|`,
    ...s.seeds.map((seed, i) => `| ${seed} | ${s.rho[i].map(p).join(' | ')} |`),
    `| mean ± sd | ${s.keys.map((k) => (s.summary[k] ? `${p(s.summary[k]!.mean)} ± ${p(s.summary[k]!.sd)}` : '–')).join(' | ')} |`,
  ];
  return `${out.join('\n')}\n`;
}
