/**
 * LLC charts of one experiment: λ̂ over log(1 + step) per target (mean ± std over chains as a
 * band; checkpoints with flagged chains drawn as crosses, their flags in the tooltip; the SGLD
 * calibration in the subtitle), and the mean MALA acceptance with the healthy range of the flags.
 */
import { HEIGHT, stageRules, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import type { StageBoundary } from './changepoints.ts';
import { sig } from './format.ts';
import type { LlcModel } from './model.ts';

/** The acceptance range outside which the llc stage flags a chain (packages/llc diagnostics). */
export const ACCEPTANCE_HEALTHY: [number, number] = [0.5, 0.99];

/** 'SGLD ε 1e-7, γ 100000, nβ 15.39, B 64, 3 chains × 150 draws'. */
export function calibrationLine(c: LlcModel['config']): string {
  const burn = c.burnin ? `, ${c.burnin} burn-in steps` : '';
  const every = c.steps_between_draws > 1 ? `, a draw every ${c.steps_between_draws} steps` : '';
  return `SGLD ε = ${c.epsilon}, γ = ${c.gamma}, nβ = ${sig(c.nbeta, 4)}, B = ${c.batch_size}, ${c.chains} chains × ${c.draws} draws${burn}${every}`;
}

export function llcSpec(l: LlcModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  const rows = l.rows.map((r) => ({ ...r, chains: r.flagged > 0 ? 'some flagged' : 'none flagged', marker_size: r.flagged > 0 ? 110 : 40 }));
  const x = timeX('step', maxStep);
  const color = { field: 'target', type: 'nominal', title: 'target' };
  const flagLine = `${l.flagged_chains} of ${l.total_chains} chains flagged (crosses; hover for the flags)`;
  return topLevel('Local learning coefficient (LLC)', [calibrationLine(l.config), `band: mean ± std over chains; ${flagLine}`], {
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'LLC λ̂' }, y2: { field: 'hi' }, color } },
      { mark: { type: 'line' }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'LLC λ̂' }, color } },
      {
        mark: { type: 'point', filled: true, opacity: 1 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: 'LLC λ̂' },
          color,
          shape: { field: 'chains', type: 'nominal', title: 'chains', scale: { domain: ['none flagged', 'some flagged'], range: ['circle', 'cross'] } },
          size: { field: 'marker_size', type: 'quantitative', scale: null, legend: null },
          tooltip: [
            { field: 'target', type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 'mean', type: 'quantitative', title: 'λ̂ mean', format: '.4~g' },
            { field: 'std', type: 'quantitative', title: 'λ̂ std', format: '.3~g' },
            { field: 'n_ok', type: 'quantitative', title: 'chains without NaN' },
            { field: 'acceptance', type: 'quantitative', title: 'MALA acceptance', format: '.3f' },
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
