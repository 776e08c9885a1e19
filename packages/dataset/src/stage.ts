/**
 * The dataset stage's declaration and its thin I/O wrapper: generate, then write
 * artifacts/dataset/<key>/{train,validation,test}.arrow atomically.
 */
import { join } from 'node:path';
import { log } from '@sortscope/core';
import { generateDataset, SPLITS } from './dataset.ts';
import { splitMeta, writeSplit } from './io.ts';
import { type DatasetConfig, DatasetConfigSchema, datasetStage } from './schema.ts';

export { datasetStage };

export const splitFile = (dir: string, split: string): string => join(dir, `${split}.arrow`);

export interface DatasetRunResult {
  files: Record<string, string>;
  summary: Record<string, unknown>;
}

export function runDatasetStage(config: DatasetConfig, outDir: string, opts: { quiet?: boolean } = {}): DatasetRunResult {
  const t0 = performance.now();
  const result = generateDataset(config);
  const files: Record<string, string> = {};
  for (const name of SPLITS) {
    const path = splitFile(outDir, name);
    const meta = splitMeta(result, name, { stage: datasetStage.name, stageVersion: datasetStage.version, config, seed: config.seed, inputs: {} });
    writeSplit(path, result.splits[name], result.vocab, meta);
    files[name] = path;
  }
  const seconds = (performance.now() - t0) / 1000;
  const train = result.facts.train;
  log(
    `dataset: ${config.n_train} train / ${config.n_validation} validation / ${config.n_test} test sequences in ${seconds.toFixed(2)}s → ${outDir}\n` +
      `  noise ${config.noise.kind}: ${train.noise.rows_selected} train rows selected (${(100 * train.noise.fraction_rows_selected).toFixed(2)}%), ` +
      `${(100 * train.noise.fraction_output_tokens_changed).toFixed(2)}% of output tokens changed\n` +
      `  Bayes loss (${result.bayes.method}): ${result.bayes.mean === null ? 'unavailable' : result.bayes.mean.toFixed(4)} nats/token\n` +
      (train.gaps.mean === null || train.gaps.mean === undefined
        ? `  adjacent gaps (train): none (lists of ${config.list_length} number${config.list_length === 1 ? '' : 's'} have no adjacent pairs)`
        : `  adjacent gaps (train): mean ${train.gaps.mean.toFixed(3)} std ${train.gaps.std?.toFixed(3)} range ${train.gaps.min}..${train.gaps.max}`),
    opts.quiet,
  );
  return {
    files,
    summary: {
      seconds,
      bayes_loss: result.bayes,
      gap_tilt: result.tilt,
      facts: result.facts,
    },
  };
}
