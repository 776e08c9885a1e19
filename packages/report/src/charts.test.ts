/**
 * The spec builders on the tiny study: every chart compiles without a Vega-Lite warning, time axes
 * are symlog steps with the stage boundaries drawn, the Bayes floor and the LLC calibration are
 * shown where they exist, and charts of missing stages say why instead of drawing.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stepTicks, type VlSpec } from './chart-common.ts';
import { lossSpec } from './chart-training.ts';
import { llcSpec } from './chart-llc.ts';
import { type ChartEntry, experimentCharts, studyCharts } from './charts.ts';
import { pageSpec } from './html.ts';
import { loadExperiment } from './load.ts';
import { buildReportModel, type StudyModel } from './model.ts';
import { toVega } from './render.ts';
import { ReportConfigSchema } from './schema.ts';

type Any = Record<string, any>;

let study: StudyModel;
let charts: ChartEntry[][];
beforeAll(() => {
  const { experiments } = inject('reportStudy');
  const partial = { name: 'train-only', description: '', dirs: { dataset: experiments[0].dirs.dataset, train: experiments[0].dirs.train } };
  study = buildReportModel([...experiments, partial].map((e) => loadExperiment(e, 'raw-normalised')), ReportConfigSchema.parse({}));
  charts = study.experiments.map((e) => experimentCharts(e));
});

/** Every view (layers, concatenations) of a spec, depth first. */
function views(spec: Any): Any[] {
  const kids = [...(spec.layer ?? []), ...(spec.hconcat ?? []), ...(spec.vconcat ?? []), ...(spec.concat ?? [])];
  return [spec, ...kids.flatMap(views)];
}

describe('chart specs', () => {
  it('every chart of the study compiles to Vega without a Vega-Lite warning', () => {
    const all = [...charts.flat(), ...studyCharts(study)].filter((c) => c.spec);
    expect(all.length).toBe(2 * 13 + 2 + 3);
    for (const c of all) expect(() => toVega(c.spec!, c.id)).not.toThrow();
  });

  it('the page takes single and layered charts to the width of their cell, and they compile without a warning', () => {
    const all = [...charts.flat(), ...studyCharts(study)].filter((c) => c.spec);
    for (const c of all) {
      const page = pageSpec(c.spec!);
      const concat = ['hconcat', 'concat'].some((k) => k in c.spec!);
      expect(page.width, c.id).toBe(concat ? undefined : 'container');
      if (!concat) expect(page.autosize).toEqual({ type: 'fit-x', contains: 'padding' });
      expect({ ...page, width: c.spec!.width, autosize: c.spec!.autosize }).toEqual(c.spec); // nothing else changes
      expect(() => toVega(page, c.id)).not.toThrow();
    }
    expect(all.filter((c) => pageSpec(c.spec!).width === 'container').length).toBe(2 * 11 + 2 + 3);
  });

  it('puts steps on a symlog axis with 0 and draws the stage boundaries on every time axis', () => {
    // boundaries as the detector reports them (changepoints.test.ts tests the detector itself): two
    // known ones, so the test does not hang on whether the tiny run's LLC happens to change trend
    const base = study.experiments[0];
    const mid = (a: number, z: number) => Math.expm1((Math.log1p(a) + Math.log1p(z)) / 2);
    const b = [
      { step_before: 2, step_after: 4, step_mid: mid(2, 4), slope_change: 1.5 },
      { step_before: 9, step_after: 12, step_mid: mid(9, 12), slope_change: -2 },
    ];
    const e = { ...base, stages: { ...base.stages!, boundaries: b } };
    for (const c of experimentCharts(e).filter((x) => x.spec && x.file !== 'circuits' && x.file !== 'llc-traces' && x.file !== 'llc-running')) { // traces run over draws, not steps
      const vs = views(c.spec!);
      const timeAxes = vs.filter((v) => v.encoding?.x?.scale?.type === 'symlog' && v.encoding.x.field === 'step');
      expect(timeAxes.length, c.id).toBeGreaterThan(0);
      for (const v of timeAxes) expect(v.encoding.x.axis.values).toEqual(stepTicks(v.encoding.x.scale.domain[1]));
      const rules = vs.filter((v) => v.mark?.type === 'rule' && v.encoding?.x?.field === 'step_mid');
      expect(rules.length, c.id).toBe(c.file === 'circuit-symmetry' ? 2 : 1);
      for (const r of rules) expect(r.data.values.map((x: Any) => x.step_mid)).toEqual(b.map((x) => x.step_mid));
    }
    expect(stepTicks(7325)).toEqual([0, 1, 3, 10, 30, 100, 300, 1000, 3000]);
  });

  it('draws the Bayes floor only where it is above 0 (log axis) and says so otherwise', () => {
    const [clean, noisy] = study.experiments;
    const floorRule = (s: VlSpec) => views(s).find((v) => v.mark?.type === 'rule' && v.encoding?.y?.field === 'bayes');
    expect(noisy.training!.bayes_mean).toBeGreaterThan(0);
    expect(floorRule(lossSpec(noisy.training!, null))!.encoding.y.field).toBe('bayes');
    expect((lossSpec(noisy.training!, null) as Any).layer.find((l: Any) => l.data?.values?.[0]?.bayes).data.values[0].bayes).toBeCloseTo(noisy.training!.bayes_mean!, 5);
    expect(clean.training!.bayes_mean).toBe(0);
    expect(floorRule(lossSpec(clean.training!, null))).toBeUndefined();
    expect((lossSpec(clean.training!, null) as Any).title.subtitle.join(' ')).toMatch(/Bayes loss of the training data 0 \(clean data; not drawn on the log axis\)/);
  });

  it('the LLC chart names the SGLD calibration and marks checkpoints with flagged chains', () => {
    const c = charts[0].find((x) => x.file === 'llc')!.spec as Any;
    const cfg = study.experiments[0].llc!.config;
    const rows0 = study.experiments[0].llc!.rows;
    const nbeta = Number(rows0[0].nbeta!.toPrecision(3));
    expect(rows0.every((r) => r.nbeta === rows0[0].nbeta)).toBe(true);
    expect(c.title.subtitle.join(' ')).toContain(`nβ = ${nbeta}, γ = ${cfg.gamma ?? 10_000}, `);
    // chains lengthened until they settle: the draws per chain as they ran, from the first round's up
    const draws = rows0.map((r) => r.draws!);
    const shown = Math.min(...draws) === Math.max(...draws) ? `${draws[0]}` : `${Math.min(...draws)}–${Math.max(...draws)}`;
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(cfg.draws);
    expect(c.title.subtitle.join(' ')).toContain(`B = ${cfg.batch_size}, ${cfg.chains} chains × ${shown} draws`);
    expect(c.title.subtitle.join(' ')).toMatch(cfg.method === 'sgld' ? /SGLD on the raw weights/ : /SGLD on the canonical form/);
    const points = views(c).find((v) => v.mark?.type === 'point')!;
    expect(points.encoding.shape.scale).toEqual({ domain: ['none flagged', 'some flagged'], range: ['circle', 'cross'] });
    expect(points.encoding.tooltip.map((t: Any) => t.field)).toContain('flags');
    const rows = c.data.values as Any[];
    expect(rows.filter((r) => r.flagged > 0).every((r) => r.chains === 'some flagged' && /chain \d+: /.test(r.flags))).toBe(true);
    expect(rows.filter((r) => r.flagged === 0).every((r) => r.chains === 'none flagged' && r.flags === 'none')).toBe(true);
    expect(views(c).find((v) => v.mark?.type === 'area')!.encoding.y2.field).toBe('hi');
  });

  it('the LLC axis spans the readable estimates and says how many others it clips', () => {
    const base = study.experiments[0].llc!;
    const row = (step: number, mean: number, flagged: number) => ({ ...base.rows[0], step, target: 'all', mean, std: 1, lo: mean - 1, hi: mean + 1, flagged });
    const l = { ...base, rows: [row(1, -30000, 4), row(2, -500, 2), row(3, 150, 0), row(4, 180, 0)] };
    const spec = llcSpec(l, null, 10) as Any;
    const points = views(spec).find((v) => v.mark?.type === 'point')!;
    expect(points.encoding.y.scale.domain).toEqual([0, 1.1 * 181]);
    expect(points.mark.clip).toBe(true);
    expect(spec.title.subtitle.join(' ')).toMatch(/2 unreadable estimate\(s\) below or above the axis/);
    expect((llcSpec({ ...base, rows: [row(1, -5, 1)] }, null, 10) as Any).layer[2].encoding.y.scale).toBeUndefined(); // nothing readable: the axis fits everything
  });

  it('draws every chain\'s SGLD loss trace at the last estimated checkpoint', () => {
    const l = study.experiments[0].llc!;
    const c = charts[0].find((x) => x.file === 'llc-traces')!.spec as Any;
    const last = Math.max(...l.rows.map((r) => r.step));
    expect(new Set(l.traces.map((t) => t.step))).toEqual(new Set([last]));
    expect(new Set(l.traces.map((t) => `${t.target}/${t.chain}`)).size).toBe(l.rows.filter((r) => r.step === last).length * study.experiments[0].llc!.config.chains);
    expect(c.encoding.x.field).toBe('draw');
    expect(c.data.values.length).toBe(l.traces.length);
    // the running λ̂ of each chain ends at that chain's λ_c (the last half of all its draws)
    const running = charts[0].find((x) => x.file === 'llc-running')!.spec as Any;
    expect(running.encoding.y.field).toBe('running');
    expect(running.data.values.length).toBeGreaterThan(0);
  });

  it('draws the norm of every tensor of every estimated checkpoint on a log axis', () => {
    const e = study.experiments[0];
    const c = charts[0].find((x) => x.file === 'llc-norms')!.spec as Any;
    const line = views(c).find((v) => v.mark?.type === 'line')!;
    expect(line.encoding.y.scale.type).toBe('log');
    const tensors = new Set(e.llc!.norms.map((r) => r.tensor));
    expect(tensors.has('embed.W_E') && tensors.has('unembed.W_U')).toBe(true);
    expect(new Set(e.llc!.norms.map((r) => r.step))).toEqual(new Set(e.llc!.rows.map((r) => r.step)));
    expect(e.llc!.norms.every((r) => r.norm > 0)).toBe(true);
    expect(line.data.values.length).toBe(e.llc!.norms.length);
  });

  it('shows noisy and clean rows of a noisy run, and no noisy series for a clean run', () => {
    const series = (i: number) => new Set(study.experiments[i].training!.loss.map((r) => r.series));
    expect(series(1)).toEqual(new Set(['train minibatch', 'validation (clean)', 'train sample', 'train sample: noisy rows', 'train sample: clean rows', 'noisy rows vs clean targets']));
    expect(series(0)).toEqual(new Set(['train minibatch', 'validation (clean)', 'train sample']));
  });

  it('omits heatmaps beyond max_heatmap_experiments and says so', () => {
    const { experiments } = inject('reportStudy');
    const few = buildReportModel(experiments.map((e) => loadExperiment(e, 'raw-normalised')), ReportConfigSchema.parse({ max_heatmap_experiments: 1 }));
    expect(few.experiments.map((e) => e.circuits!.heatmap !== null)).toEqual([true, false]);
    const c = experimentCharts(few.experiments[1]).find((x) => x.file === 'circuits')!;
    expect(c.spec).toBeNull();
    expect(c.missing).toMatch(/^Heatmaps omitted: only the first 1 experiment\(s\) of the report get them \(report option max_heatmap_experiments\)/);
    expect(experimentCharts(few.experiments[1]).find((x) => x.file === 'regions')!.spec).not.toBeNull();
  });

  it('replaces the charts of missing stages by the reason', () => {
    const partial = charts[2];
    expect(partial.filter((c) => c.spec).map((c) => c.file)).toEqual(['loss', 'accuracy']);
    for (const c of partial.filter((x) => !x.spec)) expect(c.missing).toMatch(/^No (llc|circuits) artifacts: no (llc|circuits) artifacts given/);
    expect(study.experiments[2].stages_note).toMatch(/^no LLC estimates/);
  });
});
