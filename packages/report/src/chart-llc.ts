/**
 * LLC charts of one experiment: λ̂ over log(1 + step) per target (mean ± std over chains as a
 * band; only readable estimates as data, the others marked on the bottom edge with their reason
 * in the tooltip; the SGLD calibration in the subtitle), the mean MALA acceptance with the healthy range of the flags, and
 * the L2 norm of every tensor of the checkpoints (what the devinterp estimator tracked; docs/llc.md).
 */
import { ACCEPTANCE_RANGE, lengthensBurnin } from '@sortscope/llc';
import { HEIGHT, logTicks, stageRules, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import type { StageBoundary } from './changepoints.ts';
import { llcLayers } from './chart-llc-layers.ts';
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
  const burn = lengthensBurnin(c) ? `, ≥ ${c.burnin} burn-in steps (longer where needed for mixing m ≥ ${c.min_mixing})` : c.burnin ? `, ${c.burnin} burn-in steps` : '';
  const every = c.steps_between_draws > 1 ? `, a draw every ${c.steps_between_draws} steps` : '';
  const nbeta = rows.length ? range(rows.map((r) => r.nbeta)) : c.nbeta !== undefined ? sig(c.nbeta, 4) : '?';
  const eps = rows.length ? range(rows.map((r) => r.epsilon)) : String(c.epsilon ?? '?');
  const canonical = (c.method ?? 'sgld') === 'canonical';
  const step = canonical && c.epsilon === undefined ? `ε = ${c.epsilon_fraction} of the drift limit (${eps})` : `ε = ${eps}`;
  const gamma = rows.length ? range(rows.map((r) => r.gamma)) : String(c.gamma ?? '?');
  const draws = rows.length ? range(rows.map((r) => r.draws)) : String(c.draws);
  const head = canonical ? `SGLD${c.preconditioner && c.preconditioner !== 'none' ? ` (${c.preconditioner})` : ''} on the canonical form${rows.some((r) => r.relaxed) ? ', at the minimum of the sampled potential near each checkpoint' : rows.some((r) => r.tilt) ? ', loss tilted to be stationary at the checkpoint' : ''}` : 'SGLD on the raw weights (devinterp)';
  return `${head}: nβ = ${nbeta}, γ = ${gamma}, ${step}, B = ${c.batch_size}, ${c.chains} chains × ${draws} draws${canonical ? ' (λ̂ from the last half)' : ''}${burn}${every}`;
}

/**
 * λ̂ per checkpoint and target: readable estimates as the data, the others as ▼ on the bottom edge
 * (chart-llc-layers.ts). Drag to pan, wheel to zoom, click a target in the legend to show it alone.
 * `stagesFit`: which estimates the stage boundaries were fitted through (model.ts stagesOf), said in the subtitle.
 */
export function llcSpec(l: LlcModel, boundaries: StageBoundary[] | null, maxStep: number, stagesFit: string | null = null): VlSpec {
  const x = timeX('step', maxStep);
  const color = { field: 'target', type: 'nominal', title: 'target' };
  const unreadable = l.rows.filter((r) => !r.readable).length;
  const flagLine = `${l.flagged_chains} of ${l.total_chains} chains flagged; ${unreadable ? `${unreadable} of ${l.rows.length} estimates cannot be read (▼ on the bottom edge; hover for why)` : `all ${l.rows.length} estimates readable`}`;
  const stagesLine = stagesFit ? [`stage boundaries (dashed): target all, ${stagesFit}`] : [];
  const { values, layers } = llcLayers(l.rows, {
    x,
    color,
    series: 'target',
    tooltip: [
      { field: 'target', type: 'nominal' },
      { field: 'step', type: 'quantitative' },
      { field: 'mean', type: 'quantitative', title: 'λ̂ mean', format: '.4~g' },
      { field: 'std', type: 'quantitative', title: 'λ̂ std over chains', format: '.3~g' },
      { field: 'se', type: 'quantitative', title: 'λ̂ standard error (with L(w*))', format: '.3~g' },
      { field: 'n_ok', type: 'quantitative', title: 'chains without NaN' },
      { field: 'acceptance', type: 'quantitative', title: 'MALA acceptance', format: '.3f' },
      { field: 'draws', type: 'quantitative', title: 'draws per chain' },
      { field: 'mixing', type: 'quantitative', title: 'mixing m = S·εγ/2 at the first draw read (≥ 1.15: at most 10% of λ̂ missing)', format: '.3~g' },
      { field: 'rhat', type: 'quantitative', title: 'split-R̂', format: '.3f' },
      { field: 'decrement', type: 'quantitative', title: 'Newton decrement of the loss at w0', format: '.4~g' },
      { field: 'flags', type: 'nominal', title: 'flags (advisory ones included)' },
    ],
  });
  return topLevel('Local learning coefficient (LLC)', [calibrationLine(l.config, l.rows), `band: mean ± std over chains; ${flagLine}`, ...stagesLine], {
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [...layers, stageRules(boundaries, maxStep)],
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
          // ticks at 1 and 3 × the powers of ten (log scales otherwise label every minor tick)
          y: { field: 'norm', type: 'quantitative', scale: { type: 'log' }, title: 'L2 norm', axis: { values: logTicks(l.norms.map((r) => r.norm)), labelExpr: "datum.value >= 0.01 && datum.value < 1e5 ? format(datum.value, '~g') : format(datum.value, '.0e')" } },
          // one colour per tensor (up to 20), the legend in columns under the chart so no entry is cut off
          color: { field: 'tensor', type: 'nominal', title: 'tensor', scale: { scheme: 'category20' }, legend: { orient: 'bottom', columns: 3, symbolLimit: 0, labelLimit: 180 } },
          tooltip: [{ field: 'tensor', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'norm', type: 'quantitative', format: '.4~g' }],
        },
      },
      stageRules(boundaries, maxStep),
    ],
  });
}

/**
 * devinterp's plot_trace at any estimated checkpoint (a selector under the chart; the last one
 * first): each chain's minibatch loss above L(w0) per draw (a healthy chain rises from 0 and
 * flattens) and its running λ̂ (the estimate had it stopped at that draw: nβ × the mean of the
 * last half of its draws so far; converged chains level off together). One data set for both.
 */
export function tracesSpec(l: LlcModel): VlSpec {
  const steps = [...new Set(l.traces.map((t) => t.step))].sort((a, b) => a - b);
  const last = steps.at(-1) ?? 0;
  const targets = new Set(l.traces.map((t) => t.target)).size;
  const hasRunning = l.traces.some((t) => t.running !== null);
  const pick = { filter: 'datum.step == trace_step' };
  const common = (field: string, title: string): VlSpec => ({
    width: WIDTH,
    height: Math.round(HEIGHT * 0.8),
    data: { name: 'traces' },
    transform: field === 'running' ? [pick, { filter: 'isValid(datum.running)' }] : [pick],
    mark: { type: 'line', opacity: 0.8, strokeWidth: 1 },
    encoding: {
      x: { field: 'draw', type: 'quantitative', title: 'draw' },
      y: { field, type: 'quantitative', title, scale: { zero: false } },
      color: { field: 'chain', type: 'nominal', title: 'chain' },
      strokeDash: { field: 'target', type: 'nominal', title: 'target', legend: targets > 1 ? {} : null },
      detail: [{ field: 'target' }],
      tooltip: [{ field: 'target', type: 'nominal' }, { field: 'chain', type: 'nominal' }, { field: 'step', type: 'quantitative', title: 'checkpoint step' }, { field: 'draw', type: 'quantitative' }, { field, type: 'quantitative', title, format: '.4~g' }],
    },
  });
  const which = steps.length > 1 ? `checkpoint: step ${last} first; pick any of the ${steps.length} estimated ones in the page's selector` : `checkpoint at step ${last}`;
  return topLevel('SGLD traces and running λ̂', [`${which}. Top: each chain's minibatch loss above L(w0) per draw (on the draw's own minibatch where the control variate ran); a healthy chain rises from 0 and flattens. Bottom: each chain's running λ̂ (nβ × the mean of the last half of its draws so far); converged chains level off together`], {
    params: [{ name: 'trace_step', value: last, ...(steps.length > 1 ? { bind: { input: 'select', options: steps, labels: steps.map((s) => `step ${s}`), name: 'checkpoint ' } } : {}) }],
    datasets: { traces: l.traces },
    vconcat: [common('loss', 'loss above L(w0) (nats per token)'), ...(hasRunning ? [common('running', 'running λ̂')] : [])],
  });
}
