import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('atomic');

describe('writeFileAtomic', () => {
  it('writes the bytes, creates the folder and leaves no temporary file', () => {
    const dir = join(tmp(), 'a', 'b');
    writeFileAtomic(join(dir, 'x.bin'), new Uint8Array([1, 2, 3]));
    expect([...readFileSync(join(dir, 'x.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['x.bin']);
  });

  it('keeps the old file when the write fails, and cleans up', () => {
    const dir = tmp();
    const path = join(dir, 'x.txt');
    writeFileSync(path, 'old');
    // a directory where the rename target must go makes the rename fail after the temp file is written
    const blocked = join(dir, 'sub');
    writeFileAtomic(join(blocked, 'keep'), 'k');
    expect(() => writeFileAtomic(blocked, 'new')).toThrow();
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['sub', 'x.txt']);
    expect(existsSync(join(blocked, 'keep'))).toBe(true);
  });
});
