/**
 * The third edition's verdicts on the paper's LLC claims, decided by rules written before the
 * numbers were in (`sortscope findings --claims`). Each claim is a set of paired comparisons of
 * λ̂ over the training seeds (compare.ts: d_s = λ̂_s(A) − λ̂_s(B), mean ± sd, t, n, and a
 * direction: up / down when every seed moved that way and |t| exceeds the two-sided 95% quantile
 * of Student's t with n − 1 degrees of freedom), one per estimator variant (γ 10,000, γ 20,000, γ 40,000,
 * the rmsprop sampler). A claim of a direction (the LLC rises / falls) gets:
 *   reproduced                        every variant measured (n ≥ 2) shows the claimed direction
 *   contradicted                      every variant measured shows the opposite direction
 *   not reproduced in the range tried no variant shows a direction
 *   inconclusive                      anything else (variants disagree, or some show it, some not)
 *   not measured                      no variant has two seeds with readable estimates at both ends
 * A claim of no change (a plateau) gets "reproduced" only when it is shown, by an equivalence test
 * (two one-sided t tests at α 0.05, TOST): for every measured variant the 90% interval of the
 * mean change, d̄ ± t₀.₉₅(n−1)·sd/√n, lies inside ±FLAT_FRACTION of the λ̂ level (the mean of
 * |λ̂| at both ends over the seeds). It gets "contradicted" when every variant shows the same
 * direction, and otherwise "inconclusive": a non-significant change is not proof of none, and a
 * small mean with a wide interval neither shows nor excludes a change of FLAT_FRACTION.
 * The words are those of issue #28; "contradicted" needs the opposite seen in every variant.
 * A verdict rests on the comparisons that are measured; when some of a claim's comparisons are not
 * (cells not computed yet, or checkpoints with no readable λ̂, such as steps 0-50, which are not
 * minima even tilted), the table says on how many of them it rests.
 * Coverage (added 2026-12-07): a claim spans step intervals (its pairs' from → to steps and target,
 * whichever variant measures them). "reproduced" and "contradicted" need a measured comparison in at
 * least half of them; with fewer, the verdict is "inconclusive" and the table says how many intervals
 * were covered. (Row 1a, "rises in steps 0-196", read "contradicted" on its falls from step 92 on,
 * while its rise, if any, would lie in steps 0-92, which no readable estimate covers.)
 */
import { tQuantileOneSided } from './changes.ts';
import { type Comparison, comparePoints, parsePoint, type Point } from './compare.ts';
import type { CompactExperiment } from './data.ts';
import { type MatchedLoss, matchedLoss } from './matched-loss.ts';
import type { Verdict } from './verdict-words.ts';

export const FLAT_FRACTION = 0.05;

export type { Verdict } from './verdict-words.ts';
export type Claimed = 'up' | 'down' | 'flat';

/** A claimed change between two points, measured by each estimator variant (a cell suffix). */
export interface ClaimTest {
  id: string;
  claim: string;
  claimed: Claimed;
  /** [to, from] point specs per variant: λ̂(to) − λ̂(from) */
  pairs: [string, string][];
}

export interface ClaimResult {
  id: string;
  claim: string;
  claimed: Claimed;
  verdict: Verdict;
  /** the comparisons with ≥ 2 seeds readable at both ends, of all the claim lists */
  measured: number;
  listed: number;
  /** the claim's step intervals (from → to steps and target, over its variants), and how many have a measured comparison */
  intervals: number;
  covered: number;
  comparisons: Comparison[];
  /** the command that prints the comparisons */
  command: string;
}

export function verdictOf(claimed: Claimed, cs: readonly Comparison[]): Verdict {
  const measured = cs.filter((c) => c.diffs.length >= 2);
  if (measured.length === 0) return 'not measured';
  const dirs = measured.map((c) => c.direction);
  if (claimed === 'flat') {
    if (measured.every((c) => equivalence(c).within)) return 'reproduced';
    if (dirs.every((d) => d === 'up') || dirs.every((d) => d === 'down')) return 'contradicted';
    return 'inconclusive';
  }
  const opposite = claimed === 'up' ? 'down' : 'up';
  if (dirs.every((d) => d === claimed)) return 'reproduced';
  if (dirs.every((d) => d === opposite)) return 'contradicted';
  if (dirs.every((d) => d === 'inconclusive')) return 'not reproduced in the range tried';
  return 'inconclusive';
}

/**
 * The equivalence test of a plateau (TOST at α 0.05): the 90% interval of the mean change and the
 * margin ±FLAT_FRACTION·level, level = mean |λ̂| over both ends and the seeds.
 */
export function equivalence(c: Comparison): { lo: number; hi: number; margin: number; within: boolean } {
  const n = c.diffs.length;
  const half = n >= 2 ? tQuantileOneSided(n - 1) * (c.sd / Math.sqrt(n)) : NaN;
  const all = c.values.flat().map(Math.abs);
  const margin = all.length ? (FLAT_FRACTION * all.reduce((s, v) => s + v, 0)) / all.length : NaN;
  const [lo, hi] = [c.mean - half, c.mean + half];
  return { lo, hi, margin, within: Number.isFinite(half) && lo >= -margin && hi <= margin };
}

/** Run the tests whose cells are present (a comparison needs both its cells in the results). */
export function claimResults(experiments: readonly CompactExperiment[], tests: readonly ClaimTest[]): ClaimResult[] {
  const cells = new Set(experiments.map((e) => e.cell));
  return tests.map((t) => {
    const pairs = t.pairs.map(([to, from]) => [parsePoint(to), parsePoint(from)] as [Point, Point]).filter(([a, b]) => cells.has(a.cell) && cells.has(b.cell));
    const comparisons = pairs.map(([a, b]) => comparePoints(experiments, a, b));
    const spec = (p: Point) => `${p.cell}@${p.step}${p.target === 'all' ? '' : `:${p.target}`}`;
    const interval = (a: Point, b: Point) => `${a.target}:${b.step}→${a.step}`;
    const intervals = new Set(t.pairs.map(([to, from]) => interval(parsePoint(to), parsePoint(from)))).size;
    const covered = new Set(comparisons.filter((c) => c.diffs.length >= 2).map((c) => interval(c.a, c.b))).size;
    const verdict = verdictOf(t.claimed, comparisons);
    return {
      id: t.id,
      claim: t.claim,
      claimed: t.claimed,
      verdict: (verdict === 'reproduced' || verdict === 'contradicted') && 2 * covered < intervals ? 'inconclusive' : verdict,
      measured: comparisons.filter((c) => c.diffs.length >= 2).length,
      listed: t.pairs.length,
      intervals,
      covered,
      comparisons,
      command: pairs.length ? `npx sortscope findings --study claims --compare "${pairs.map(([a, b]) => `${spec(a)},${spec(b)}`).join(';')}"` : '–',
    };
  });
}

const B = 'baseline';
/** variants of the estimator at the steps they share: γ 10,000 (the default), γ 20,000, γ 40,000 (added 2026-12-07, the noise controls' γ), rmsprop */
const VARIANTS = ['gamma10000', 'gamma20000', 'gamma40000', 'rmsprop-gamma10000'];
const across = (to: number, from: number): [string, string][] => VARIANTS.map((v) => [`${B}/${v}@${to}`, `${B}/${v}@${from}`]);

/** The paper's LLC claims as the third edition tests them (studies/claims). */
export const LLC_CLAIMS: ClaimTest[] = [
  {
    id: '1a',
    claim: 'the LLC rises during initial learning (steps 0 to 196)',
    claimed: 'up',
    pairs: [
      [`${B}/early-gamma10000@20`, `${B}/early-gamma10000@0`],
      [`${B}/early-gamma10000@50`, `${B}/early-gamma10000@20`],
      [`${B}/early-gamma10000@92`, `${B}/early-gamma10000@50`],
      [`${B}/early-gamma10000@145`, `${B}/early-gamma10000@92`],
      [`${B}/gamma10000@196`, `${B}/early-gamma10000@145`],
      // added 2026-12-07: at γ 100,000 the checkpoints before step 92 are minima of the sampled potential (at 10,000 they are not)
      [`${B}/early-gamma100000@20`, `${B}/early-gamma100000@0`],
      [`${B}/early-gamma100000@50`, `${B}/early-gamma100000@20`],
      [`${B}/early-gamma100000@92`, `${B}/early-gamma100000@50`],
      [`${B}/early-gamma100000@145`, `${B}/early-gamma100000@92`],
      [`${B}/early-gamma100000@196`, `${B}/early-gamma100000@145`],
    ],
  },
  { id: '1b', claim: 'the LLC is constant during the head-overlap stage (196 to 366)', claimed: 'flat', pairs: across(366, 196) },
  { id: '1c', claim: 'the LLC falls as the heads specialise (366 to 887)', claimed: 'down', pairs: across(887, 366) },
  { id: '1d', claim: 'the fall goes on after the split (887 to 1,831; the estimator study\u2019s finding at γ 20,000 and 40,000)', claimed: 'down', pairs: across(1831, 887) },
  { id: '1e', claim: 'the LLC stays from 1,831 to the end of training (7,325)', claimed: 'flat', pairs: across(7325, 1831) },
  {
    id: '1g',
    claim: 'each head\u2019s weight-restricted λ̂ falls as the heads specialise (366 to 887, γ 10,000 as the whole model; one row per head: its t over seeds replaces the second edition\u2019s head counts)',
    claimed: 'down',
    pairs: ['L0H0', 'L0H1'].map((h) => [`${B}/heads-gamma10000@887:${h}`, `${B}/heads-gamma10000@366:${h}`] as [string, string]),
  },
  {
    id: '2a',
    claim: 'control: the heads frozen at 1,831, the rest trained and annealed as the baseline; λ̂ against the baseline at 3,663 and 7,325 (no difference: the late change is not the heads\u2019)',
    claimed: 'flat',
    pairs: [
      ['frozen-heads/from1831@3663', `${B}/gamma10000@3663`],
      ['frozen-heads/from1831@7325', `${B}/gamma10000@7325`],
    ],
  },
  {
    id: '2b',
    claim: 'control: annealing alone (the constant-lr runs, 5 annealed epochs after step 7,325) leaves λ̂ unchanged',
    claimed: 'flat',
    pairs: [
      ['anneal/lr-constant-1e-3@8790', 'anneal/lr-constant-1e-3@7325'],
      ['anneal/lr-constant-2e-4@8790', 'anneal/lr-constant-2e-4@7325'],
    ],
  },
];

/**
 * The estimator variants a verdict rests on, from the cells of its measured comparisons (issue #28:
 * a verdict holds across γ and both samplers, or says it does not): γ from a cell's `gammaN`
 * (10,000 otherwise, the study's default), the sampler rmsprop when the cell says so, else SGLD.
 */
export function variantsOf(cs: readonly Comparison[]): string {
  const of = (cell: string) => {
    const g = Number(/gamma(\d+)/.exec(cell)?.[1] ?? 10_000);
    return { g, sampler: cell.includes('rmsprop') ? 'rmsprop' : 'SGLD' };
  };
  const seen = cs.filter((c) => c.diffs.length >= 2).flatMap((c) => [of(c.a.cell), of(c.b.cell)]);
  const bySampler = (sampler: string) => [...new Set(seen.filter((v) => v.sampler === sampler).map((v) => v.g))].sort((a, b) => a - b).map((g) => g.toLocaleString('en'));
  const list = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}` : xs[0]);
  const groups = ['SGLD', 'rmsprop'].map((sm) => ({ sm, gs: bySampler(sm) })).filter((x) => x.gs.length);
  const one = groups.reduce((n, x) => n + x.gs.length, 0) === 1;
  return `at ${groups.map(({ sm, gs }) => `γ ${list(gs)} with ${sm}`).join('; ')}${one ? ' only' : ''}`;
}

export function claimsMarkdown(results: readonly ClaimResult[]): string {
  const p = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : '–');
  const name = (x: Point) => `${x.cell}@${x.step}${x.target === 'all' ? '' : `:${x.target}`}`;
  const out = ['| # | claim | verdict | evidence: per variant, Δλ̂ mean ± sd (n seeds, t, direction) | command |', '|---|---|---|---|---|'];
  for (const r of results) {
    const tost = (c: Comparison) => {
      if (r.claimed !== 'flat' || c.diffs.length < 2) return '';
      const e = equivalence(c);
      return `, 90% CI [${p(e.lo)}, ${p(e.hi)}] ${e.within ? 'inside' : 'not inside'} ±${p(e.margin)}`;
    };
    const ev = r.comparisons.map((c) => `${name(c.a)} − ${name(c.b)}: ${p(c.mean)} ± ${p(c.sd)} (n ${c.diffs.length}, t ${p(c.t)}, ${c.direction}${tost(c)})`).join('; ') || 'cells not computed yet';
    const capped = r.measured > 0 && 2 * r.covered < r.intervals ? `, covering ${r.covered} of its ${r.intervals} step intervals (a verdict needs half)` : '';
    const on = r.measured < r.listed && r.measured > 0 ? `, on ${r.measured} of ${r.listed} comparisons${capped}` : '';
    const variants = r.measured > 0 ? ` (${variantsOf(r.comparisons)})` : '';
    out.push(`| ${r.id} | ${r.claim} | **${r.verdict}**${on}${variants} | ${ev} | ${r.command === '–' ? '–' : `\`${r.command}\``} |`);
  }
  return `${out.join('\n')}\n`;
}

/** The claims study's nβ: T·n / ln n for n = 150,000 training lists of T = 10 scored tokens. */
export const STUDY_NBETA = (10 * 150_000) / Math.log(150_000);

export const MATCHED_LOSS_CELL = 'matched-loss/replace-k3-p=1-loss1.59';
/** the matched-loss cells: the same six training runs, λ̂ at γ 10,000 and at 40,000 (where the stopping points are minima more often) */
export const MATCHED_LOSS_CELLS = [
  { cell: MATCHED_LOSS_CELL, id: '3a', gamma: '10,000' },
  { cell: `${MATCHED_LOSS_CELL}-gamma40000`, id: '3a-γ40k', gamma: '40,000' },
] as const;

/** Rows 3a and 3a-F, at each γ of MATCHED_LOSS_CELLS: lower λ̂ for the split at matched loss (matched-loss.ts). */
export function matchedLossMarkdown(experiments: readonly CompactExperiment[]): string {
  return MATCHED_LOSS_CELLS.map(({ cell, id, gamma }) => matchedLossRows(experiments, cell, id, gamma)).join('');
}

function matchedLossRows(experiments: readonly CompactExperiment[], cell: string, id: string, gamma: string): string {
  const found: MatchedLoss | null = matchedLoss(experiments, cell, STUDY_NBETA);
  const m = found?.seeds.length ? found : null; // a cell with runs but none with both circuits and a readable λ̂ yet
  const p = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : '–');
  const nothing = found ? 'no seed with its circuits and a readable λ̂ yet' : 'cell not computed yet';
  const ev = m
    ? `Spearman ρ(overlap, λ̂) ${p(m.rho)}, exact p ${p(m.p, 2)}, n ${m.seeds.length}; per seed (step: overlap, λ̂, L): ${m.seeds.map((s, i) => `s${s} ${m.steps[i]}: ${p(m.overlap[i], 2)}, ${p(m.llc[i], 4)}, ${p(m.loss[i], 5)}`).join('; ')}; nβ·ΔL ${p(m.nbeta_dloss)}`
    : nothing;
  const evF = m ? `Spearman ρ(overlap, F) ${p(m.free_rho)}, exact p ${p(m.free_p, 2)}, n ${m.seeds.length}; per seed F/ln n − min (nβ·L + λ̂): ${m.seeds.map((s, i) => `s${s} ${p(m.free[i], 4)}`).join(', ')}` : nothing;
  const cmd = `\`npx sortscope findings --study claims --curve ${cell}-seed=1\``;
  const at = ` (γ ${gamma} with SGLD)`;
  return (
    `| ${id} | at matched training loss, the seed whose heads stay more overlapping has the higher λ̂ (${cell}) | **${m?.verdict ?? 'not measured'}**${m ? at : ''} | ${ev} | ${cmd} |\n` +
    `| ${id}-F | the same seeds by their local free energy F/ln n ≈ nβ·L(w*) + λ̂ (one training set, so losses need not match): the more overlapping seed has the higher F, the posterior prefers the split | **${m?.free_verdict ?? 'not measured'}**${m ? at : ''} | ${evF} | ${cmd} |\n`
  );
}
