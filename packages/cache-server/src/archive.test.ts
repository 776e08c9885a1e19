import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { archiveProblem } from './archive.ts';
import { tarGz } from './testing.ts';

const tmp = useTempDirs('archive');
const file = (bytes: Buffer) => {
  const p = join(tmp(), 'entry');
  writeFileSync(p, bytes);
  return p;
};

describe('archiveProblem', () => {
  it('accepts a gzip tar archive, with entries of any size', async () => {
    expect(await archiveProblem(file(tarGz({ 'a/out/result.txt': 'computed', 'b.bin': randomBytes(70_000), empty: '' })))).toBeUndefined();
  });

  it('refuses what the Nx client could not unpack: not gzip, gzip of non-tar, a cut-short archive, an empty gzip', async () => {
    expect(await archiveProblem(file(Buffer.from('first')))).toMatch(/^not gzip data/);
    expect(await archiveProblem(file(gzipSync(randomBytes(2048))))).toMatch(/bad checksum \(not a tar archive\)/);
    const whole = gzipSync(Buffer.concat([Buffer.from(tarGzPlain()), Buffer.alloc(0)]));
    expect(await archiveProblem(file(whole))).toBeUndefined();
    const cut = gzipSync(tarGzPlain().subarray(0, 700)); // a header and part of its data
    expect(await archiveProblem(file(cut))).toBe('the tar archive is cut short');
    expect(await archiveProblem(file(gzipSync(Buffer.alloc(0))))).toBe('it holds no tar blocks');
    const truncatedGzip = tarGz({ x: randomBytes(5000) });
    expect(await archiveProblem(file(truncatedGzip.subarray(0, truncatedGzip.length - 30)))).toMatch(/not gzip data|cut short/);
  });
});

/** The plain tar inside tarGz's output. */
function tarGzPlain(): Buffer {
  return gunzipSync(tarGz({ 'f.txt': randomBytes(1000) }));
}
