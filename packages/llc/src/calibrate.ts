/**
 * `sortscope llc calibrate`: sweep ε × γ (× nβ) on one checkpoint with short chains and report the
 * LLC surface with its health, then recommend a setting (docs/science.md §4: a region of the grid
 * where the estimate barely moves and every health check passes).
 *
 * The step axis is ε itself, or, for the canonical estimator, the fraction of the drift-stability
 * limit (ε = fraction · 4/(nβ·λ_max + γ)). A grid point is healthy when no chain is flagged (NaN,
 * negative, not flat, left the basin), the mean MALA acceptance is in [0.5, 0.999] (ACCEPTANCE_RANGE), λ̂ is invariant
 * under the model's symmetries — estimated again on the checkpoint transformed by each of
 * INVARIANCE_CHECKS (symmetries.ts), λ̂ may move by at most INVARIANCE (10%) of its value — and the
 * chains are long enough to feel the localization: along
 * directions the loss does not constrain, SGLD relaxes toward N(w0, 1/γ) at rate εγ/2 per step, so
 * `mixing` = steps · εγ/2 must be ≥ 3 (the start forgotten to e⁻³); shorter chains report a λ̂
 * that only says how far they got. Among healthy points, flatness is the largest relative change of λ̂
 * to its healthy neighbours along ε (same γ and nβ) and along γ (same ε and nβ): an estimate that
 * moves with γ is measuring the localization, not the posterior. The recommendation is the
 * healthy point with the smallest such change (ties → the larger ε, which mixes faster); the note
 * says whether it is actually flat (< 20%) or only the least sensitive point of the grid. Points
 * with no healthy neighbour have no flatness and are not recommended.
 */
import { ACCEPTANCE_RANGE, flagList } from './diagnostics.ts';
import type { LlcEstimate } from './estimate.ts';
import { Rng } from '@sortscope/core';
import { applySymmetry, type ModelConfig, type Symmetry, symmetryApplies } from '@sortscope/model';
import type { LlcRunner } from './run.ts';
import { estimatorOptions, type LlcConfig } from './schema.ts';

export interface CalibrationGrid {
  /** explicit step sizes, or (canonical) fractions of the drift-stability limit */
  steps: number[];
  stepAxis: 'epsilon' | 'fraction';
  gammas: number[];
  /** explicit inverse temperatures (undefined: the method's rule) */
  nbetas: (number | undefined)[];
}

export interface CalibrationPoint {
  /** the grid value along the step axis (ε, or the fraction of the stability limit) */
  step: number;
  /** the step size used */
  epsilon: number;
  gamma: number;
  nbeta: number;
  llc_mean: number;
  llc_std: number;
  acceptance: number;
  init_loss: number;
  /** mean over chains of the last-quarter mean loss minus init_loss */
  loss_rise: number;
  /** SGLD steps × εγ/2: how many relaxation times of the localization the chains lasted */
  mixing: number;
  flags: string[];
  healthy: boolean;
  /** largest relative change of λ̂ to healthy ε-neighbours (null: none) */
  flatness: number | null;
  /** (max − min) / |median| of λ̂ over the checkpoint and its symmetric images (null: not checked) */
  spread: number | null;
  /** λ̂ of each symmetric image, by symmetry */
  images: Record<string, number>;
}

/** λ̂ may change by at most this fraction under the model's symmetries */
export const INVARIANCE = 0.1;

/** the symmetries calibrate checks each grid point against (those the model has), with their sizes */
/** The symmetric images calibrate estimates at every setting besides the checkpoint (0 without the invariance check). */
export function invarianceImages(cfg: ModelConfig, invariance: boolean): number {
  return invariance ? INVARIANCE_CHECKS.filter((c) => symmetryApplies(c.symmetry, cfg)).length : 0;
}

export const INVARIANCE_CHECKS: { symmetry: Symmetry; size: number; label: string }[] = [
  { symmetry: 'residual-scale', size: 0.5, label: 'residual-scale' },
  { symmetry: 'residual-gl', size: 0.3, label: 'residual-gl' },
  { symmetry: 'qk', size: 0.5, label: 'qk' },
  { symmetry: 'ov', size: 0.5, label: 'ov' },
];

export interface Calibration {
  points: CalibrationPoint[];
  recommended: CalibrationPoint | null;
  note: string;
}

export function calibrationPoint(c: LlcConfig, e: LlcEstimate, step = c.epsilon ?? c.epsilon_fraction, images: Record<string, number> = {}): CalibrationPoint {
  const flags = [...new Set(e.chains.flatMap((ch) => flagList(ch.flags)))];
  const rises = e.chains.map((ch) => {
    const q = ch.trace.loss.subarray(Math.floor((3 * ch.trace.loss.length) / 4));
    return q.reduce((a, b) => a + b, 0) / q.length - e.init_loss;
  });
  const acceptanceOk = e.acceptance_mean >= ACCEPTANCE_RANGE[0] && e.acceptance_mean <= ACCEPTANCE_RANGE[1];
  const epsilon = e.sampler?.epsilon ?? c.epsilon ?? NaN;
  const nbeta = e.sampler?.nbeta ?? c.nbeta ?? NaN;
  const gamma = e.sampler?.gamma ?? estimatorOptions(c).gamma;
  const draws = e.convergence?.draws ?? c.draws;
  const mixing = ((c.burnin + draws * c.steps_between_draws) * epsilon * gamma) / 2;
  if (mixing < MIN_MIXING) flags.push('unmixed');
  const all = [e.mean, ...Object.values(images)];
  const median = [...all].sort((a, b) => a - b)[Math.floor(all.length / 2)];
  const spread = all.length > 1 ? (Math.max(...all) - Math.min(...all)) / Math.max(1e-12, Math.abs(median)) : null;
  if (spread !== null && !(spread <= INVARIANCE)) flags.push('not_invariant');
  return {
    step,
    epsilon,
    gamma,
    nbeta,
    llc_mean: e.mean,
    llc_std: e.std,
    acceptance: e.acceptance_mean,
    init_loss: e.init_loss,
    loss_rise: rises.reduce((a, b) => a + b, 0) / rises.length,
    mixing,
    flags,
    healthy: acceptanceOk && !flags.some((f) => ['nan', 'negative', 'not_flat', 'left_basin', 'unmixed', 'not_invariant', 'not_converged', 'not_minimum'].includes(f)),
    flatness: null,
    spread,
    images,
  };
}

/** chains must last this many relaxation times of the localization (steps · εγ/2) */
export const MIN_MIXING = 3;

/** a healthy point whose λ̂ changes by less than this to its neighbours is flat */
export const FLAT = 0.2;

export function recommend(points: CalibrationPoint[]): Calibration {
  const neighboursAlong = (p: CalibrationPoint, axis: 'step' | 'gamma'): CalibrationPoint[] => {
    const other = axis === 'step' ? 'gamma' : 'step';
    const line = points.filter((q) => q.healthy && q[other] === p[other] && q.nbeta === p.nbeta).sort((a, b) => a[axis] - b[axis]);
    const i = line.indexOf(p);
    return [line[i - 1], line[i + 1]].filter(Boolean);
  };
  for (const p of points) {
    if (!p.healthy) continue;
    const neighbours = [...neighboursAlong(p, 'step'), ...neighboursAlong(p, 'gamma')];
    p.flatness = neighbours.length ? Math.max(...neighbours.map((q) => Math.abs(q.llc_mean - p.llc_mean) / Math.max(1e-12, Math.abs(p.llc_mean)))) : null;
  }
  const ranked = points.filter((p) => p.healthy && p.flatness !== null).sort((a, b) => a.flatness! - b.flatness! || b.epsilon - a.epsilon);
  const recommended = ranked[0] ?? null;
  const what = (r: CalibrationPoint) =>
    `ε ${r.epsilon.toExponential(2)}, γ ${r.gamma}, nβ ${r.nbeta.toFixed(4)} (λ̂ ${r.llc_mean.toFixed(3)}, acceptance ${r.acceptance.toFixed(3)}, λ̂ changes by ${(100 * r.flatness!).toFixed(1)}% to its healthy ε/γ-neighbours${r.spread === null ? '' : ` and by ${(100 * r.spread).toFixed(1)}% under the symmetries`})`;
  const note = recommended
    ? recommended.flatness! < FLAT
      ? `recommended: ${what(recommended)}`
      : `no flat region in this grid (every healthy point changes by ≥ ${100 * FLAT}% to a neighbour); least sensitive: ${what(recommended)}; refine the grid around it`
    : points.some((p) => p.healthy)
      ? 'no two neighbouring healthy settings: refine the grid around the healthy points'
      : points.some((p) => p.flags.includes('not_invariant'))
        ? `no healthy setting; λ̂ is not invariant under the model's symmetries at ${points.filter((p) => p.flags.includes('not_invariant')).length} of ${points.length} settings (it measures the parametrization: use method canonical, docs/llc.md)`
        : 'no healthy setting: extend the grid toward smaller ε and larger γ';
  return { points, recommended, note };
}

export async function calibrate(runner: LlcRunner, cfg: ModelConfig, w0: Float32Array, base: LlcConfig, grid: CalibrationGrid, opts: { invariance?: boolean; progress?: Parameters<LlcRunner['estimate']>[2] } = {}): Promise<Calibration> {
  const configs: { config: LlcConfig; step: number }[] = [];
  for (const nbeta of grid.nbetas)
    for (const gamma of grid.gammas)
      for (const step of grid.steps) configs.push({ step, config: grid.stepAxis === 'epsilon' ? { ...base, epsilon: step, gamma, nbeta } : { ...base, epsilon: undefined, epsilon_fraction: step, gamma, nbeta } });
  const target = base.targets[0];
  const ests = await runner.estimate(w0, configs.map(({ config }) => ({ config, target })), opts.progress);
  const images: Record<string, number>[] = configs.map(() => ({}));
  if (opts.invariance !== false)
    for (const check of INVARIANCE_CHECKS.filter((c) => symmetryApplies(c.symmetry, cfg))) {
      const t = applySymmetry(check.symmetry, cfg, w0, Rng.derive(base.seed, 'llc', 'calibrate', check.symmetry), check.size);
      const e = await runner.estimate(t.params, configs.map(({ config }) => ({ config, target })), opts.progress, t.cfg);
      e.forEach((x, i) => (images[i][check.label] = x.mean));
    }
  return recommend(configs.map(({ config, step }, i) => calibrationPoint(config, ests[i], step, images[i])));
}

export function calibrationTable(cal: Calibration): string {
  const head = 'step       epsilon    gamma      nbeta       llc_mean   llc_std  acceptance  loss_rise   mixing  spread  healthy  flatness  flags';
  const rows = cal.points.map((p) =>
    [
      p.step.toPrecision(2).padEnd(10),
      p.epsilon.toExponential(1).padEnd(10),
      String(p.gamma).padEnd(9),
      p.nbeta.toFixed(2).padEnd(11),
      p.llc_mean.toFixed(3).padStart(9),
      p.llc_std.toFixed(3).padStart(8),
      p.acceptance.toFixed(3).padStart(11),
      p.loss_rise.toFixed(4).padStart(10),
      p.mixing.toPrecision(3).padStart(8),
      (p.spread === null ? '-' : `${(100 * p.spread).toFixed(0)}%`).padStart(7),
      (p.healthy ? 'yes' : 'no').padStart(8),
      (p.flatness === null ? '-' : `${(100 * p.flatness).toFixed(1)}%`).padStart(9),
      ` ${p.flags.join(',')}`,
    ].join(' '),
  );
  return [head, ...rows, cal.note].join('\n');
}
