/**
 * Fixtures for the report's tests (and the CLI's): a tiny but real study — every stage run by its
 * own package with small settings (lists of 4 numbers from 0..15, a 2-head d_model-16 model, 100
 * training steps, short SGLD chains) — for a clean and a token-noise experiment. Takes
 * ~10–30 s; tests share one through vitest's globalSetup (test-setup.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CircuitsConfigSchema, runCircuitsStage } from '@sortscope/circuits';
import { writeManifest } from '@sortscope/core';
import { DatasetConfigSchema, runDatasetStage } from '@sortscope/dataset';
import { LlcConfigSchema, runLlcStage } from '@sortscope/llc';
import { runTrainStage, TrainConfigSchema } from '@sortscope/train';
import type { ReportExperiment } from './load.ts';

export { gifInfo, pngInfo } from './image-info.ts';

export const TINY = {
  dataset: { list_length: 4, max_number: 15, n_train: 800, n_validation: 80, n_test: 0 },
  train: { model: { d_model: 16, d_head: 8 }, lr: 0.02, lr_end: 0.002, batch_size: 32, epochs: 4, log_every: 2, checkpoints: { log_spaced: 10, linear: 4 }, eval: { validation_rows: 80, train_rows: 80 } },
  circuits: { null_samples: 20, ablation_rows: 40, probe_rows: 40 },
  llc: { epsilon: 1e-4, gamma: 1000, batch_size: 32, chains: 2, draws: 12, checkpoints: { every: 1 }, targets: [{ kind: 'all' }, { kind: 'head', head: 1 }] },
} as const;

export const TINY_EXPERIMENTS = [
  { name: 'clean', description: 'Tiny clean run (test fixture).', noise: { kind: 'none' } },
  { name: 'token-noise', description: 'Tiny run with token noise p = 0.3 (test fixture).', noise: { kind: 'token', p: 0.3 } },
] as const;

/** Run dataset → train → circuits → llc for each tiny experiment under `root`. */
export async function makeReportWorkspace(root: string): Promise<ReportExperiment[]> {
  const out: ReportExperiment[] = [];
  for (const e of TINY_EXPERIMENTS) {
    const dirs = Object.fromEntries(['dataset', 'train', 'circuits', 'llc'].map((s) => [s, join(root, 'artifacts', s, e.name)])) as Required<ReportExperiment['dirs']>;
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    runDatasetStage(DatasetConfigSchema.parse({ ...TINY.dataset, noise: e.noise }), dirs.dataset, { quiet: true });
    await runTrainStage(TrainConfigSchema.parse(TINY.train), { outDir: dirs.train, datasetDir: dirs.dataset, quiet: true, backend: 'wasm' });
    await runCircuitsStage(CircuitsConfigSchema.parse(TINY.circuits), { outDir: dirs.circuits, trainDir: dirs.train, datasetDir: dirs.dataset, quiet: true, backend: 'wasm', workers: 0 });
    await runLlcStage(LlcConfigSchema.parse(TINY.llc), { outDir: dirs.llc, trainDir: dirs.train, datasetDir: dirs.dataset, quiet: true, backend: 'wasm', workers: 1 });
    // the manifests the CLI writes after each stage (core/lineage.ts), so the report reads these folders
    writeManifest(dirs.dataset, 'dataset', e.name, {});
    writeManifest(dirs.train, 'train', e.name, { dataset: dirs.dataset });
    for (const s of ['circuits', 'llc'] as const) writeManifest(dirs[s], s, e.name, { dataset: dirs.dataset, train: dirs.train });
    out.push({ name: e.name, description: e.description, dirs });
  }
  return out;
}
