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
import { readable } from './changes.ts';
import { runMarkers, type Spread, spread } from './claims.ts';
import type { CheckpointRow, CompactExperiment } from './data.ts';
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
    const rows = e.curve.filter((r) => readable(r) !== null && r.symmetry && Object.keys(r.symmetry).length);
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

/** T_norm of one circuit (`QK` or `OV`) at a checkpoint, the mean over the heads that have it */
function tNormAt(r: CheckpointRow | undefined, circuit: string): number | null {
  const v = Object.entries(r?.symmetry ?? {}).filter(([k, x]) => k.endsWith(` ${circuit}`) && x.t_norm !== null).map(([, x]) => x.t_norm!);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** |ρ| at least this in every seed, with one sign, for "moves with" / "moves against" */
export const CONSISTENT_RHO = 0.5;

/**
 * Row 8 of the claims table: the paper's structural measure against λ̂ and against the stages.
 *   against λ̂ (per circuit, QK and OV, the mean over heads): every seed's ρ ≤ −CONSISTENT_RHO →
 *     "against λ̂"; every seed's ρ ≥ CONSISTENT_RHO → "with λ̂"; else "no consistent relation"
 *   against the stages: T_norm at each run's stage markers (claims.ts runMarkers: t_acc99 the end of
 *     initial learning, t_overlap the end of the overlap stage, t_split specialisation done, and
 *     the last checkpoint), mean ± sd over seeds
 */
export function row8(experiments: readonly CompactExperiment[], cell = 'baseline/gamma10000'): string {
  const s = symmetryVsLlc(experiments, cell);
  const fmt = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : '–');
  const answerFor = (key: string) => {
    const j = s?.keys.indexOf(key) ?? -1;
    const rho = j < 0 ? [] : s!.rho.map((r) => r[j]).filter(Number.isFinite);
    if (rho.length < 2) return { word: `${key}: not measured`, rho };
    const word = rho.every((r) => r <= -CONSISTENT_RHO) ? 'against λ̂ in every seed' : rho.every((r) => r >= CONSISTENT_RHO) ? 'with λ̂ in every seed' : 'no consistent relation';
    return { word: `${key}: ${word}`, rho };
  };
  const answers = ['QK', 'OV'].map(answerFor);
  const runs = experiments.filter((e) => e.cell === cell).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  const markers = runs.map((e) => ({ e, m: runMarkers(e) }));
  const stageLine = (circuit: string) => {
    const at = (pick: (m: ReturnType<typeof runMarkers>, e: CompactExperiment) => number | null) =>
      spread(markers.map(({ e, m }) => { const step = pick(m, e); return step === null ? null : tNormAt(e.curve.find((r) => r.step === step), circuit); }));
    const cols: [string, Spread | null][] = [
      ['t_acc99', at((m) => m.t_acc99)],
      ['t_overlap', at((m) => m.t_overlap)],
      ['t_split', at((m) => m.t_split)],
      ['end', at((_, e) => e.curve.filter((r) => r.symmetry && Object.keys(r.symmetry).length).at(-1)?.step ?? null)],
    ];
    return `${circuit} ${cols.map(([k, v]) => `${k} ${v ? `${fmt(v.mean)} ± ${fmt(v.sd)}` : '–'}`).join(', ')}`;
  };
  const evidence = runs.length
    ? `Spearman ρ(λ̂, T_norm) per seed over the checkpoints with a readable λ̂ (${s?.points.join(', ')}): ${answers.map((a, i) => `${['QK', 'OV'][i]} ${a.rho.map(fmt).join(', ') || '–'}`).join('; ')}; T_norm at the stage markers (n ${runs.length}): ${stageLine('QK')}; ${stageLine('OV')}`
    : 'not computed yet';
  return `| 8 | the paper's translational-symmetry measure (T_norm of the QK and OV circuits, mean over heads) against λ̂ along training (ρ of one sign and at least ${CONSISTENT_RHO} in size, in every seed) and at the stages | **${answers.map((a) => a.word).join('; ')}** | ${evidence} | \`npx sortscope findings --study claims --claims  # the table below the rows\` |\n`;
}
