/**
 * The estimator's checks (`sortscope llc diagnose --sweep`, docs/llc.md): λ̂ of one or more
 * checkpoints against the localization γ, the step's fraction of the stability limit, the inverse
 * temperature nβ (at fixed γ, solid; at fixed γ/nβ, dashed) and the chain length. Each point has its
 * own chains; error bars are ±2 standard errors; hollow points are estimates a flag makes unreadable
 * (not converged, negative, …). One colour per checkpoint. The diagnoses come from JSON files named in
 * the study's report options (`diagnoses`), so the page shows what was measured where.
 */
import { HEIGHT, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import type { DiagnosisModel } from './load-diagnoses.ts';

type Sweep = 'gamma' | 'epsilon_fraction' | 'nbeta' | 'length';

const AXES: Record<Sweep, { title: string; x: string; subtitle: string }> = {
  gamma: { title: 'LLC against the localization γ', x: 'γ (log scale)', subtitle: 'flat in γ would make λ̂ a property of the checkpoint alone; λ̂ counts the directions whose curvature exceeds about γ/nβ' },
  epsilon_fraction: { title: 'LLC against the step size', x: 'ε as a fraction of the drift-stability limit (log scale)', subtitle: 'the discretisation bias grows with the step: λ̂ should be flat where it is read (0.05 by default)' },
  nbeta: { title: 'LLC against the inverse temperature nβ', x: 'nβ (log scale)', subtitle: 'solid: at the config’s γ; dashed: with γ scaled along so that γ/nβ stays fixed' },
  length: { title: 'LLC against the chain length', x: 'draws per chain (fixed; λ̂ from the last half; log scale)', subtitle: 'a converged estimate does not move when the chains get longer' },
};

export function diagnoseSpec(diagnoses: DiagnosisModel[], sweep: Sweep): VlSpec | null {
  const rows = diagnoses.flatMap((d) => d.points.filter((p) => p.sweep === sweep || (sweep === 'nbeta' && p.sweep === 'nbeta_fixed_resolution')).map((p) => ({ ...p, checkpoint: d.label })));
  if (rows.length === 0) return null;
  const a = AXES[sweep];
  const x = { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: a.x };
  const color = { field: 'checkpoint', type: 'nominal', title: 'checkpoint', sort: diagnoses.map((d) => d.label) };
  const dash = { field: 'series', type: 'nominal', title: 'nβ sweep', legend: sweep === 'nbeta' ? {} : null };
  return topLevel(a.title, [a.subtitle, 'error bars: ±2 standard errors; hollow: flagged (not read)'], {
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: [
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'LLC λ̂' }, y2: { field: 'hi' }, color } },
      { mark: { type: 'line' }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, strokeDash: dash, detail: { field: 'series' } } },
      {
        mark: { type: 'point', size: 60 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative' },
          color,
          fill: { condition: { test: 'datum.readable', field: 'checkpoint', type: 'nominal' }, value: 'white' },
          tooltip: [
            { field: 'checkpoint', type: 'nominal' },
            { field: 'series', type: 'nominal' },
            { field: 'value', type: 'quantitative', format: '.4~g' },
            { field: 'mean', type: 'quantitative', title: 'λ̂', format: '.4~g' },
            { field: 'se', type: 'quantitative', title: 'standard error', format: '.3~g' },
            { field: 'draws', type: 'quantitative', title: 'draws per chain' },
            { field: 'flags', type: 'nominal' },
          ],
        },
      },
    ],
  });
}

export const DIAGNOSE_SWEEPS: Sweep[] = ['gamma', 'epsilon_fraction', 'nbeta', 'length'];
