/** `sortscope import` records where the weights came from by file name only (docs/artifacts.md: no absolute paths). */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDirs } from '@sortscope/core/testing';
import { readCheckpoints } from '@sortscope/train';
import { ARENA_WEIGHTS } from '@sortscope/model/testing';
import { describe, expect, it } from 'vitest';
import { importCommand } from './weights-commands.ts';

const tmp = useTempDirs('weights-commands');

describe('sortscope import', () => {
  it("records the weights file's name and hash, not its absolute path", async () => {
    const dir = tmp();
    const weights = join(dir, 'model.safetensors');
    copyFileSync(ARENA_WEIGHTS, weights);
    const out = join(dir, 'imported.arrow');
    const code = await importCommand.run({ globals: { weights, out, quiet: true }, overrides: {}, positionals: [], help: false }, dir);
    expect(code).toBe(0);
    const meta = readCheckpoints(out).meta;
    expect(meta.extra.imported_from).toBe('model.safetensors');
    expect(JSON.stringify(meta)).not.toContain(dir);
    expect(readFileSync(out).includes(Buffer.from(dir))).toBe(false);
  });
});

describe('export and eval on a file of a stage folder (#29 W68)', () => {
  it('refuse a checkpoints.arrow or final.safetensors changed since the manifest recorded it', async () => {
    const { writeManifest, ArtifactError } = await import('@sortscope/core');
    const { exportCommand } = await import('./weights-commands.ts');
    const dir = tmp();
    const weights = join(dir, 'model.safetensors');
    copyFileSync(ARENA_WEIGHTS, weights);
    expect(await importCommand.run({ globals: { weights, out: join(dir, 'checkpoints.arrow'), quiet: true }, overrides: {}, positionals: [], help: false }, dir)).toBe(0);
    writeManifest(dir, 'train', 'bbbbbbbbbbbbbbbb', {}); // the folder now looks like a finished train stage
    const run = () => exportCommand.run({ globals: { checkpoints: join(dir, 'checkpoints.arrow'), out: join(dir, 'out.safetensors'), quiet: true }, overrides: {}, positionals: [], help: false }, dir);
    expect(await run()).toBe(0);
    const bytes = readFileSync(join(dir, 'checkpoints.arrow'));
    bytes[bytes.length - 40] ^= 1;
    writeFileSync(join(dir, 'checkpoints.arrow'), bytes);
    await expect(run()).rejects.toThrow(ArtifactError);
    await expect(run()).rejects.toThrow(/checkpoints\.arrow was changed after the train stage wrote it/);
    const { loadWeights } = await import('@sortscope/model');
    expect(() => loadWeights(weights)).not.toThrow();
    const w = readFileSync(weights);
    w[w.length - 4] ^= 1;
    writeFileSync(weights, w);
    expect(() => loadWeights(weights)).toThrow(/model\.safetensors was changed after the train stage wrote it/);
  });
});
