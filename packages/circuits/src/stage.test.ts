/**
 * The stage end to end on a small synthetic training run (3 checkpoints of a random model and a
 * 40-sequence validation split): the four artifacts, their metadata and row counts, agreement with
 * the in-memory analysis, byte-identical outputs across runs and across worker counts; and
 * `circuitsOfWeights` on the ARENA fixture.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '@sortscope/core';
import { DatasetConfigSchema, readSplit, runDatasetStage, splitFile } from '@sortscope/dataset';
import { createEngine } from '@sortscope/engine';
import { readCheckpoints, TRAIN_FILES } from '@sortscope/train';
import { ARENA_EVAL, ARENA_WEIGHTS } from '@sortscope/model/testing';
import { analyseCheckpoint } from './analyse.ts';
import { CIRCUITS_FILES, readAttention, readMatrices, readMeasures, readSpecialisation } from './io.ts';
import { CircuitsConfigSchema } from './schema.ts';
import { circuitsOfWeights, runCircuitsStage } from './stage.ts';
import { makeRunDirs, type RunDirs } from './testing.ts';

const config = CircuitsConfigSchema.parse({ null_samples: 30, edge_tokens: 1, ablation_rows: 24, probe_rows: 16, batch_size: 16, seed: 5 });
const ARTIFACTS = ['matrices', 'measures', 'specialisation', 'attention'] as const;
let root: string;
let dirs: RunDirs;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'circuits-stage-'));
  dirs = makeRunDirs(root, { checkpoints: 3, model: 'small', validationRows: 40 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (out: string, workers: number) => runCircuitsStage(config, { outDir: join(root, out), trainDir: dirs.trainDir, datasetDir: dirs.datasetDir, quiet: true, backend: 'wasm', workers });
const bytes = (out: string, k: (typeof ARTIFACTS)[number]) => readFileSync(join(root, out, CIRCUITS_FILES[k]));

describe('circuits stage', () => {
  it('writes the four artifacts with the contract metadata and the documented rows', async () => {
    const { files, summary } = await run('a', 0);
    for (const k of ARTIFACTS) expect(files[k]).toBe(join(root, 'a', CIRCUITS_FILES[k]));
    expect(existsSync(join(root, 'a', CIRCUITS_FILES.runInfo))).toBe(true);
    const { cfg, steps } = dirs;
    const m = readMatrices(files.matrices);
    const inputs = { checkpoints: readCheckpoints(join(dirs.trainDir, TRAIN_FILES.checkpoints)).sha256, validation: readSplit(splitFile(dirs.datasetDir, 'validation')).sha256 };
    expect(m.meta.inputs).toEqual(inputs);
    expect(m.meta.config).toEqual(config);
    expect(m.meta.seed).toBe(5);
    expect(m.meta.stage).toBe('circuits');
    expect(m.meta.extra).toMatchObject({ model: cfg, steps, engine: 'fused-wasm', rows: { ablation_rows: 24, probe_rows: 16 }, specialisation_convention: 'raw-normalised' });
    expect(Object.keys(m.meta.extra.conventions as object)).toEqual(['folded', 'raw-normalised']);
    expect(m.meta.extra.token_sets).toEqual({ all: [0, 10], inner: [1, 9], sep: 11 });
    // 3 checkpoints × 2 conventions × 2 heads × (12 QK + 12 OV + 8 QK_pos rows)
    expect(m.records).toHaveLength(3 * 2 * 2 * 3);
    expect(m.records.reduce((a, r) => a + r.matrix.rows, 0)).toBe(3 * 2 * 2 * 32);
    expect(readMeasures(files.measures).records).toHaveLength(3 * 2 * 2 * 3);
    expect(readSpecialisation(files.specialisation).records.map((r) => [r.step, r.head])).toEqual(steps.flatMap((s) => [[s, 0], [s, 1]]));
    expect(readAttention(files.attention).records).toHaveLength(3 * 2);
    expect(summary).toMatchObject({ checkpoints: 3, workers: 0, engine: 'fused-wasm', last_step: 20 });
    // the artifact holds what the in-memory analysis of each checkpoint gives
    const engine = await createEngine(cfg, { backend: 'wasm' }); // the stage's default choice
    const split = readSplit(splitFile(dirs.datasetDir, 'validation'));
    const direct = analyseCheckpoint(engine, cfg, dirs.params[1], { tokens: split.tokens.slice(0, 24 * 9), rows: 24 }, config);
    engine.dispose();
    const atStep = m.records.filter((r) => r.step === 10);
    direct.matrices.forEach((d, k) => expect(Array.from(atStep[k].matrix.data)).toEqual(Array.from(d.matrix.data, Math.fround)));
    expect(readMeasures(files.measures).records.filter((r) => r.step === 10).map(({ step, ...r }) => r)).toEqual(direct.measures);
    expect(readSpecialisation(files.specialisation).records.filter((r) => r.step === 10).map((r) => r.ablation_loss_increase)).toEqual(direct.specialisation.map((s) => s.ablation_loss_increase));
  });

  it('is byte-deterministic: a second run, and a run on 2 worker threads, write identical files', async () => {
    await run('b', 0);
    const { summary } = await run('c', 2);
    expect((summary as { workers: number }).workers).toBe(2);
    for (const k of ARTIFACTS) {
      expect(bytes('b', k).equals(bytes('a', k)), `${k}: second run`).toBe(true);
      expect(bytes('c', k).equals(bytes('a', k)), `${k}: 2 workers`).toBe(true);
    }
  });

  it('refuses a validation split of another vocabulary', async () => {
    const other = join(root, 'other-dataset');
    runDatasetStage(DatasetConfigSchema.parse({ list_length: 4, max_number: 20, n_train: 5, n_validation: 5, n_test: 0 }), other, { quiet: true });
    await expect(runCircuitsStage(config, { outDir: join(root, 'x'), trainDir: dirs.trainDir, datasetDir: other, quiet: true })).rejects.toThrowError(ShapeError);
  });
});

describe('circuitsOfWeights', () => {
  it('analyses the ARENA fixture on its evaluation file as plain JSON', async () => {
    const out = await circuitsOfWeights(CircuitsConfigSchema.parse({ null_samples: 20 }), { weightsPath: ARENA_WEIGHTS, dataPath: ARENA_EVAL, quiet: true, backend: 'wasm' });
    const json = JSON.parse(JSON.stringify(out));
    expect(json.rows).toEqual({ ablation_rows: 250, probe_rows: 200 });
    expect(json.specialisation.map((s: { copies_tokens: string }) => s.copies_tokens)).toEqual(['28-36', '0-27, 37-50']);
    expect(json.specialisation[0].ablation_loss_increase).toBeCloseTo(0.8968, 3);
    expect(json.specialisation[0].ov_diagonal).toHaveLength(51);
    expect(json.measures).toHaveLength(12);
    expect(json.measures.find((m: { circuit: string }) => m.circuit === 'QK_pos').all.ev).toBeNull();
    expect(json.attention[0].per_position).toHaveLength(10);
  });
});
