/** `sortscope import` records where the weights came from by file name only (docs/artifacts.md: no absolute paths). */
import { copyFileSync, readFileSync } from 'node:fs';
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
