import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArtifactError, writeArtifact, tableOf, numberVector } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { generateDataset } from './dataset.ts';
import { readSplit, SPLIT_KIND } from './io.ts';
import { runDatasetStage, splitFile } from './stage.ts';
import { config } from './testing.ts';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('ds');

describe('dataset artifacts', () => {
  it('round-trip every column and the metadata', () => {
    const dir = tmp();
    const c = config({ noise: { kind: 'replace-sorted', p: 0.3, k: 1 } });
    const { summary } = runDatasetStage(c, dir, { quiet: true });
    const train = readSplit(splitFile(dir, 'train'));
    expect(train.name).toBe('train');
    expect(train.rows).toBe(2000);
    expect(train.config).toEqual(c);
    expect(train.vocab.seq_len).toBe(21);
    expect(train.bayes).toEqual(summary.bayes_loss);
    expect(train.changed.some((x) => x === 1)).toBe(true);
    // the same numbers as generating in memory
    const mem = generateDataset(c);
    expect(train.tokens).toEqual(mem.splits.train.tokens);
    expect(train.clean).toEqual(mem.splits.train.clean);
    expect(train.noiseApplied).toEqual(mem.splits.train.noiseApplied);
    expect(train.changed).toEqual(mem.splits.train.changed);
    const test = readSplit(splitFile(dir, 'test'));
    expect(test.bayes.mean).toBe(0);
  });

  it('refuses a split file copied over another (validation.arrow as train.arrow)', () => {
    const dir = tmp();
    runDatasetStage(config({}), dir, { quiet: true });
    copyFileSync(splitFile(dir, 'validation'), splitFile(dir, 'train'));
    expect(() => readSplit(splitFile(dir, 'train'))).toThrow(/train\.arrow holds the validation split, not train \(a file copied over another\?\)/);
    expect(readSplit(splitFile(dir, 'validation')).name).toBe('validation');
  });

  it('writes byte-identical files for the same config and seed', () => {
    const a = tmp();
    const b = tmp();
    runDatasetStage(config({ noise: { kind: 'token', p: 0.1 } }), a, { quiet: true });
    runDatasetStage(config({ noise: { kind: 'token', p: 0.1 } }), b, { quiet: true });
    for (const s of ['train', 'validation', 'test']) expect(readFileSync(splitFile(a, s)).equals(readFileSync(splitFile(b, s)))).toBe(true);
  });

  it('refuses an artifact of another schema version', () => {
    const dir = tmp();
    const path = join(dir, 'train.arrow');
    writeArtifact(path, tableOf({ x: numberVector(Int32Array.from([1])) }), {
      kind: SPLIT_KIND, schemaVersion: 0, stage: 'dataset', stageVersion: '0', config: {}, seed: 0, inputs: {}, extra: {},
    });
    expect(() => readSplit(path)).toThrow(ArtifactError);
    expect(() => readSplit(path)).toThrow(/artifact v0 .*expected 'dataset\/split' v1; regenerate it with: npx sortscope dataset/);
  });
});
