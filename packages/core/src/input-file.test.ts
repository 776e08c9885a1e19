import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from './errors.ts';
import { readInputFile } from './input-file.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('input-file');

describe('readInputFile', () => {
  it('reads a regular file; refuses a FIFO, a device and a folder at once instead of blocking', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'w.bin'), 'abc');
    expect(readInputFile(join(dir, 'w.bin'), '--weights').toString()).toBe('abc');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect(() => readInputFile(join(dir, 'pipe'), '--weights')).toThrow(/--weights .*pipe is a named pipe; expected a regular file/);
    expect(() => readInputFile('/dev/zero', '--data')).toThrow(/--data \/dev\/zero is a device; expected a regular file/);
    mkdirSync(join(dir, 'sub'));
    expect(() => readInputFile(join(dir, 'sub'), '--data')).toThrow(ArtifactError);
    expect(() => readInputFile(join(dir, 'nope'), '--data')).toThrow(/--data .*nope does not exist/);
  });

  it('refuses a file above the size limit before reading it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'big.u8'), new Uint8Array(100));
    expect(() => readInputFile(join(dir, 'big.u8'), '--data', 99)).toThrow(/big\.u8 is 100 bytes; at most 99 can be read/);
  });
});
