/**
 * The readers' noise questions in the claims table (`findings --claims`, rows 6a–6e). Each is
 * answered by a rule written down before the third edition's numbers were in. The training runs
 * repeat the second edition's configurations, so their accuracies and modes were known; their LLCs
 * were not. A run is read at its last checkpoint, on the clean validation set.
 *
 *   kept      a run keeps the sorting solution when its clean token accuracy is ≥ KEEP_ACC (0.99),
 *             as every run of the clean baseline does
 *   6a        random-permutation outputs teach nothing beyond "one of the inputs": every seed's
 *             clean token accuracy < LEARNED_ACC (0.5; choosing one of the ten inputs at random
 *             gives 0.1, sorting ≥ 0.99) → reproduced; every seed ≥ LEARNED_ACC → contradicted;
 *             else inconclusive. The loss beside it: ln 10 is "one of the inputs", the Bayes floor
 *             of the permuted data ln(10!)/10 = 1.510
 *   6b, 6c    replacement (6b) and insertion (6c) noise, k 1 at p 0.25 and 1: an answer per cell,
 *             "kept" (every seed kept), "broken" (none kept) or "kept in i of n"
 *   6d        replacement at p 1 with k 1, 2, 3 (and 5, 7: added on 2026-12-07 after k 1–3 had all
 *             kept it): the smallest k at which some seed does not keep the solution ("kept up to
 *             k …", the largest k measured, otherwise)
 *   6e        λ̂ at the end against the noise: each noisy cell against the clean baseline at step
 *             7,325 (readable estimates only, Welch's unpaired t: the runs are independent). Measured;
 *             no claim to decide
 * The mode of each run (modes.ts: split needs both split definitions) is printed beside 6b–6d.
 */
import { compareCells, parsePoint, twoASide, type Unpaired } from './compare.ts';
import type { CompactExperiment } from './data.ts';
import { modes } from './modes.ts';
import { claimRow, NOISE_CLEAN, NOISE_VARIANT, type Verdict } from './verdict-words.ts';

export const KEEP_ACC = 0.99;
export const LEARNED_ACC = 0.5;
const LN10 = Math.log(10);
const PERMUTED_FLOOR = 1.51; // ln(10!)/10, dataset/bayes.ts

const p = (v: number | null | undefined, d = 3) => (v !== null && v !== undefined && Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : '–');
const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(2)}%`);

function runsOf(ex: readonly CompactExperiment[], cell: string): CompactExperiment[] {
  return ex.filter((e) => e.cell === cell && e.facts.val_token_acc !== null).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
}

export interface CellAnswer {
  cell: string;
  /** clean token accuracy at the end, per seed (seed order) */
  acc: number[];
  kept: number;
  answer: 'kept' | 'broken' | string;
}

export function keepsSolution(ex: readonly CompactExperiment[], cell: string): CellAnswer | null {
  const runs = runsOf(ex, cell);
  if (!runs.length) return null;
  const acc = runs.map((e) => e.facts.val_token_acc!);
  const kept = acc.filter((a) => a >= KEEP_ACC).length;
  return { cell, acc, kept, answer: kept === acc.length ? 'kept' : kept === 0 ? 'broken' : `kept in ${kept} of ${acc.length}` };
}

function cellLine(ex: readonly CompactExperiment[], c: CellAnswer, label: string): string {
  const ms = modes(ex, c.cell);
  return `${label}: ${c.answer} (clean token accuracy ${c.acc.map(pct).join(', ')}; ${ms.map((m) => m.mode ?? '–').join('/') || 'modes –'})`;
}

const NOISE_CELLS = {
  replacement: [
    ['noise/replace-k1-p=0.25', 'p 0.25'],
    ['noise/replace-k1-p=1', 'p 1'],
  ],
  insertion: [
    ['noise/insert-k1-p=0.25', 'p 0.25'],
    ['noise/insert-k1-p=1', 'p 1'],
  ],
  k: [
    ['noise/replace-k1-p=1', 'k 1'],
    ['noise/replace-k2-p=1', 'k 2'],
    ['noise/replace-k3-p=1', 'k 3'],
    ['noise/replace-k5-p=1', 'k 5'],
    ['noise/replace-k7-p=1', 'k 7'],
  ],
} as const;

export function row6aLearning(ex: readonly CompactExperiment[], cell = 'noise/permute-p=1'): string {
  const runs = runsOf(ex, cell);
  const acc = runs.map((e) => e.facts.val_token_acc!);
  const learned = acc.filter((a) => a >= LEARNED_ACC).length;
  const verdict: Verdict = runs.length < 2 ? 'not measured' : learned === 0 ? 'reproduced' : learned === runs.length ? 'contradicted' : 'inconclusive';
  const loss = runs.map((e) => e.facts.val_loss);
  const evidence = runs.length
    ? `n ${runs.length}: clean token accuracy ${acc.map(pct).join(', ')} (one of the ten inputs at random: 10%); clean loss ${loss.map((v) => p(v, 4)).join(', ')} (ln 10 = ${LN10.toFixed(3)}; the permuted data's floor ${PERMUTED_FLOOR.toFixed(3)})`
    : 'not computed yet';
  return claimRow('6a', 'random-permutation outputs: nothing is learned beyond "one of the inputs" (clean token accuracy < 50% in every seed)', verdict, evidence, `npx sortscope findings --study claims --curve ${cell}-seed=1`);
}

function survivalRow(id: string, question: string, ex: readonly CompactExperiment[], cells: readonly (readonly [string, string])[]): string {
  const answers = cells.map(([cell, label]) => ({ a: keepsSolution(ex, cell), label })).filter((x) => x.a !== null);
  const answer = answers.length ? answers.map(({ a, label }) => `${a!.answer} at ${label}`).join('; ') : 'not measured';
  const evidence = answers.map(({ a, label }) => cellLine(ex, a!, label)).join('; ') || 'not computed yet';
  return claimRow(id, question, answer, evidence, 'npx sortscope findings --study claims --cells');
}

export function row6b(ex: readonly CompactExperiment[]): string {
  return survivalRow('6b', `order-preserving replacement noise (k 1): does the sorting solution survive? (kept: clean token accuracy ≥ ${KEEP_ACC * 100}% in every seed)`, ex, NOISE_CELLS.replacement);
}

export function row6c(ex: readonly CompactExperiment[]): string {
  return survivalRow('6c', `order-preserving insertion noise (k 1): does the sorting solution survive? (kept: clean token accuracy ≥ ${KEEP_ACC * 100}% in every seed)`, ex, NOISE_CELLS.insertion);
}

export function row6d(ex: readonly CompactExperiment[]): string {
  const answers = NOISE_CELLS.k.map(([cell, label]) => ({ a: keepsSolution(ex, cell), label })).filter((x) => x.a !== null);
  const firstLoss = answers.find(({ a }) => a!.kept < a!.acc.length);
  const answer = !answers.length ? 'not measured' : firstLoss ? `not kept from ${firstLoss.label}` : `kept up to ${answers.at(-1)!.label}`;
  const evidence = answers.map(({ a, label }) => cellLine(ex, a!, label)).join('; ') || 'not computed yet';
  return claimRow('6d', 'replacement noise at p 1 with k numbers replaced: where does the sorting solution break?', answer, evidence, 'npx sortscope findings --study claims --cells');
}

const welch = (u: Unpaired) => `${u.a.cell.replace('noise/', '')}: ${u.va.map((v) => p(v, 4)).join(', ')} (${p(u.diff)} against the clean runs; Welch t ${p(u.t)}, df ${p(u.df, 2)}, ${u.direction})`;

export function row6e(ex: readonly CompactExperiment[], step = 7325, clean = NOISE_CLEAN): string {
  const cells = [...new Set([...NOISE_CELLS.replacement, ...NOISE_CELLS.insertion, ...NOISE_CELLS.k].map(([c]) => c))];
  const us = cells.map((c) => compareCells(ex, parsePoint(`${c}@${step}`), parsePoint(`${clean}@${step}`))).filter((u) => u.va.length && u.vb.length);
  const measured = us.some(twoASide);
  const evidence = us.length ? `λ̂ at ${step.toLocaleString('en')}, clean ${us[0].vb.map((v) => p(v, 4)).join(', ')}; ${us.map(welch).join('; ')}` : 'not computed yet';
  return claimRow('6e', 'varying noise: λ̂ at the end against the clean baseline (replacement and insertion, k and p)', measured ? 'measured' : 'not measured', evidence, 'npx sortscope findings --study claims --cells', measured ? ` (${NOISE_VARIANT})` : '');
}
