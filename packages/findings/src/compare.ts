/**
 * Paired comparisons of λ̂ between two (cell, step) points over the seeds both hold
 * (`sortscope findings --compare "A@s1,B@s2"`): the controls of the third edition, e.g. the
 * frozen-heads runs against the baseline at the same step (both continue the same step-1,831
 * weights), or the annealed constant-lr runs against the constant ones.
 *
 *   d_s = λ̂_s(A at s1) − λ̂_s(B at s2)    for the seeds s whose estimates at both can be read,
 *
 * then mean ± sd, n, t and the direction as `--changes` (changes.ts, `paired`).
 *
 * Both sides of a comparison are of one vintage (`vintage`): an entry held from an earlier llc
 * computation (compact-file.ts mergeCompact's `stale`) is compared only with another held from the
 * same llc version, and a fresh one only with a fresh one. While a study is recomputed, a cell whose
 * settings changed (e.g. the noise controls' γ) is otherwise set against numbers of another γ or
 * estimator.
 */
import { ConfigError } from '@sortscope/core/errors';
import { type Change, paired, readable, tQuantile } from './changes.ts';
import type { CompactExperiment } from './data.ts';

export interface Point {
  cell: string;
  step: number;
  target: string;
}

export interface Comparison extends Pick<Change, 'seeds' | 'diffs' | 'mean' | 'sd' | 't' | 'direction'> {
  a: Point;
  b: Point;
  /** λ̂ at each side, per seed (in `seeds` order) */
  values: [number, number][];
  /** seeds held at both points but left out because the two are of different vintages (`vintage`) */
  vintageSkipped: number;
}

/** `cell@step` or `cell@step:target` (target default `all`). */
export function parsePoint(spec: string, what = '--compare'): Point {
  const m = /^(.+)@(\d+)(?::(.+))?$/.exec(spec.trim());
  if (!m) throw new ConfigError(`${what}: got ${JSON.stringify(spec)}; expected CELL@STEP or CELL@STEP:TARGET (e.g. baseline/gamma10000@7325 or baseline/heads-gamma10000@887:L0H0)`);
  return { cell: m[1], step: Number(m[2]), target: m[3] ?? 'all' };
}

/** 'fresh', or 'stale llc <version>' for an entry held from an earlier llc computation: only estimates of one vintage are compared. */
export function vintage(e: CompactExperiment): string {
  return e.stale?.includes('llc') ? `stale llc ${e.versions?.llc ?? '?'}` : 'fresh';
}

export function comparePoints(experiments: readonly CompactExperiment[], a: Point, b: Point): Comparison {
  for (const p of [a, b]) if (!experiments.some((e) => e.cell === p.cell)) throw new ConfigError(`--compare: no cell ${JSON.stringify(p.cell)} in these results (cells: ${[...new Set(experiments.map((e) => e.cell))].join(', ')})`);
  const entry = (p: Point, seed: number | null) => experiments.find((e) => e.cell === p.cell && e.seed === seed);
  const at = (e: CompactExperiment | undefined, p: Point) => readable(e?.curve.find((r) => r.step === p.step), p.target);
  const seeds: number[] = [];
  const values: [number, number][] = [];
  let vintageSkipped = 0;
  for (const seed of [...new Set(experiments.filter((e) => e.cell === a.cell).map((e) => e.seed))].sort((x, y) => (x ?? 0) - (y ?? 0))) {
    const [ea, eb] = [entry(a, seed), entry(b, seed)];
    if (!ea || !eb) continue;
    if (vintage(ea) !== vintage(eb)) {
      vintageSkipped++;
      continue;
    }
    const [x, y] = [at(ea, a), at(eb, b)];
    if (x !== null && y !== null) (seeds.push(seed ?? 0), values.push([x, y]));
  }
  const diffs = values.map(([x, y]) => x - y);
  return { a, b, seeds, values, diffs, vintageSkipped, ...paired(diffs) };
}

export function comparisonsMarkdown(cs: readonly Comparison[]): string {
  const p = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : '–');
  const name = (x: Point) => `${x.cell}@${x.step}${x.target === 'all' ? '' : `:${x.target}`}`;
  const out = ['| A − B | per seed: A, B (A − B) | mean ± sd | n | t | direction |', '|---|---|---:|---:|---:|---|'];
  for (const c of cs) {
    const skipped = c.vintageSkipped ? `${c.values.length ? '; ' : ''}${c.vintageSkipped} seed(s) left out: their LLC numbers at the two points come from different llc versions or settings` : '';
    out.push(`| ${name(c.a)} − ${name(c.b)} | ${c.values.map(([x, y], i) => `s${c.seeds[i]} ${p(x, 4)}, ${p(y, 4)} (${c.diffs[i] >= 0 ? '+' : ''}${p(c.diffs[i])})`).join('; ') || (skipped ? '' : '–')}${skipped} | ${p(c.mean)} ± ${p(c.sd)} | ${c.diffs.length} | ${p(c.t)} | ${c.direction} |`);
  }
  return `${out.join('\n')}\n`;
}

/** Welch's unpaired comparison of two cells' readable λ̂ at a step each (independent runs). */
export interface Unpaired {
  a: Point;
  b: Point;
  va: number[];
  vb: number[];
  diff: number;
  t: number;
  df: number;
  direction: 'up' | 'down' | 'inconclusive';
}

/** an unpaired comparison with at least two runs on each side (fewer give no Welch t) */
export const twoASide = (u: Unpaired): boolean => u.va.length >= 2 && u.vb.length >= 2;

export function compareCells(experiments: readonly CompactExperiment[], a: Point, b: Point): Unpaired {
  const values = (p: Point, v: string) =>
    experiments
      .filter((e) => e.cell === p.cell && vintage(e) === v)
      .sort((x, y) => (x.seed ?? 0) - (y.seed ?? 0))
      .map((e) => readable(e.curve.find((r) => r.step === p.step), p.target))
      .filter((x): x is number => x !== null);
  // the first vintage both sides hold readable estimates of, fresh before stale
  const vintages = [...new Set(experiments.filter((e) => e.cell === a.cell || e.cell === b.cell).map(vintage))].sort((x, y) => (x === 'fresh' ? -1 : y === 'fresh' ? 1 : 0));
  const both = vintages.map((v) => [values(a, v), values(b, v)]).filter(([x, y]) => x.length && y.length);
  const [va, vb] = both[0] ?? [[], []];
  const stats = (v: number[]) => {
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return { m, v2: v.length > 1 ? v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1) : NaN, n: v.length };
  };
  const [x, y] = [stats(va), stats(vb)];
  const se2 = x.v2 / x.n + y.v2 / y.n;
  const t = (x.m - y.m) / Math.sqrt(se2);
  const df = se2 ** 2 / ((x.v2 / x.n) ** 2 / (x.n - 1) + (y.v2 / y.n) ** 2 / (y.n - 1));
  const significant = x.n >= 2 && y.n >= 2 && Number.isFinite(t) && Math.abs(t) > tQuantile(Math.max(1, Math.floor(df)));
  return { a, b, va, vb, diff: x.m - y.m, t, df, direction: significant ? (t > 0 ? 'up' : 'down') : 'inconclusive' };
}
