/**
 * Loading and the report model on the tiny study: what is read equals what the stages wrote, the
 * summary row is computed from it, and missing, unreadable or wrong artifacts are reported with
 * their reason (paths relative to the artifacts folder) instead of stopping the report.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CircuitsConfigSchema, runCircuitsStage } from '@sortscope/circuits';
import { readArtifact, writeManifest } from '@sortscope/core';
import { blocksReading, readChains, readEstimates } from '@sortscope/llc';
import { KINDS as TRAIN_KINDS, readCheckpointMetrics } from '@sortscope/train';
import { describe, expect, inject, it } from 'vitest';
import { loadExperiment, type ReportExperiment } from './load.ts';
import { detectStages } from './changepoints.ts';
import { experimentCharts } from './charts.ts';
import { buildReportModel, experimentModel, type LlcModel, readableEstimate, stagesOf } from './model.ts';
import { ReportConfigSchema } from './schema.ts';

const CFG = ReportConfigSchema.parse({});

/** The summary keeps 6 significant digits: relative error ≤ 5e-6. */
function expectSig6(got: number | null, want: number): void {
  expect(got).not.toBeNull();
  expect(Math.abs(got! - want)).toBeLessThanOrEqual(5e-6 * Math.abs(want) + 1e-12);
}

describe('report model of the tiny study', () => {
  it('summarises each experiment from its artifacts', () => {
    const { experiments } = inject('reportStudy');
    const model = buildReportModel(experiments.map((e) => loadExperiment(e, 'raw-normalised')), CFG);
    expect(model.summary.map((r) => r.experiment)).toEqual(['clean', 'token-noise']);
    for (const [i, e] of experiments.entries()) {
      const row = model.summary[i];
      const cm = readCheckpointMetrics(join(e.dirs.train!, 'metrics-checkpoints.arrow'));
      const fv = cm.meta.extra.final_validation as { token_accuracy: number; sequence_accuracy: number };
      expectSig6(row.clean_token_accuracy, fv.token_accuracy);
      expectSig6(row.clean_sequence_accuracy, fv.sequence_accuracy);
      expectSig6(row.train_loss, cm.columns.train_loss.at(-1)!);
      const bayes = (cm.meta.extra.bayes_loss as { mean: number }).mean;
      if (bayes === 0) expect(row.bayes_loss).toBe(0);
      else expectSig6(row.bayes_loss, bayes);
      expectSig6(row.train_loss_above_bayes, cm.columns.train_loss.at(-1)! - bayes);
      const est = readEstimates(join(e.dirs.llc!, 'estimates.arrow')).rows.filter((r) => r.target === 'all').at(-1)!;
      expect(row.llc).toEqual({ step: est.step, mean: Number(est.llc_mean.toPrecision(6)), std: Number(est.llc_std.toPrecision(6)), flagged_chains: est.flagged_chains, chains: 2 });
      expect(Object.keys(row.heads)).toEqual(['L0H0', 'L0H1']);
      expect(row.heads.L0H0.regions).toBeGreaterThanOrEqual(1);
      expect(row.heads.L0H0.qk_ev_z).not.toBeNull();
      expect(row.missing).toEqual([]);
    }
    expect(model.summary[0].noise).toBe('none');
    expect(model.summary[1].noise).toBe('token p=0.3');
  });

  it('the train stage writes null, not NaN, for the noisy-row sets of clean data (issue #30)', () => {
    const [clean, noisy] = inject('reportStudy').experiments;
    const table = (e: ReportExperiment) => readArtifact(join(e.dirs.train!, 'metrics-checkpoints.arrow'), { ...TRAIN_KINDS.checkpointMetrics, regenerate: '' }).table;
    const c = table(clean);
    // the split into noisy and clean rows does not apply to clean data (the sample is the `train` set)
    for (const col of ['train_noisy_loss', 'train_noisy_token_accuracy', 'train_noisy_vs_clean_targets_loss', 'train_noisy_loss_per_position', 'train_clean_loss']) {
      expect(c.getChild(col)!.nullCount, col).toBe(c.numRows);
    }
    for (const col of ['validation_loss', 'train_loss', 'train_loss_per_position']) expect(c.getChild(col)!.nullCount, col).toBe(0);
    const n = table(noisy);
    for (const col of ['train_noisy_loss', 'train_noisy_loss_per_position', 'train_clean_loss']) expect(n.getChild(col)!.nullCount, col).toBe(0);
    expect([...n.getChild('train_noisy_loss')!].every((v) => Number.isFinite(v))).toBe(true);
    // the readers see null as NaN, as before
    expect(readCheckpointMetrics(join(clean.dirs.train!, 'metrics-checkpoints.arrow')).columns.train_noisy_loss.every(Number.isNaN)).toBe(true);
  });

  it('lists every flagged chain of a checkpoint in the LLC rows', () => {
    const e = inject('reportStudy').experiments[0];
    const m = experimentModel(loadExperiment(e, 'raw-normalised'), CFG);
    const chains = readChains(join(e.dirs.llc!, 'chains.arrow')).rows;
    for (const r of m.llc!.rows) {
      const flagged = chains.filter((c) => c.step === r.step && c.target === r.target && c.flags.length);
      // counted: the chains with a flag that blocks reading (acceptance_high alone does not); listed: every flagged chain
      expect(r.flagged).toBe(flagged.filter((c) => blocksReading(c.flags)).length);
      expect(r.flags).toBe(flagged.length ? flagged.map((c) => `chain ${c.chain}: ${c.flags.join(', ')}`).join('; ') : 'none');
    }
    expect(m.llc!.total_chains).toBe(chains.length);
  });
});

describe('missing and unreadable stages', () => {
  it('says what is missing and why, with paths relative to the artifacts folder', () => {
    const { root, experiments } = inject('reportStudy');
    const e = experiments[0];
    const broken = join(root, 'broken', 'llc', 'garbage');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'estimates.arrow'), 'not an arrow file');
    const cases: [ReportExperiment['dirs'], string, RegExp][] = [
      [{}, 'dataset', /^no dataset artifacts given/],
      [{ train: join(root, 'artifacts/train/nope') }, 'train', /^train\/nope does not exist: run the train stage/],
      [{ llc: broken }, 'llc', /^llc\/garbage has no manifest\.json: the llc stage did not finish there .*rerun it: npx sortscope llc/],
      [{ llc: e.dirs.train }, 'llc', /^train\/clean holds train artifacts, expected llc/],
      [{ circuits: e.dirs.llc }, 'circuits', /^llc\/clean holds llc artifacts, expected circuits/],
    ];
    const check = (list: typeof cases) => {
      for (const [dirs, stage, reason] of list.splice(0)) {
        const loaded = loadExperiment({ name: 'x', description: '', dirs }, 'raw-normalised');
        const m = loaded.missing.find((x) => x.stage === stage)!;
        expect(m.reason, stage).toMatch(reason);
        expect(m.reason).not.toContain(root);
        expect(loaded[stage as 'llc']).toBeNull();
      }
    };
    check(cases);
    writeManifest(broken, 'llc', 'garbage', {});
    cases.push([{ llc: broken }, 'llc', /^llc\/garbage\/estimates\.arrow is not a readable Arrow IPC file .*regenerate it with: npx sortscope llc/]);
    // a file copied from another run, and a folder computed from other upstream artifacts
    const tampered = join(root, 'tampered', 'artifacts');
    for (const s of ['dataset', 'train'] as const) cpSync(e.dirs[s]!, join(tampered, s, 'clean'), { recursive: true });
    cpSync(join(experiments[1].dirs.train!, 'checkpoints.arrow'), join(tampered, 'train', 'clean', 'checkpoints.arrow'));
    cases.push([{ dataset: join(tampered, 'dataset', 'clean'), train: join(tampered, 'train', 'clean') }, 'train', /^train\/clean\/checkpoints\.arrow was changed after the train stage wrote it/]);
    cases.push([{ dataset: experiments[1].dirs.dataset, train: e.dirs.train }, 'train', /^train\/clean was computed from dataset clean as it was then, but dataset\/token-noise now holds other artifacts/]);
    check(cases);

    const nothing = experimentModel(loadExperiment({ name: 'empty', description: '', dirs: {} }, 'raw-normalised'), CFG);
    expect(nothing.missing.map((m) => m.stage)).toEqual(['dataset', 'train', 'circuits', 'llc']);
    expect(nothing.summary).toMatchObject({ clean_token_accuracy: null, llc: null, stage_boundaries: null, heads: {}, missing: ['dataset', 'train', 'circuits', 'llc'] });
  });

  it('shows the convention the circuits hold when the one asked for is absent, and notes it', async () => {
    const { root, experiments } = inject('reportStudy');
    const e = experiments[0];
    const outDir = join(root, 'folded-only', 'circuits', 'f');
    const config = CircuitsConfigSchema.parse({ conventions: ['folded'], specialisation: { convention: 'folded' }, null_samples: 0, ablation_rows: 0, probe_rows: 0 });
    await runCircuitsStage(config, { outDir, trainDir: e.dirs.train!, datasetDir: e.dirs.dataset!, quiet: true, workers: 0, backend: 'wasm' });
    writeManifest(outDir, 'circuits', 'f', {});
    const loaded = loadExperiment({ name: 'f', description: '', dirs: { circuits: outDir } }, 'raw-normalised');
    expect(loaded.circuits!.convention).toBe('folded');
    expect(loaded.notes).toEqual(['circuits: the artifacts hold the folded convention(s), not raw-normalised; showing folded']);
    expect(loaded.circuits!.matrices.every((m) => m.convention === 'folded')).toBe(true);
    const m = experimentModel(loaded, CFG);
    expect(m.circuits!.heatmap!.panels).toHaveLength(4);
    expect(m.circuits!.specialisation.every((r) => r.ablation === null)).toBe(true); // ablation_rows 0: NaN in the artifact
  });

  it('refuses two experiments that would share a figures folder', () => {
    const loaded = (name: string) => loadExperiment({ name, description: '', dirs: {} }, 'raw-normalised');
    expect(() => buildReportModel([loaded('a b'), loaded('a-b')], CFG)).toThrow(/experiments 'a b' and 'a-b' both map to the folder name 'a-b'/);
  });

  it('copies of the same artifacts give the same model (nothing depends on where they are)', () => {
    const { root, experiments } = inject('reportStudy');
    const e = experiments[1];
    const copy = Object.fromEntries(Object.entries(e.dirs).map(([s, d]) => {
      const to = join(root, 'copy', 'artifacts', s, 'token-noise');
      cpSync(d!, to, { recursive: true });
      return [s, to];
    }));
    const a = experimentModel(loadExperiment(e, 'raw-normalised'), CFG);
    const b = experimentModel(loadExperiment({ ...e, dirs: copy }, 'raw-normalised'), CFG);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe('stage boundaries from the LLC', () => {
  /** An LLC row of target `all` (only the fields stagesOf reads matter). */
  const row = (step: number, mean: number, flagged = 0, std = 0, mixing: number | null = null) => ({ step, target: 'all', mean, std, flagged, mixing }) as LlcModel['rows'][number];
  // two clean trends in ln(1 + step): flat, then rising from step 30 on
  const steps = [0, 1, 2, 4, 7, 12, 20, 30, 50, 80, 130, 200, 320, 500, 800, 1300, 2000];
  const trend = (s: number) => (s < 30 ? 2 : 2 + 3 * (Math.log1p(s) - Math.log1p(30)));
  const bad = new Map([[1, row(1, 40, 2)], [7, row(7, -9)], [50, row(50, 35, 1)], [130, row(130, -20)], [800, row(800, 0.01, 1)], [1300, row(1300, 9, 0, 4)], [2000, row(2000, 7, 0, 0.1, 0.3)]]); // 1300: unflagged chains that disagree (std 44% of λ̂); 2000: chains not relaxed (m 0.3)
  const rows = steps.map((s) => bad.get(s) ?? row(s, trend(s)));
  const cfg = { changepoints: { max_segments: 4, min_points: 3, penalty: 1 } };

  it('fits only through readable estimates (no flagged chain, λ̂ > 0, chains agreeing and relaxed) and says how many were left out', () => {
    const { stages, note, fit } = stagesOf({ rows, not_finite: [{ step: 3000, target: 'all' }, { step: 3000, target: 'head 1' }] }, cfg);
    const used = rows.filter(readableEstimate);
    expect(used).toHaveLength(10);
    expect(fit).toBe('fitted through 10 of 18 estimates; 8 unreadable left out (a chain flagged, λ̂ ≤ 0, chains disagreeing or not relaxed)');
    expect(note.endsWith('(fitted through 10 of 18 estimates; 8 unreadable left out (a chain flagged, λ̂ ≤ 0, chains disagreeing or not relaxed))')).toBe(true);
    expect(stages!.n).toBe(10);
    expect(stages).toEqual(detectStages(used.map((r) => r.step), used.map((r) => r.mean), cfg.changepoints));
    // the readable points show the one change of trend, between steps 20 and 30
    expect(stages!.boundaries.map((b) => [b.step_before, b.step_after])).toEqual([[20, 30]]);
    // fitted through every point, the flagged and negative ones would move it
    const everything = detectStages(steps, rows.map((r) => r.mean), cfg.changepoints);
    expect(everything.boundaries.map((b) => [b.step_before, b.step_after])).not.toEqual([[20, 30]]);
  });

  it('says so when every estimate was used, and when none can be read', () => {
    const clean = steps.map((s) => row(s, trend(s)));
    expect(stagesOf({ rows: clean, not_finite: [] }, cfg).fit).toBe('fitted through all 17 estimates');
    const unreadable = stagesOf({ rows: [row(0, -1), row(5, 3, 1)], not_finite: [{ step: 9, target: 'all' }] }, cfg);
    expect(unreadable.stages!.boundaries).toEqual([]);
    expect(unreadable.note).toBe('0 readable LLC estimates: too few to fit a trend (fitted through 0 of 3 estimates; 3 unreadable left out (a chain flagged, λ̂ ≤ 0, chains disagreeing or not relaxed))');
    expect(readableEstimate(row(1, Number.NaN))).toBe(false);
    expect(readableEstimate(row(1, 0))).toBe(false);
  });

  it('the tiny study: the note and the LLC chart name the estimates used', () => {
    for (const e of inject('reportStudy').experiments) {
      const m = experimentModel(loadExperiment(e, 'raw-normalised'), CFG);
      const all = m.llc!.rows.filter((r) => r.target === 'all');
      const used = all.filter(readableEstimate).length;
      const left = all.length + m.llc!.not_finite.filter((r) => r.target === 'all').length - used;
      expect(m.stages!.n).toBe(used);
      expect(m.stages_note).toContain(left ? `fitted through ${used} of ${used + left} estimates; ${left} unreadable left out (a chain flagged, λ̂ ≤ 0, chains disagreeing or not relaxed)` : `fitted through all ${used} estimates`);
      const llc = experimentCharts(m).find((c) => c.file === 'llc')!.spec as { title: { subtitle: string[] } };
      expect(llc.title.subtitle.join(' ')).toContain(`stage boundaries (dashed): target all, ${m.stages_fit}`);
    }
  });
});
