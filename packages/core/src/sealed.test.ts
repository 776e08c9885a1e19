import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSealed, removeSealed, sealFile, sealWritten, writeSealed } from './sealed.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('sealed');

describe('sealed files', () => {
  it('a sealed file checks; one changed byte, a missing seal or a missing file does not', () => {
    const dir = tmp();
    const f = join(dir, 'x.json');
    writeSealed(f, '{"a": 1.25}');
    expect(checkSealed(f)).toBeNull();
    writeFileSync(f, '{"a": 1.26}'); // still parses
    expect(checkSealed(f)).toMatch(/x\.json was changed after it was written \(sha256 [0-9a-f]{12}… recorded, [0-9a-f]{12}… now\)/);
    writeSealed(f, '{"a": 1.25}');
    rmSync(sealFile(f));
    expect(checkSealed(f)).toMatch(/x\.json has no x\.json\.sha256/);
    removeSealed(f);
    expect(existsSync(f)).toBe(false);
    expect(checkSealed(f)).toMatch(/x\.json is missing/);
  });

  it('sealWritten seals what is on disk', () => {
    const dir = tmp();
    const f = join(dir, 'y.bin');
    writeFileSync(f, Uint8Array.from([1, 2, 3]));
    sealWritten(f);
    expect(readFileSync(sealFile(f), 'utf8')).toBe('039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81\n');
    expect(checkSealed(f)).toBeNull();
  });
});
