/**
 * The claims-table rows that are not LLC comparisons (`findings --claims`), each decided by a rule
 * fixed before the numbers were in:
 *   3b  the split survives without weight decay: both split definitions at the end of the
 *       100-epoch runs (modes.ts, survivesVerdict), with step 7,325 beside it
 *   4   copy suppression calibrates: removing the suppressor's negative self-token effects
 *       (behaviour.calibration, all sources; the suppressor is the head with the most logit added
 *       back) raises the overconfidence (mean confidence − accuracy) at the last checkpoint, paired
 *       over seeds (changes.ts `paired`): up → reproduced, down → contradicted, else not
 *       reproduced in the range tried; the confidence on wrong tokens and the ECE beside it, and
 *       the mean Δ overconfidence at every step where calibration was measured (over training)
 *   5   ρ̄ decides the mode: the mode at the end per cell, cells ordered by ρ̄ at the baseline's
 *       vocabulary (circular-tilted gaps, list lengths) and by changing the range (modes.ts,
 *       gapVerdict)
 *   6a-llc  random-permutation outputs give no high LLC: λ̂ of the permute cell against the
 *       baseline's at the same γ and step (γ 40,000, and 100,000 at two steps), unpaired (Welch;
 *       independent runs): higher at some step → contradicted, lower at every step → reproduced,
 *       else inconclusive (the "no learning" half, 6a, and the other noise
 *       questions: noise-rows.ts)
 *   7   one and three heads against two: λ̂ at the end, unpaired (measured, no claim to decide)
 *   1f  the paper's likely estimator (devinterp's sampler on the raw weights) at the baseline's 14
 *       checkpoints, read at face value: mean over seeds per step, and how many of its chains are
 *       flagged (a flagged estimate is not a measurement of the checkpoint; shown, not judged)
 */
import { paired } from './changes.ts';
import { compareCells, parsePoint, twoASide, type Unpaired } from './compare.ts';
import type { CompactExperiment } from './data.ts';
import { gapVerdict, modes, modesLine, survivesVerdict } from './modes.ts';
import { claimRow, NOISE_CLEAN, ONE_VARIANT, type Verdict } from './verdict-words.ts';

const p = (v: number, d = 3) => (Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : '–');
const line = (id: string, claim: string, verdict: Verdict, evidence: string, command: string, note = '') => claimRow(id, claim, verdict, evidence, command, note);

export function row3b(ex: readonly CompactExperiment[]): string {
  const cell = 'long-noWD/epochs100';
  const end = modes(ex, cell);
  const mid = modes(ex, cell, 7325);
  return line('3b', 'the heads\u2019 split survives without weight decay (100 epochs; split = Jaccard overlap ≤ 0.5 and every head the argmax copier of ≥ 20% of the tokens)', survivesVerdict(end), `end: ${modesLine(end)}; at 7,325: ${modesLine(mid)}`, `npx sortscope findings --study claims --curve ${cell}-seed=1`);
}

export function row4(ex: readonly CompactExperiment[], cell = 'baseline/gamma10000'): string {
  const runs = ex.filter((e) => e.cell === cell && e.behaviour?.calibration?.clean.length).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  const d = { over: [] as number[], wrong: [] as number[], ece: [] as number[], heads: [] as string[], logit: [] as number[] };
  for (const e of runs) {
    const cal = e.behaviour!.calibration!;
    const i = cal.clean.length - 1;
    const all = cal.suppression_removed.filter((v) => v.sources === 'all');
    const top = all.reduce((a, b) => ((b.points[i].removed_logit ?? 0) > (a.points[i].removed_logit ?? 0) ? b : a), all[0]);
    if (!top) continue;
    const [c, r] = [cal.clean[i], top.points[i]];
    d.over.push(r.overconfidence - c.overconfidence);
    if (c.confidence_wrong !== null && r.confidence_wrong !== null) d.wrong.push(r.confidence_wrong - c.confidence_wrong);
    d.ece.push(r.ece - c.ece);
    d.heads.push(`s${e.seed}: L0H${top.head}`);
    d.logit.push(r.removed_logit ?? NaN);
  }
  // over training: the same Δ overconfidence at every step the calibration was measured (the LLC's steps)
  const steps = [...new Set(runs.flatMap((e) => e.behaviour!.calibration!.steps))].sort((a, b) => a - b);
  const overTraining = steps.length > 1
    ? steps.map((step) => {
        const ds = runs.flatMap((e) => {
          const cal = e.behaviour!.calibration!;
          const i = cal.steps.indexOf(step);
          const all = cal.suppression_removed.filter((v) => v.sources === 'all');
          if (i < 0 || !all.length) return [];
          const top = all.reduce((a, b) => ((b.points[i].removed_logit ?? 0) > (a.points[i].removed_logit ?? 0) ? b : a), all[0]);
          return [top.points[i].overconfidence - cal.clean[i].overconfidence];
        });
        return `${step}: ${p(ds.reduce((a, x) => a + x, 0) / ds.length)} (n ${ds.length})`;
      }).join(', ')
    : '';
  const t = paired(d.over);
  const verdict: Verdict = d.over.length < 2 ? 'not measured' : t.direction === 'up' ? 'reproduced' : t.direction === 'down' ? 'contradicted' : 'not reproduced in the range tried';
  const s = (x: number[]) => { const q = paired(x); return `${p(q.mean)} ± ${p(q.sd)} (t ${p(q.t)}, ${q.direction})`; };
  const evidence = runs.length
    ? `${cell}, last checkpoint, the suppressor (${d.heads.join(', ')}; ${d.logit.map((x) => p(x)).join(', ')} logit added back per token) removed, n ${d.over.length}: Δ overconfidence ${s(d.over)}; Δ confidence on wrong tokens ${s(d.wrong)}; Δ ECE ${s(d.ece)}${overTraining ? `; over training, Δ overconfidence (mean over seeds, that step's suppressor removed) ${overTraining}` : ''}`
    : 'not computed yet';
  return line('4', 'copy suppression calibrates: without the suppressor\u2019s negative self-token effects the model is more overconfident', verdict, evidence, 'npx sortscope findings --study claims --cells --json  # behaviour.calibration per run');
}

/** the cells of claim 5 and their ρ̄ = mean adjacent gap of the sorted lists */
export const GAP_CELLS: { cell: string; rho: number; how: string }[] = [
  { cell: 'gaps-fixed-vocab/rho2.91', rho: 2.91, how: '0..50, clusters' },
  { cell: 'gaps-fixed-vocab/rho3.82', rho: 3.82, how: '0..50, clusters' },
  { cell: 'list-length/n15', rho: 52 / 16, how: '0..50, n 15' },
  { cell: 'list-length/n12', rho: 52 / 13, how: '0..50, n 12' },
  { cell: 'baseline/gamma10000', rho: 52 / 11, how: '0..50, n 10' },
  { cell: 'list-length/n8', rho: 52 / 9, how: '0..50, n 8' },
  { cell: 'list-length/n5', rho: 52 / 6, how: '0..50, n 5' },
];

export function row5(ex: readonly CompactExperiment[]): string {
  const cells = GAP_CELLS.map((c) => ({ ...c, modes: modes(ex, c.cell) })).filter((c) => c.modes.length);
  const evidence = cells.map((c) => `ρ̄ ${p(c.rho)} (${c.how}): ${c.modes.map((m) => m.mode ?? '–').join('/')}`).join('; ') || 'not computed yet';
  return line('5', 'the mean adjacent gap ρ̄ decides the mode (at the baseline\u2019s vocabulary: clustered lists and other list lengths)', gapVerdict(cells), evidence, 'npx sortscope findings --study claims --cells');
}

const welch = (u: Unpaired) => `${u.a.cell}@${u.a.step} − ${u.b.cell}@${u.b.step}: ${p(u.diff)} (${u.va.map((v) => p(v, 4)).join(', ')} against ${u.vb.map((v) => p(v, 4)).join(', ')}; Welch t ${p(u.t)}, df ${p(u.df, 2)}, ${u.direction})`;

/**
 * Row 6a-llc's comparisons, one per γ: the permute cell against the clean baseline at the same γ and
 * steps. γ 100,000 (steps 1,831 and 7,325) checks the γ-40,000 reading at a second γ.
 */
const ROW_6A_VARIANTS = [
  { gamma: 40000, noisy: 'noise/permute-p=1', clean: NOISE_CLEAN, steps: [366, 1831, 7325] },
  { gamma: 100000, noisy: 'noise/permute-p=1-gamma100000', clean: 'baseline/gamma100000', steps: [1831, 7325] },
];

export function row6a(ex: readonly CompactExperiment[]): string {
  const byVariant = ROW_6A_VARIANTS.map((v) => ({ ...v, us: v.steps.map((s) => compareCells(ex, parsePoint(`${v.noisy}@${s}`), parsePoint(`${v.clean}@${s}`))).filter((u) => u.va.length && u.vb.length) }));
  const us = byVariant.flatMap((v) => v.us);
  const measured = us.filter(twoASide);
  const verdict: Verdict = !measured.length ? 'not measured' : measured.every((u) => u.direction === 'down') ? 'reproduced' : measured.some((u) => u.direction === 'up') ? 'contradicted' : 'inconclusive';
  const gammas = byVariant.filter((v) => v.us.some(twoASide)).map((v) => v.gamma.toLocaleString('en'));
  const note = gammas.length ? ` (at γ ${gammas.join(' and ')} with SGLD only)` : '';
  return line('6a-llc', 'random-permutation outputs: no high LLC (against the clean baseline at the same γ and steps)', verdict, us.map(welch).join('; ') || 'not computed yet', 'npx sortscope findings --study claims --cells', note);
}

export function row7(ex: readonly CompactExperiment[]): string {
  const us = ['architecture/1head', 'architecture/3heads'].map((c) => compareCells(ex, parsePoint(`${c}@7325`), parsePoint('baseline/gamma10000@7325'))).filter((u) => u.va.length && u.vb.length);
  const word = us.some(twoASide) ? 'measured' : 'not measured';
  return claimRow('7', 'one and three heads: λ̂ at the end against two heads', word, us.map(welch).join('; ') || 'not computed yet', 'npx sortscope findings --study claims --cells', word === 'measured' ? ` (${ONE_VARIANT})` : '');
}

export function row1f(ex: readonly CompactExperiment[], cell = 'baseline/devinterp-eps1e-3'): string {
  const runs = ex.filter((e) => e.cell === cell && e.curve.some((r) => r.llc.all)); // the runs with an estimate (a run still waiting for its llc stage has none)
  const steps = [...new Set(runs.flatMap((e) => e.curve.filter((r) => r.llc.all).map((r) => r.step)))].sort((a, b) => a - b);
  let flagged = 0;
  let chains = 0;
  const per = steps.map((s) => {
    const v = runs.map((e) => e.curve.find((r) => r.step === s)?.llc.all).filter((x) => x !== undefined);
    for (const x of v) [flagged, chains] = [flagged + x!.flagged, chains + x!.n_ok]; // n_ok: the chains with finite draws, flagged or not
    const m = v.reduce((a, x) => a + x!.mean, 0) / v.length;
    return `${s}: ${p(m)}`;
  });
  const evidence = steps.length ? `mean over ${runs.length} seeds, face value — ${per.join(', ')}; ${flagged} of ${chains} chains flagged` : 'not computed yet';
  return `| 1f | the paper's likely estimator (devinterp on the raw weights: γ 100, ε 1e-3, 4 × (100 + 200) steps) along the same checkpoints | **${flagged > 0 ? 'not a measurement (flagged)' : steps.length ? 'measured' : 'not measured'}** | ${evidence} | \`npx sortscope findings --study claims --curve ${cell}-seed=1\` |\n`;
}
