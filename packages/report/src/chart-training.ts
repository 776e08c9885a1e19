/**
 * Training curves of one experiment: loss (minibatch loss every log_every steps and each
 * evaluation set at the checkpoints, log-y, with the Bayes-loss floor of the training data) and
 * accuracy (token and sequence accuracy per evaluation set), both over log(1 + step) with the
 * stage boundaries.
 */
import { HEIGHT, logTicks, stageRules, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import type { StageBoundary } from './changepoints.ts';
import { sig } from './format.ts';
import { MINIBATCH_LABEL, SET_LABELS, type TrainingModel } from './model.ts';

const SERIES_ORDER = [MINIBATCH_LABEL, ...Object.values(SET_LABELS)];
const SERIES_COLORS = ['#b9b9b9', '#1f77b4', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd'];

/** A colour scale that gives each series the same colour in every chart. */
function seriesColor(present: string[], title = 'series'): VlSpec {
  const domain = SERIES_ORDER.filter((s) => present.includes(s));
  return { field: 'series', type: 'nominal', title, scale: { domain, range: domain.map((s) => SERIES_COLORS[SERIES_ORDER.indexOf(s)]) }, sort: domain };
}

export function lossSpec(t: TrainingModel, boundaries: StageBoundary[] | null): VlSpec {
  const maxStep = t.last_step;
  const present = [...new Set(t.loss.map((r) => r.series))];
  const color = seriesColor(present);
  const floor = t.bayes_mean;
  const ticks = logTicks([...t.loss.map((r) => r.loss), ...(floor !== null && floor > 0 ? [floor] : [])]);
  const y = { field: 'loss', type: 'quantitative', scale: { type: 'log' }, axis: { values: ticks, format: '~g' }, title: 'loss (nats per token, log scale)' };
  const layers: VlSpec[] = [
    { transform: [{ filter: `datum.series == '${MINIBATCH_LABEL}'` }], mark: { type: 'line', strokeWidth: 1, opacity: 0.9 }, encoding: { x: timeX('step', maxStep), y, color } },
    {
      transform: [{ filter: `datum.series != '${MINIBATCH_LABEL}'` }],
      mark: { type: 'line', point: true },
      encoding: {
        x: timeX('step', maxStep),
        y,
        color,
        tooltip: [{ field: 'series', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'loss', type: 'quantitative', format: '.4~g' }],
      },
    },
  ];
  if (floor !== null && floor > 0) {
    layers.push({
      data: { values: [{ bayes: sig(floor, 6), label: `Bayes loss ${sig(floor, 4)}` }] },
      layer: [
        { mark: { type: 'rule', color: '#000', strokeDash: [2, 2] }, encoding: { y: { field: 'bayes', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal', title: 'floor' }] } },
        { mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -2, dy: -2, fontSize: 10 }, encoding: { x: { value: WIDTH }, y: { field: 'bayes', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    });
  }
  layers.push(stageRules(boundaries, maxStep));
  const floorLine =
    floor === null ? 'Bayes loss of the training data unknown' : floor > 0 ? `dotted: the Bayes loss of the training data, ${sig(floor, 4)} nats/token (best achievable)` : 'Bayes loss of the training data 0 (clean data; not drawn on the log axis)';
  return topLevel('Loss', [floorLine], { width: WIDTH, height: HEIGHT, data: { values: t.loss }, layer: layers });
}

export function accuracySpec(t: TrainingModel, boundaries: StageBoundary[] | null): VlSpec {
  const maxStep = t.last_step;
  const present = [...new Set(t.accuracy.map((r) => r.series))];
  return topLevel('Accuracy', ['solid: token accuracy; dashed: sequence accuracy (every output right)'], {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: t.accuracy },
        mark: { type: 'line', point: true },
        encoding: {
          x: timeX('step', maxStep),
          y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: 'accuracy' },
          color: seriesColor(present),
          strokeDash: { field: 'metric', type: 'nominal', title: 'metric', scale: { domain: ['token', 'sequence'], range: [[1, 0], [5, 3]] } },
          tooltip: [{ field: 'series', type: 'nominal' }, { field: 'metric', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'accuracy', type: 'quantitative', format: '.2%' }],
        },
      },
      stageRules(boundaries, maxStep),
    ],
  });
}
