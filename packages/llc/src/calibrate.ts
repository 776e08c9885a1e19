/**
 * `sortscope llc calibrate`: sweep ε × γ (× nβ) on one checkpoint with short chains and report the
 * LLC surface with its health, then recommend a setting (science.md §4: "look for a region where
 * the estimate is flat and acceptance is healthy").
 *
 * A grid point is healthy when no chain is flagged (NaN, negative, not flat, left the basin), the mean MALA
 * acceptance is in [0.5, 0.99], and the chains are long enough to feel the localization: along
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
import type { LlcRunner } from './run.ts';
import type { LlcConfig } from './schema.ts';

export interface CalibrationGrid {
  epsilons: number[];
  gammas: number[];
  nbetas: number[];
}

export interface CalibrationPoint {
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
}

export interface Calibration {
  points: CalibrationPoint[];
  recommended: CalibrationPoint | null;
  note: string;
}

export function calibrationPoint(c: LlcConfig, e: LlcEstimate): CalibrationPoint {
  const flags = [...new Set(e.chains.flatMap((ch) => flagList(ch.flags)))];
  const rises = e.chains.map((ch) => {
    const q = ch.trace.loss.subarray(Math.floor((3 * ch.trace.loss.length) / 4));
    return q.reduce((a, b) => a + b, 0) / q.length - e.init_loss;
  });
  const acceptanceOk = e.acceptance_mean >= ACCEPTANCE_RANGE[0] && e.acceptance_mean <= ACCEPTANCE_RANGE[1];
  const mixing = ((c.burnin + c.draws * c.steps_between_draws) * c.epsilon * c.gamma) / 2;
  if (mixing < MIN_MIXING) flags.push('unmixed');
  return {
    epsilon: c.epsilon,
    gamma: c.gamma,
    nbeta: c.nbeta,
    llc_mean: e.mean,
    llc_std: e.std,
    acceptance: e.acceptance_mean,
    init_loss: e.init_loss,
    loss_rise: rises.reduce((a, b) => a + b, 0) / rises.length,
    mixing,
    flags,
    healthy: acceptanceOk && !flags.some((f) => f === 'nan' || f === 'negative' || f === 'not_flat' || f === 'left_basin' || f === 'unmixed'),
    flatness: null,
  };
}

/** chains must last this many relaxation times of the localization (steps · εγ/2) */
export const MIN_MIXING = 3;

/** a healthy point whose λ̂ changes by less than this to its neighbours is flat */
export const FLAT = 0.2;

export function recommend(points: CalibrationPoint[]): Calibration {
  const neighboursAlong = (p: CalibrationPoint, axis: 'epsilon' | 'gamma'): CalibrationPoint[] => {
    const other = axis === 'epsilon' ? 'gamma' : 'epsilon';
    const line = points.filter((q) => q.healthy && q[other] === p[other] && q.nbeta === p.nbeta).sort((a, b) => a[axis] - b[axis]);
    const i = line.indexOf(p);
    return [line[i - 1], line[i + 1]].filter(Boolean);
  };
  for (const p of points) {
    if (!p.healthy) continue;
    const neighbours = [...neighboursAlong(p, 'epsilon'), ...neighboursAlong(p, 'gamma')];
    p.flatness = neighbours.length ? Math.max(...neighbours.map((q) => Math.abs(q.llc_mean - p.llc_mean) / Math.max(1e-12, Math.abs(p.llc_mean)))) : null;
  }
  const ranked = points.filter((p) => p.healthy && p.flatness !== null).sort((a, b) => a.flatness! - b.flatness! || b.epsilon - a.epsilon);
  const recommended = ranked[0] ?? null;
  const what = (r: CalibrationPoint) =>
    `ε ${r.epsilon}, γ ${r.gamma}, nβ ${r.nbeta.toFixed(4)} (λ̂ ${r.llc_mean.toFixed(3)}, acceptance ${r.acceptance.toFixed(3)}, λ̂ changes by ${(100 * r.flatness!).toFixed(1)}% to its healthy ε/γ-neighbours)`;
  const note = recommended
    ? recommended.flatness! < FLAT
      ? `recommended: ${what(recommended)}`
      : `no flat region in this grid (every healthy point changes by ≥ ${100 * FLAT}% to a neighbour); least sensitive: ${what(recommended)}; refine the grid around it`
    : points.some((p) => p.healthy)
      ? 'no two neighbouring healthy settings: refine the grid around the healthy points'
      : 'no healthy setting: extend the grid toward smaller ε and larger γ';
  return { points, recommended, note };
}

export async function calibrate(runner: LlcRunner, w0: Float32Array, base: LlcConfig, grid: CalibrationGrid, progress?: Parameters<LlcRunner['estimate']>[2]): Promise<Calibration> {
  const configs: LlcConfig[] = [];
  for (const nbeta of grid.nbetas) for (const gamma of grid.gammas) for (const epsilon of grid.epsilons) configs.push({ ...base, epsilon, gamma, nbeta });
  const ests = await runner.estimate(w0, configs.map((config) => ({ config, target: base.targets[0] })), progress);
  return recommend(configs.map((c, i) => calibrationPoint(c, ests[i])));
}

export function calibrationTable(cal: Calibration): string {
  const head = 'epsilon     gamma      nbeta     llc_mean   llc_std  acceptance  loss_rise   mixing  healthy  flatness  flags';
  const rows = cal.points.map((p) =>
    [
      p.epsilon.toExponential(1).padEnd(10),
      String(p.gamma).padEnd(9),
      p.nbeta.toFixed(2).padEnd(9),
      p.llc_mean.toFixed(3).padStart(9),
      p.llc_std.toFixed(3).padStart(8),
      p.acceptance.toFixed(3).padStart(11),
      p.loss_rise.toFixed(4).padStart(10),
      p.mixing.toPrecision(3).padStart(8),
      (p.healthy ? 'yes' : 'no').padStart(8),
      (p.flatness === null ? '-' : `${(100 * p.flatness).toFixed(1)}%`).padStart(9),
      ` ${p.flags.join(',')}`,
    ].join(' '),
  );
  return [head, ...rows, cal.note].join('\n');
}
