/**
 * Lineage: a finished folder verifies; every way of feeding a stage something it did not compute
 * from — a changed file, a file copied from another run, a folder of another key or stage, a
 * missing or damaged manifest, an upstream folder changed since — is refused with a message that
 * names the file and how to regenerate it.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from './errors.ts';
import { checkRecordedHash, clearManifest, completeStagedResult, MANIFEST, STAGED, verifyStageDir, writeManifest } from './lineage.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('lineage');

function folder(root: string, stage: string, key: string, files: Record<string, string>): string {
  const dir = join(root, stage, key);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('stage folder lineage', () => {
  it('records every file and its inputs, and a finished folder verifies', () => {
    const root = tmp();
    const ds = folder(root, 'dataset', 'aaaaaaaaaaaaaaaa', { 'train.arrow': 'T', 'validation.arrow': 'V' });
    writeManifest(ds, 'dataset', 'aaaaaaaaaaaaaaaa', {});
    const tr = folder(root, 'train', 'bbbbbbbbbbbbbbbb', { 'checkpoints.arrow': 'C', '.lock': 'x', '.c.tmp-1-abc': 'y' });
    const m = writeManifest(tr, 'train', 'bbbbbbbbbbbbbbbb', { dataset: ds });
    expect(Object.keys(m.files)).toEqual(['checkpoints.arrow']);
    expect(m.inputs.dataset.key).toBe('aaaaaaaaaaaaaaaa');
    expect(() => verifyStageDir(tr, 'train', { upstreamDirs: { dataset: ds } })).not.toThrow();
  });

  it('refuses a changed file, a file copied from another run, another key or stage, and a missing or damaged manifest', () => {
    const root = tmp();
    const a = folder(root, 'dataset', 'aaaaaaaaaaaaaaaa', { 'train.arrow': 'T', 'validation.arrow': 'V' });
    writeManifest(a, 'dataset', 'aaaaaaaaaaaaaaaa', {});
    const b = folder(root, 'dataset', 'cccccccccccccccc', { 'train.arrow': 'T2', 'validation.arrow': 'V2' });
    writeManifest(b, 'dataset', 'cccccccccccccccc', {});

    copyFileSync(join(a, 'validation.arrow'), join(a, 'train.arrow'));
    expect(() => verifyStageDir(a, 'dataset')).toThrow(/train\.arrow was changed after the dataset stage wrote it \(sha256 [0-9a-f]{12}… recorded, [0-9a-f]{12}… now\)/);
    writeFileSync(join(a, 'train.arrow'), 'T');
    copyFileSync(join(b, 'train.arrow'), join(a, 'train.arrow'));
    expect(() => verifyStageDir(a, 'dataset')).toThrow(ArtifactError);
    writeFileSync(join(a, 'train.arrow'), 'T');
    expect(() => verifyStageDir(a, 'dataset')).not.toThrow();

    const moved = join(root, 'dataset', 'dddddddddddddddd');
    mkdirSync(moved);
    for (const f of ['train.arrow', 'validation.arrow', MANIFEST]) copyFileSync(join(a, f), join(moved, f));
    expect(() => verifyStageDir(moved, 'dataset')).toThrow(/holds the artifacts of dataset aaaaaaaaaaaaaaaa, not of dddddddddddddddd/);
    expect(() => verifyStageDir(a, 'train')).toThrow(/holds dataset artifacts, expected train/);

    writeFileSync(join(a, MANIFEST), '{"stage": "dataset", "key"');
    expect(() => verifyStageDir(a, 'dataset')).toThrow(/manifest\.json is not valid JSON/);
    writeFileSync(join(a, MANIFEST), '[1, 2]');
    expect(() => verifyStageDir(a, 'dataset')).toThrow(/is not a sortscope manifest/);
    clearManifest(a);
    expect(() => verifyStageDir(a, 'dataset', { regenerate: 'npx sortscope dataset --config e.json' })).toThrow(
      /has no manifest\.json: the dataset stage did not finish there .*rerun it: npx sortscope dataset --config e\.json/,
    );
    expect(() => verifyStageDir(join(root, 'nope'), 'dataset')).toThrow(/does not exist/);
  });

  it('records the experiment that ran the stage without making it part of the lineage', () => {
    const root = tmp();
    const ds = folder(root, 'dataset', 'aaaaaaaaaaaaaaaa', { 'train.arrow': 'T' });
    writeManifest(ds, 'dataset', 'aaaaaaaaaaaaaaaa', {}, 'baseline');
    const tr = folder(root, 'train', 'bbbbbbbbbbbbbbbb', { 'checkpoints.arrow': 'C' });
    expect(writeManifest(tr, 'train', 'bbbbbbbbbbbbbbbb', { dataset: ds }, 'baseline').experiment).toBe('baseline');
    // the same dataset recomputed by another experiment: identical files, so the train folder still verifies
    writeManifest(ds, 'dataset', 'aaaaaaaaaaaaaaaa', {}, 'noise/permute-p=1');
    expect(() => verifyStageDir(tr, 'train', { upstreamDirs: { dataset: ds } })).not.toThrow();
  });

  it('refuses a folder computed from an upstream folder that has changed since', () => {
    const root = tmp();
    const ds = folder(root, 'dataset', 'aaaaaaaaaaaaaaaa', { 'train.arrow': 'T' });
    writeManifest(ds, 'dataset', 'aaaaaaaaaaaaaaaa', {});
    const tr = folder(root, 'train', 'bbbbbbbbbbbbbbbb', { 'checkpoints.arrow': 'C' });
    writeManifest(tr, 'train', 'bbbbbbbbbbbbbbbb', { dataset: ds });
    writeFileSync(join(ds, 'train.arrow'), 'T, regenerated differently');
    writeManifest(ds, 'dataset', 'aaaaaaaaaaaaaaaa', {});
    expect(() => verifyStageDir(ds, 'dataset')).not.toThrow();
    expect(() => verifyStageDir(tr, 'train', { upstreamDirs: { dataset: ds } })).toThrow(/was computed from dataset aaaaaaaaaaaaaaaa as it was then, but .* now holds other artifacts/);
  });

  it('completeStagedResult swaps a complete staged result in, removes what it no longer lists, and completes a swap cut short', () => {
    const root = tmp();
    const d = folder(root, 'train', 'bbbbbbbbbbbbbbbb', { 'a.arrow': 'old A', 'b.arrow': 'old B', 'gone.arrow': 'old' });
    writeManifest(d, 'train', 'bbbbbbbbbbbbbbbb', {});
    const next = join(d, STAGED);
    mkdirSync(next);
    writeFileSync(join(next, 'a.arrow'), 'new A');
    writeFileSync(join(next, 'b.arrow'), 'new B');
    expect(completeStagedResult(d)).toBe(false); // no manifest yet: a rerun in progress, left alone
    expect(readFileSync(join(d, 'a.arrow'), 'utf8')).toBe('old A');
    writeManifest(next, 'train', 'bbbbbbbbbbbbbbbb', {});
    // a crash after the first file moved: no manifest in d, a.arrow already new
    const staged = readFileSync(join(next, MANIFEST), 'utf8');
    clearManifest(d);
    renameSync(join(next, 'a.arrow'), join(d, 'a.arrow'));
    expect(() => verifyStageDir(d, 'train')).toThrow(ArtifactError);
    expect(completeStagedResult(d)).toBe(true);
    expect(readFileSync(join(d, 'b.arrow'), 'utf8')).toBe('new B');
    expect(existsSync(join(d, 'gone.arrow'))).toBe(false);
    expect(existsSync(next)).toBe(false);
    expect(readFileSync(join(d, MANIFEST), 'utf8')).toBe(staged);
    expect(Object.keys(verifyStageDir(d, 'train').files)).toEqual(['a.arrow', 'b.arrow']);
  });
});

describe('checkRecordedHash (a file given on the command line, #29 W68)', () => {
  it("refuses a file of a stage folder that no longer matches its manifest; passes files outside stage folders or not listed", () => {
    const tr = tmp();
    writeFileSync(join(tr, 'checkpoints.arrow'), 'the checkpoints');
    writeManifest(tr, 'train', 'bbbbbbbbbbbbbbbb', {});
    writeFileSync(join(tr, 'mine.safetensors'), 'a user file beside it'); // not listed: not checked
    expect(() => checkRecordedHash(join(tr, 'checkpoints.arrow'))).not.toThrow();
    expect(() => checkRecordedHash(join(tr, 'mine.safetensors'))).not.toThrow();
    const outside = tmp();
    writeFileSync(join(outside, 'checkpoints.arrow'), 'anything');
    expect(() => checkRecordedHash(join(outside, 'checkpoints.arrow'))).not.toThrow();
    writeFileSync(join(tr, 'checkpoints.arrow'), 'the checkpoints, damaged');
    expect(() => checkRecordedHash(join(tr, 'checkpoints.arrow'))).toThrow(ArtifactError);
    expect(() => checkRecordedHash(join(tr, 'checkpoints.arrow'))).toThrow(/checkpoints\.arrow was changed after the train stage wrote it .*--skip-nx-cache/);
    // the bytes a caller already read are what is checked
    expect(() => checkRecordedHash(join(tr, 'checkpoints.arrow'), Buffer.from('the checkpoints'))).not.toThrow();
  });
});
