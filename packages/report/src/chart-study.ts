/**
 * Across experiments: the same curves overlaid, one colour per experiment — the LLC of the `all`
 * target (mean ± std), the validation and training-sample losses with each experiment's Bayes
 * floor, and the clean validation token accuracy.
 */
import { samplerSettings } from './chart-llc.ts';
import { HEIGHT, logTicks, maxStepOf, timeX, topLevel, type VlSpec, WIDTH } from './chart-common.ts';
import { sig } from './format.ts';
import { SET_LABELS, type StudyModel } from './model.ts';

/** One colour per experiment that has rows, in the study's order. */
function experimentColor(s: StudyModel, rows: { experiment: string }[]): VlSpec {
  const present = new Set(rows.map((r) => r.experiment));
  const names = s.experiments.map((e) => e.name).filter((n) => present.has(n));
  // more than 10 experiments: the 20-colour scheme, so no two share a colour (up to 20)
  return { field: 'experiment', type: 'nominal', title: 'experiment', scale: { domain: names, ...(names.length > 10 ? { scheme: 'tableau20' } : {}) }, sort: names };
}

export function studyLlcSpec(s: StudyModel): VlSpec | null {
  const rows = s.experiments.flatMap((e) => (e.llc?.rows ?? []).filter((r) => r.target === 'all').map((r) => ({ experiment: e.name, step: r.step, mean: r.mean, std: r.std, lo: r.lo, hi: r.hi, flagged: r.flagged })));
  if (rows.length === 0) return null;
  const x = timeX('step', maxStepOf(rows));
  const color = experimentColor(s, rows);
  const calibrations = [...new Set(s.experiments.flatMap((e) => (e.llc ? [samplerSettings(e.llc.config)] : [])))];
  const note = calibrations.length > 1 ? `SGLD settings differ between experiments (${calibrations.join(' | ')}): values are not comparable` : `SGLD ${calibrations[0]} in every experiment`;
  return topLevel('LLC over training, per experiment', [`target all; band: mean ± std over chains. ${note}`], {
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'LLC λ̂' }, y2: { field: 'hi' }, color } },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: 'LLC λ̂' },
          color,
          tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'mean', type: 'quantitative', format: '.4~g' }, { field: 'std', type: 'quantitative', format: '.3~g' }, { field: 'flagged', type: 'quantitative', title: 'flagged chains' }],
        },
      },
    ],
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
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: timeX('step', maxStepOf(rows)),
          y,
          color,
          strokeDash: { field: 'set', type: 'nominal', title: 'evaluated on', scale: { domain: ['validation (clean)', 'train sample'], range: [[1, 0], [5, 3]] } },
          tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'set', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'loss', type: 'quantitative', format: '.4~g' }],
        },
      },
      ...(floors.length ? [{ data: { values: floors }, mark: { type: 'rule', strokeDash: [2, 2] }, encoding: { y: { field: 'bayes', type: 'quantitative' }, color, tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'bayes', type: 'quantitative', title: 'Bayes loss' }] } }] : []),
    ],
  });
}

export function studyAccuracySpec(s: StudyModel): VlSpec | null {
  const rows = s.experiments.flatMap((e) => (e.training?.accuracy ?? []).filter((r) => r.series === SET_LABELS.validation && r.metric === 'token').map((r) => ({ experiment: e.name, step: r.step, accuracy: r.accuracy })));
  if (rows.length === 0) return null;
  return topLevel('Clean validation token accuracy, per experiment', null, {
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: timeX('step', maxStepOf(rows)),
      y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: 'token accuracy' },
      color: experimentColor(s, rows),
      tooltip: [{ field: 'experiment', type: 'nominal' }, { field: 'step', type: 'quantitative' }, { field: 'accuracy', type: 'quantitative', format: '.2%' }],
    },
  });
}
