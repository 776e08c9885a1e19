/**
 * Across experiments: the same curves overlaid, one stable colour per experiment (colours.ts) —
 * the LLC of the `all` target (readable estimates as data, the rest on the axis edge;
 * chart-llc-layers.ts), the validation and training-sample losses with each experiment's Bayes
 * floor, and the clean validation token accuracy. Each has the run filter, legend toggling and
 * zoom/pan (chart-interact.ts).
 */
import { samplerSettings } from './chart-llc.ts';
import { HEIGHT, logTicks, maxStepOf, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import { legendToggle, pickedOpacity, runFilterParam, runFilterTransform, zoomParam } from './chart-interact.ts';
import { llcLayers, UNREADABLE_NOTE } from './chart-llc-layers.ts';
import { stableColourScale } from './colours.ts';
import { sig } from './format.ts';
import { SET_LABELS, type StudyModel } from './model.ts';

/** Each experiment's stable colour (colours.ts), in the study's order; only experiments that have rows. */
export function experimentColor(s: StudyModel, rows: { experiment: string }[]): VlSpec {
  const present = new Set(rows.map((r) => r.experiment));
  const names = s.experiments.map((e) => e.name).filter((n) => present.has(n));
  // the legend under the plot, so long names do not narrow it; two columns beyond 6 experiments
  return { field: 'experiment', type: 'nominal', title: 'experiment (click to show one)', scale: stableColourScale(names), sort: names, legend: { orient: 'bottom', direction: 'vertical', columns: names.length > 6 ? 2 : 1, symbolLimit: 40, labelLimit: 260, titleLimit: 400 } };
}

/** The study's interactions: zoom and pan, the legend toggle and the run filter. */
const studyParams = () => [zoomParam(), legendToggle('experiment')];

export function studyLlcSpec(s: StudyModel): VlSpec | null {
  const rows = s.experiments.flatMap((e) =>
    (e.llc?.rows ?? []).filter((r) => r.target === 'all').map((r) => ({ experiment: e.name, step: r.step, mean: r.mean, std: r.std, lo: r.lo, hi: r.hi, flagged: r.flagged, readable: r.readable, reason: r.reason })),
  );
  if (rows.length === 0) return null;
  const x = timeX('step', maxStepOf(rows));
  const color = experimentColor(s, rows);
  const calibrations = [...new Set(s.experiments.flatMap((e) => (e.llc ? [samplerSettings(e.llc.config)] : [])))];
  const note = calibrations.length > 1 ? `SGLD settings differ between experiments (${calibrations.join(' | ')}): values are not comparable` : `SGLD ${calibrations[0]} in every experiment`;
  const unreadable = rows.filter((r) => !r.readable).length;
  const { values, layers } = llcLayers(rows, {
    x,
    color,
    series: 'experiment',
    bandOpacity: 0.15,
    transform: [runFilterTransform()],
    tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'mean', type: 'quantitative', title: 'λ̂ mean', format: '.4~g' }, { field: 'std', type: 'quantitative', title: 'λ̂ std over chains', format: '.3~g' }],
  });
  return topLevel('LLC over training, per experiment', [`target all; band: mean ± std over chains. ${note}`, unreadable ? `${unreadable} of ${rows.length} estimates cannot be read (${UNREADABLE_NOTE})` : `all ${rows.length} estimates readable`], {
    width: WIDTH,
    height: HEIGHT,
    params: [runFilterParam()],
    data: { values },
    layer: layers,
  });
}

export function studyLossSpec(s: StudyModel): VlSpec | null {
  const sets = { [SET_LABELS.validation]: 'validation (clean)', [SET_LABELS.train]: 'train sample' } as Record<string, string>;
  const rows = s.experiments.flatMap((e) => (e.training?.loss ?? []).filter((r) => r.series in sets).map((r) => ({ experiment: e.name, step: r.step, loss: r.loss, set: sets[r.series] })));
  if (rows.length === 0) return null;
  const floors = s.experiments.flatMap((e) => (e.training?.bayes_mean ? [{ experiment: e.name, bayes: sig(e.training.bayes_mean, 6) }] : []));
  const color = experimentColor(s, rows);
  const ticks = logTicks([...rows.map((r) => r.loss), ...floors.map((f) => f.bayes)]);
  const y = { field: 'loss', type: 'quantitative', scale: { type: 'log' }, axis: { values: ticks, format: '~g' }, title: 'loss (nats per token, log scale)' };
  return topLevel('Loss over training, per experiment', ['solid: clean validation; dashed: training sample (the targets trained on); dotted: Bayes loss of the training data where > 0'], {
    width: WIDTH,
    height: HEIGHT,
    params: [runFilterParam()],
    layer: [
      {
        data: { values: rows },
        transform: [runFilterTransform()],
        params: studyParams(),
        mark: { type: 'line', point: true },
        encoding: {
          x: timeX('step', maxStepOf(rows)),
          y,
          color,
          opacity: pickedOpacity(1),
          strokeDash: { field: 'set', type: 'nominal', title: 'evaluated on', scale: { domain: ['validation (clean)', 'train sample'], range: [[1, 0], [5, 3]] } },
          tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'set', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'loss', type: 'quantitative', format: '.4~g' }],
        },
      },
      ...(floors.length ? [{ data: { values: floors }, transform: [runFilterTransform()], mark: { type: 'rule', strokeDash: [2, 2] }, encoding: { y: { field: 'bayes', type: 'quantitative' }, color, opacity: pickedOpacity(1), tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'bayes', type: 'quantitative', title: 'Bayes loss' }] } }] : []),
    ],
  });
}

export function studyAccuracySpec(s: StudyModel): VlSpec | null {
  const rows = s.experiments.flatMap((e) => (e.training?.accuracy ?? []).filter((r) => r.series === SET_LABELS.validation && r.metric === 'token').map((r) => ({ experiment: e.name, step: r.step, accuracy: r.accuracy })));
  if (rows.length === 0) return null;
  return topLevel('Clean validation token accuracy, per experiment', null, {
    width: WIDTH,
    height: HEIGHT,
    params: [runFilterParam(), ...studyParams()],
    data: { values: rows },
    transform: [runFilterTransform()],
    mark: { type: 'line', point: true },
    encoding: {
      x: timeX('step', maxStepOf(rows)),
      y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: 'token accuracy' },
      color: experimentColor(s, rows),
      opacity: pickedOpacity(1),
      tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'accuracy', type: 'quantitative', format: '.2%' }],
    },
  });
}
