/**
 * Circuit measures of one experiment over log(1 + step), per head (colour) and circuit (dash):
 * the translational-symmetry measures T_norm and Toeplitz EV z (docs/circuits.md), the vocabulary
 * regions each head copies, its mean-ablation loss increase and its attention to the correct next
 * token. All with the stage boundaries.
 */
import { HEIGHT, stageRules, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import type { StageBoundary } from './changepoints.ts';
import type { CircuitsModel } from './model.ts';

const HEAD_COLOR = { field: 'head', type: 'nominal', title: 'head' };
// two panels side by side, narrow enough that the pair fits a 3-column grid cell of the page at 1,920 px
const HALF = Math.round(WIDTH / 2) - 45;

function measurePanel(c: CircuitsModel, field: 't_norm' | 'ev_z', title: string, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return {
    width: HALF,
    height: HEIGHT,
    title: { text: title, fontSize: 12 },
    layer: [
      {
        data: { values: c.measures },
        transform: [{ filter: `isValid(datum.${field})` }],
        mark: { type: 'line', point: { size: 14, filled: true } },
        encoding: {
          x: timeX('step', maxStep),
          y: { field, type: 'quantitative', title },
          color: HEAD_COLOR,
          strokeDash: { field: 'circuit', type: 'nominal', title: 'circuit', scale: { domain: ['QK', 'OV'], range: [[1, 0], [5, 3]] } },
          tooltip: [
            { field: 'head', type: 'nominal' },
            { field: 'circuit', type: 'nominal' },
            { field: 'step', type: 'quantitative' },
            { field: 't_norm', type: 'quantitative', title: 'T_norm', format: '.3f' },
            { field: 't_std_norm', type: 'quantitative', title: 'T_std_norm', format: '.3f' },
            { field: 'ev', type: 'quantitative', title: 'Toeplitz EV', format: '.3f' },
            { field: 'ev_z', type: 'quantitative', title: 'EV z', format: '.1f' },
            { field: 'ev_p', type: 'quantitative', title: 'EV p', format: '.3f' },
          ],
        },
      },
      stageRules(boundaries, maxStep),
    ],
  };
}

export function measuresSpec(c: CircuitsModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return topLevel('Translational symmetry of the circuits', [`${c.convention} convention, on the number tokens; solid: QK, dashed: OV.`, 'T_norm ∈ [−1, 1]; EV z: Toeplitz explained variance against random relabelings.'], {
    hconcat: [measurePanel(c, 't_norm', 'T_norm', boundaries, maxStep), measurePanel(c, 'ev_z', 'Toeplitz EV z', boundaries, maxStep)],
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
  });
}

function headLines(values: object[], field: string, yTitle: string, tooltip: VlSpec[], boundaries: StageBoundary[] | null, maxStep: number, yExtra: VlSpec = {}): VlSpec {
  return {
    width: WIDTH,
    height: Math.round(HEIGHT * 0.75),
    layer: [
      {
        data: { values },
        transform: [{ filter: `isValid(datum.${field})` }],
        mark: { type: 'line', point: true },
        encoding: { x: timeX('step', maxStep), y: { field, type: 'quantitative', title: yTitle, ...yExtra }, color: HEAD_COLOR, tooltip: [{ field: 'head', type: 'nominal' }, { field: 'step', type: 'quantitative' }, ...tooltip] },
      },
      stageRules(boundaries, maxStep),
    ],
  };
}

export function regionsSpec(c: CircuitsModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return topLevel('Vocabulary regions per head', [`maximal runs of tokens a head copies most (largest positive OV diagonal, ${c.specialisation_convention})`], {
    ...headLines(c.specialisation, 'regions', 'regions', [{ field: 'regions', type: 'quantitative' }, { field: 'n_copied', type: 'quantitative', title: 'tokens copied' }], boundaries, maxStep, { axis: { tickMinStep: 1, format: 'd' } }),
  });
}

export function overlapSpec(c: CircuitsModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return topLevel('Overlap of the heads’ copy ranges', ['Jaccard overlap of {t : OV_h[t, t] > 0} with the other heads’ (mean); 1: the heads copy the same tokens, falls as they split the vocabulary'], {
    ...headLines(c.specialisation.filter((r) => r.overlap !== null), 'overlap', 'Jaccard overlap', [{ field: 'overlap', type: 'quantitative', format: '.3f' }, { field: 'regions', type: 'quantitative' }], boundaries, maxStep, { scale: { domain: [0, 1] } }),
  });
}

export function ablationSpec(c: CircuitsModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return topLevel('Head importance', ['loss increase when the head is mean-ablated (clean validation sequences)'], {
    ...headLines(c.specialisation, 'ablation', 'loss increase (nats)', [{ field: 'ablation', type: 'quantitative', title: 'loss increase', format: '.4~g' }, { field: 'copy_suppression', type: 'quantitative', title: 'copy suppression', format: '.3f' }], boundaries, maxStep),
  });
}

export function attentionSpec(c: CircuitsModel, boundaries: StageBoundary[] | null, maxStep: number): VlSpec {
  return topLevel('Attention to the correct next token', ['mean over output positions of a probe set of clean validation sequences'], {
    ...headLines(c.attention, 'mean', 'attention', [{ field: 'mean', type: 'quantitative', title: 'attention', format: '.3f' }], boundaries, maxStep, { scale: { domain: [0, 1] } }),
  });
}
