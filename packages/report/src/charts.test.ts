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
import { stableColours } from './colours.ts';
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
    expect(all.length).toBe(2 * 12 + 2 + 3);
    for (const c of all) expect(() => toVega(c.spec!, c.id)).not.toThrow();
  });

  it('the page takes single and layered charts to the width of their cell, and they compile without a warning', () => {
    const all = [...charts.flat(), ...studyCharts(study)].filter((c) => c.spec);
    for (const c of all) {
      const page = pageSpec(c.spec!);
      const concat = ['hconcat', 'vconcat', 'concat'].some((k) => k in c.spec!);
      expect(page.width, c.id).toBe(concat ? undefined : 'container');
      if (!concat) expect(page.autosize).toEqual({ type: 'fit-x', contains: 'padding' });
      expect({ ...page, width: c.spec!.width, autosize: c.spec!.autosize }).toEqual(c.spec); // nothing else changes
      expect(() => toVega(page, c.id)).not.toThrow();
    }
    expect(all.filter((c) => pageSpec(c.spec!).width === 'container').length).toBe(2 * 9 + 2 + 3); // not the heatmaps, symmetry and traces (concatenations)
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
    for (const c of experimentCharts(e).filter((x) => x.spec && x.file !== 'circuits' && x.file !== 'llc-traces')) { // traces run over draws, not steps
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
    // readable estimates are the data (band, line, points); the others ▼ on the bottom edge with their reason
    const vs = views(c);
    const readableLayers = vs.filter((v) => v.transform?.some((t: Any) => t.filter === 'datum.readable'));
    expect(readableLayers.map((v) => v.mark.type)).toEqual(['area', 'line', 'point']);
    const edge = vs.find((v) => v.transform?.some((t: Any) => t.filter === '!datum.readable'))!;
    expect(edge.mark.shape).toBe('triangle-down');
    expect(edge.encoding.y.field).toBe('edge');
    expect(edge.encoding.tooltip.map((t: Any) => t.field)).toContain('reason');
    expect(readableLayers[2].encoding.tooltip.map((t: Any) => t.field)).toContain('flags');
    const rows = c.data.values as Any[];
    expect(rows.filter((r) => r.flagged > 0).every((r) => !r.readable && /chain \d+: /.test(r.flags) && !/^λ̂/.test(r.reason))).toBe(true);
    expect(rows.filter((r) => r.readable).every((r) => r.flagged === 0 && r.mean > 0 && r.reason === 'readable')).toBe(true);
    expect(rows.every((r) => r.edge === rows[0].edge)).toBe(true);
    expect(readableLayers[0].encoding.y2.field).toBe('hi');
    // zoom and pan, and the legend toggle, on the line layer
    expect(readableLayers[1].params.map((p: Any) => p.name)).toEqual(['zoom', 'pick']);
  });

  it('the LLC axis spans the readable estimates; the others sit on its bottom edge with their reason', () => {
    const base = study.experiments[0].llc!;
    const row = (step: number, mean: number, flagged: number) => ({ ...base.rows[0], step, target: 'all', mean, std: 1, lo: mean - 1, hi: mean + 1, flagged, readable: flagged === 0 && mean > 0, reason: flagged ? `not_minimum (${flagged} of 4 chains)` : mean > 0 ? 'readable' : `λ̂ ${mean} ≤ 0` });
    const l = { ...base, rows: [row(1, -30000, 4), row(2, -500, 2), row(3, 150, 0), row(4, 180, 0), row(5, -2, 0)] };
    const spec = llcSpec(l, null, 10) as Any;
    const points = views(spec).find((v) => v.mark?.type === 'point' && v.transform?.[0]?.filter === 'datum.readable')!;
    expect(points.encoding.y.scale.domain).toEqual([0, 1.1 * 181]);
    expect(points.mark.clip).toBe(true);
    const values = spec.data.values as Any[];
    expect(values.filter((r) => !r.readable).map((r) => [r.step, r.edge, r.reason])).toEqual([[1, 0, 'not_minimum (4 of 4 chains)'], [2, 0, 'not_minimum (2 of 4 chains)'], [5, 0, 'λ̂ -2 ≤ 0']]);
    expect(spec.title.subtitle.join(' ')).toMatch(/3 of 5 estimates cannot be read \(▼ on the bottom edge; hover for why\)/);
    // nothing readable: a unit axis with every estimate on its edge
    const none = llcSpec({ ...base, rows: [row(1, -5, 1)] }, null, 10) as Any;
    expect(none.data.values[0].edge).toBe(0);
    expect(views(none).find((v) => v.mark?.type === 'line')!.encoding.y.scale.domain).toEqual([0, 1]);
  });

  it('the study LLC chart draws readable estimates only, in stable colours, with the run filter', () => {
    const spec = studyCharts(study).find((c) => c.file === 'llc')!.spec as Any;
    const rows = spec.data.values as Any[];
    const want = study.experiments.flatMap((e) => (e.llc?.rows ?? []).filter((r) => r.target === 'all'));
    expect(rows.length).toBe(want.length);
    expect(rows.filter((r) => r.readable).length).toBe(want.filter((r) => r.readable).length);
    expect(spec.params.map((p: Any) => p.name)).toEqual(['run_filter']);
    const vs = views(spec).filter((v) => v.mark);
    for (const v of vs) expect(v.transform[0].filter, v.mark.type).toMatch(/^run_filter == ''/);
    const colour = vs[0].encoding.color.scale;
    expect(colour.domain).toEqual(study.experiments.filter((e) => e.llc).map((e) => e.name));
    expect(colour.range).toEqual(stableColours(colour.domain));
  });

  it('draws every chain\'s SGLD loss trace and running λ̂ at any estimated checkpoint, the last one first', () => {
    const l = study.experiments[0].llc!;
    const c = charts[0].find((x) => x.file === 'llc-traces')!.spec as Any;
    const steps = [...new Set(l.rows.map((r) => r.step))].sort((a, b) => a - b);
    expect([...new Set(l.traces.map((t) => t.step))].sort((a, b) => a - b)).toEqual(steps);
    for (const s of steps) expect(new Set(l.traces.filter((t) => t.step === s).map((t) => `${t.target}/${t.chain}`)).size).toBe(l.rows.filter((r) => r.step === s).length * l.config.chains);
    const param = c.params[0];
    expect(param.value).toBe(steps.at(-1));
    if (steps.length > 1) expect(param.bind.options).toEqual(steps);
    expect(c.datasets.traces.length).toBe(l.traces.length);
    expect(c.vconcat.map((v: Any) => v.encoding.y.field)).toEqual(['loss', 'running']);
    for (const v of c.vconcat) expect(v.transform[0]).toEqual({ filter: 'datum.step == trace_step' });
    // experiments beyond max_heatmap_experiments keep the last checkpoint's traces only
    const small = buildReportModel(inject('reportStudy').experiments.map((e) => loadExperiment(e, 'raw-normalised')), ReportConfigSchema.parse({ max_heatmap_experiments: 0 }));
    expect(new Set(small.experiments[0].llc!.traces.map((t) => t.step))).toEqual(new Set([steps.at(-1)]));
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
