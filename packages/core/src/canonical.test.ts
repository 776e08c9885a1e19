import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashFile, hashJson, sha256Hex } from './canonical.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('canonical');

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('gives equal hashes for equal content whatever the key order', () => {
    expect(hashJson({ x: 1, y: [1, 2] })).toBe(hashJson({ y: [1, 2], x: 1 }));
    expect(hashJson({ x: 1 })).not.toBe(hashJson({ x: 2 }));
  });
  it('refuses values JSON cannot represent, naming where they are', () => {
    expect(() => canonicalJson({ a: { b: NaN } })).toThrow(/\$\.a\.b is NaN/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/\$\.f has type function/);
  });
});

describe('hashes', () => {
  it('sha256 of a known string', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('hashFile equals sha256 of the bytes', async () => {
    const path = join(tmp(), 'f.bin');
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    writeFileSync(path, bytes);
    expect(await hashFile(path)).toBe(sha256Hex(bytes));
  });
});
