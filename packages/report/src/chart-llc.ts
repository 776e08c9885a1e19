/**
 * LLC charts of one experiment: λ̂ over log(1 + step) per target (mean ± std over chains as a
 * band; checkpoints with flagged chains drawn as crosses, their flags in the tooltip; the SGLD
 * calibration in the subtitle), the mean MALA acceptance with the healthy range of the flags, and
 * the L2 norm of every tensor of the checkpoints (what the devinterp estimator tracked; docs/llc.md).
 */
import { ACCEPTANCE_RANGE } from '@sortscope/llc';
import { HEIGHT, stageRules, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import type { StageBoundary } from './changepoints.ts';
import { sig } from './format.ts';
import type { LlcModel } from './model.ts';

/** The acceptance range outside which the llc stage flags a chain. */
export const ACCEPTANCE_HEALTHY: readonly [number, number] = ACCEPTANCE_RANGE;

const range = (v: (number | null)[]): string => {
  const f = v.filter((x): x is number => x !== null);
  if (f.length === 0) return '?';
  const [lo, hi] = [Math.min(...f), Math.max(...f)];
  return lo === hi ? String(sig(lo, 3)) : `${sig(lo, 3)}–${sig(hi, 3)}`;
};

/** the sampler's settings as configured (what must match for λ̂ of two experiments to be compared) */
export function samplerSettings(c: LlcModel['config']): string {
  const method = c.method ?? 'sgld';
  const nbeta = c.nbeta !== undefined ? sig(c.nbeta, 4) : method === 'canonical' ? 'T·n/ln n' : 'B/ln B';
  const eps = c.epsilon !== undefined ? `ε ${c.epsilon}` : method === 'canonical' ? `ε ${c.epsilon_fraction} of the drift limit` : 'ε 1e-4';
  const gamma = c.gamma ?? (method === 'canonical' ? 10_000 : 100);
  return `${method}, ${eps}, γ ${gamma}, nβ ${nbeta}, B ${c.batch_size}${c.preconditioner && c.preconditioner !== 'none' ? `, ${c.preconditioner}` : ''}`;
}

/**
 * The sampler as it ran, from the estimates themselves (ε and nβ are resolved per checkpoint):
 * 'canonical form, nβ = 1.259e+4, γ = 100, ε = 0.05 of the drift limit (3.1e-6–4.4e-6), B = 128, 4 chains × 500 draws, 500 burn-in steps'.
 */
export function calibrationLine(c: LlcModel['config'], rows: LlcModel['rows'] = []): string {
  const burn = c.burnin ? `, ${c.burnin} burn-in steps` : '';
  const every = c.steps_between_draws > 1 ? `, a draw every ${c.steps_between_draws} steps` : '';
  const nbeta = rows.length ? range(rows.map((r) => r.nbeta)) : c.nbeta !== undefined ? sig(c.nbeta, 4) : '?';
  const eps = rows.length ? range(rows.map((r) => r.epsilon)) : String(c.epsilon ?? '?');
  const canonical = (c.method ?? 'sgld') === 'canonical';
  const step = canonical && c.epsilon === undefined ? `ε = ${c.epsilon_fraction} of the drift limit (${eps})` : `ε = ${eps}`;
  const gamma = rows.length ? range(rows.map((r) => r.gamma)) : String(c.gamma ?? '?');
  const draws = rows.length ? range(rows.map((r) => r.draws)) : String(c.draws);
  const head = canonical ? `SGLD${c.preconditioner && c.preconditioner !== 'none' ? ` (${c.preconditioner})` : ''} on the canonical form${rows.some((r) => r.tilt) ? ', loss tilted to be stationary at the checkpoint' : ''}` : 'SGLD on the raw weights (devinterp)';
  return `${head}: nβ = ${nbeta}, γ = ${gamma}, ${step}, B = ${c.batch_size}, ${c.chains} chains × ${draws} draws${canonical ? ' (λ̂ from the last half)' : ''}${burn}${every}`;
}

/** `stagesFit`: which estimates the stage boundaries were fitted through (model.ts stagesOf), said in the subtitle */
export function llcSpec(l: LlcModel, boundaries: StageBoundary[] | null, maxStep: number, stagesFit: string | null = null): VlSpec {
  const rows = l.rows.map((r) => ({ ...r, chains: r.flagged > 0 ? 'some flagged' : 'none flagged', marker_size: r.flagged > 0 ? 110 : 40 }));
  const x = timeX('step', maxStep);
  const color = { field: 'target', type: 'nominal', title: 'target' };
  const flagLine = `${l.flagged_chains} of ${l.total_chains} chains flagged (crosses; hover for the flags)`;
  const stagesLine = stagesFit ? [`stage boundaries (dashed): target all, ${stagesFit}`] : [];
  // the axis spans the readable estimates (no blocking flag, λ̂ > 0) when there are any: the
  // negative λ̂ of checkpoints that are not minima (often −10⁴) would flatten them; those are clipped and counted
  const readable = l.rows.filter((r) => r.flagged === 0 && r.mean > 0);
  const yDomain = readable.length ? [Math.min(0, ...readable.map((r) => r.lo)), 1.1 * Math.max(...readable.map((r) => r.hi))] : null;
  const outside = yDomain ? l.rows.filter((r) => r.mean < yDomain[0] || r.mean > yDomain[1]).length : 0;
  const clipLine = outside ? [`${outside} unreadable estimate(s) below or above the axis (negative λ̂: checkpoints that are not minima; all are in estimates.arrow)`] : [];
  const y = (field: string) => ({ field, type: 'quantitative', title: 'LLC λ̂', ...(yDomain ? { scale: { domain: yDomain } } : {}) });
  return topLevel('Local learning coefficient (LLC)', [calibrationLine(l.config, l.rows), `band: mean ± std over chains; ${flagLine}`, ...stagesLine, ...clipLine], {
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: [
      { mark: { type: 'area', opacity: 0.2, clip: true }, encoding: { x, y: y('lo'), y2: { field: 'hi' }, color } },
      { mark: { type: 'line', clip: true }, encoding: { x, y: y('mean'), color } },
      {
        mark: { type: 'point', filled: true, opacity: 1, clip: true },
        encoding: {
          x,
          y: y('mean'),
          color,
          shape: { field: 'chains', type: 'nominal', title: 'chains', scale: { domain: ['none flagged', 'some flagged'], range: ['circle', 'cross'] } },
          size: { field: 'marker_size', type: 'quantitative', scale: null, legend: null },
          tooltip: [
            { field: 'target', type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 'mean', type: 'quantitative', title: 'λ̂ mean', format: '.4~g' },
            { field: 'std', type: 'quantitative', title: 'λ̂ std over chains', format: '.3~g' },
            { field: 'se', type: 'quantitative', title: 'λ̂ standard error (with L(w*))', format: '.3~g' },
            { field: 'n_ok', type: 'quantitative', title: 'chains without NaN' },
            { field: 'acceptance', type: 'quantitative', title: 'MALA acceptance', format: '.3f' },
            { field: 'draws', type: 'quantitative', title: 'draws per chain' },
            { field: 'rhat', type: 'quantitative', title: 'split-R̂', format: '.3f' },
            { field: 'decrement', type: 'quantitative', title: 'Newton decrement of the loss at w0', format: '.4~g' },
            { field: 'flags', type: 'nominal', title: 'flags' },
          ],
        },
      },
      stageRules(boundaries, maxStep),
    ],
  });
}

export function acceptanceSpec(l: LlcModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  const [lo, hi] = ACCEPTANCE_HEALTHY;
  return topLevel('SGLD acceptance', [`mean MALA acceptance probability per checkpoint; shaded: the range not flagged (${lo}–${hi})`], {
    width: WIDTH,
    height: Math.round(HEIGHT * 0.6),
    layer: [
      { data: { values: [{ lo, hi }] }, mark: { type: 'rect', color: '#2ca02c', opacity: 0.1 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      {
        data: { values: l.rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: timeX('step', maxStep),
          y: { field: 'acceptance', type: 'quantitative', scale: { domain: [0, 1] }, title: 'acceptance' },
          color: { field: 'target', type: 'nominal', title: 'target' },
          tooltip: [{ field: 'target', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'acceptance', type: 'quantitative', format: '.3f' }],
        },
      },
      stageRules(boundaries, maxStep),
    ],
  });
}

export function normsSpec(l: LlcModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return topLevel('Weight norms', ['L2 norm of each tensor of the checkpoint as trained (log scale); λ̂ of the canonical method does not depend on them'], {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: l.norms },
        mark: { type: 'line', point: true },
        encoding: {
          x: timeX('step', maxStep),
          y: { field: 'norm', type: 'quantitative', scale: { type: 'log' }, title: 'L2 norm' },
          color: { field: 'tensor', type: 'nominal', title: 'tensor' },
          tooltip: [{ field: 'tensor', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'norm', type: 'quantitative', format: '.4~g' }],
        },
      },
      stageRules(boundaries, maxStep),
    ],
  });
}

/** Each chain's running λ̂ (the estimate had it stopped at that draw: nβ × the mean over the last half so far). */
export function runningSpec(l: LlcModel): VlSpec {
  const step = l.traces[0]?.step;
  const rows = l.traces.filter((t) => t.running !== null);
  return topLevel('Running λ̂', [`each chain's λ̂ had it stopped at that draw (nβ × the mean of the last half of its draws so far), checkpoint at step ${step}; converged chains level off together`], {
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', opacity: 0.8, strokeWidth: 1 },
    encoding: {
      x: { field: 'draw', type: 'quantitative', title: 'draw' },
      y: { field: 'running', type: 'quantitative', title: 'running λ̂', scale: { zero: false } },
      color: { field: 'chain', type: 'nominal', title: 'chain' },
      strokeDash: { field: 'target', type: 'nominal', title: 'target' },
      detail: [{ field: 'target' }],
      tooltip: [{ field: 'target', type: 'nominal' }, { field: 'chain', type: 'nominal' }, { field: 'draw', type: 'quantitative' }, { field: 'running', type: 'quantitative', title: 'running λ̂', format: '.4~g' }],
    },
  });
}

export function tracesSpec(l: LlcModel): VlSpec {
  const step = l.traces[0]?.step;
  const init = l.rows.filter((r) => r.step === step);
  return topLevel('SGLD loss traces', [`each chain's minibatch loss above L(w0) at each draw (on the draw's own minibatch where the control variate ran), checkpoint at step ${step} (devinterp's plot_trace); a healthy chain rises from 0 and flattens`], {
    width: WIDTH,
    height: HEIGHT,
    data: { values: l.traces },
    mark: { type: 'line', opacity: 0.8, strokeWidth: 1 },
    encoding: {
      x: { field: 'draw', type: 'quantitative', title: 'draw' },
      y: { field: 'loss', type: 'quantitative', title: 'loss above L(w0) (nats per token)', scale: { zero: false } },
      color: { field: 'chain', type: 'nominal', title: 'chain' },
      strokeDash: { field: 'target', type: 'nominal', title: 'target', legend: init.length > 1 ? {} : null },
      detail: [{ field: 'target' }],
      tooltip: [{ field: 'target', type: 'nominal' }, { field: 'chain', type: 'nominal' }, { field: 'draw', type: 'quantitative' }, { field: 'loss', type: 'quantitative', format: '.4~g' }],
    },
  });
}
