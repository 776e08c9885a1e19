/**
 * Fixtures for tests (here and in the report stage): random models with non-trivial LayerNorm
 * weights and biases, a small training run's directories (checkpoints.arrow plus a dataset), and
 * the synthetic matrices docs/circuits.md measures.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@sortscope/core';
import { DatasetConfigSchema, runDatasetStage } from '@sortscope/dataset';
import { loadWeights, type ModelConfig, paramLayout } from '@sortscope/model';
import { TRAIN_FILES, writeCheckpoints } from '@sortscope/train';
import { ARENA_WEIGHTS } from '@sortscope/model/testing';
import { fromFn, type Matrix } from './matrix.ts';

/** A small model: 2 heads, d_model 16, lists of 4 numbers 0..10 (d_vocab 12). */
export const SMALL_CFG: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 16, d_head: 8, layer_norm: true, ln_eps: 1e-5, d_vocab: 12, n_ctx: 9, list_length: 4 };

/** Every parameter random: W_* ~ N(0, 0.5²), biases ~ N(0, 0.1²), LN weights 1 + N(0, 0.3²), LN biases N(0, 0.1²). */
export function randomParams(cfg: ModelConfig, seed: number): Float32Array {
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.size);
  const rng = Rng.derive(seed, 'circuits-test', 'params');
  for (const p of layout.params) {
    const v = params.subarray(p.offset, p.offset + p.size);
    const leaf = p.name.split('.').pop()!;
    if (leaf.startsWith('W_')) rng.fillNormal(v, 0.5);
    else if (leaf === 'w') for (let i = 0; i < v.length; i++) v[i] = 1 + 0.3 * rng.normal();
    else rng.fillNormal(v, 0.1);
  }
  return params;
}

export interface RunDirs {
  trainDir: string;
  datasetDir: string;
  cfg: ModelConfig;
  steps: number[];
  params: Float32Array[];
}

/**
 * A training run's directories under `root`: `checkpoints` parameter vectors (the ARENA fixture
 * with seeded perturbations of relative size `perturb`, or random small models) in
 * train/checkpoints.arrow, and a clean dataset with `validationRows` validation sequences.
 */
export function makeRunDirs(root: string, opts: { checkpoints: number; model: 'arena' | 'small'; validationRows: number; perturb?: number; seed?: number }): RunDirs {
  const seed = opts.seed ?? 0;
  let cfg: ModelConfig;
  let params: Float32Array[];
  if (opts.model === 'arena') {
    const w = loadWeights(ARENA_WEIGHTS);
    cfg = w.cfg;
    const scale = opts.perturb ?? 0.05;
    params = Array.from({ length: opts.checkpoints }, (_, i) => {
      const rng = Rng.derive(seed, 'circuits-test', 'perturb', i);
      return Float32Array.from(w.params, (x) => x * (1 + (i === opts.checkpoints - 1 ? 0 : scale * rng.normal())));
    });
  } else {
    cfg = SMALL_CFG;
    params = Array.from({ length: opts.checkpoints }, (_, i) => randomParams(cfg, seed * 1000 + i));
  }
  const trainDir = join(root, 'train');
  const datasetDir = join(root, 'dataset');
  mkdirSync(trainDir, { recursive: true });
  mkdirSync(datasetDir, { recursive: true });
  const steps = Array.from({ length: opts.checkpoints }, (_, i) => i * 10);
  const base = { stage: 'train', stageVersion: '1', config: { test: true }, seed, inputs: {}, extra: {} };
  writeCheckpoints(join(trainDir, TRAIN_FILES.checkpoints), cfg, steps, 100, params, base);
  const dataset = DatasetConfigSchema.parse({ list_length: cfg.list_length, max_number: cfg.d_vocab - 2, n_train: 10, n_validation: opts.validationRows, n_test: 0, seed });
  runDatasetStage(dataset, datasetDir, { quiet: true });
  return { trainDir, datasetDir, cfg, steps, params };
}

/** The synthetic circuits of docs/circuits.md, n × n (seeded). */
export function syntheticMatrices(n: number, seed = 0) {
  const rng = Rng.derive(seed, 'circuits-test', 'synthetic');
  const f = Float64Array.from({ length: 2 * n - 1 }, () => rng.normal()); // f(i − j)
  const toeplitz = fromFn(n, n, (i, j) => f[i - j + n - 1]);
  const random = fromFn(n, n, () => rng.normal());
  const perm = rng.permutation(n);
  const relabelled = fromFn(n, n, (i, j) => toeplitz.data[perm[i] * n + perm[j]]);
  const constant = fromFn(n, n, () => 3);
  // a copying band: positive on the diagonal, negative next to it, f(d) = exp(−d²/2) − 0.5·exp(−d²/8)
  const band = (i: number, j: number) => Math.exp(-((i - j) ** 2) / 2) - 0.5 * Math.exp(-((i - j) ** 2) / 8);
  const split = Math.floor(n / 2);
  const blockLow = fromFn(n, n, (i, j) => (i < split && j < split ? band(i, j) : 0));
  const blockHigh = fromFn(n, n, (i, j) => (i >= split && j >= split ? band(i, j) : 0));
  const bandFull = fromFn(n, n, band);
  return { toeplitz, random, relabelled, constant, bandFull, blockLow, blockHigh, split } satisfies Record<string, Matrix | number>;
}
