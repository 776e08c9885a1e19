/**
 * The shipped engine.wasm is the build of the current sources (../../fused-src): build.sh stores
 * the SHA-256 of the sources and of the .wasm in engine.wasm.json; after editing a source,
 * `npm run build:fused -w @sortscope/engine` (needs clang and lld) refreshes both.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceHash } from '../../fused-src/hash.mjs';

const SRC = join(import.meta.dirname, '../../fused-src');

describe('engine.wasm', () => {
  const meta = JSON.parse(readFileSync(join(import.meta.dirname, 'engine.wasm.json'), 'utf8')) as { source_sha256: string; wasm_sha256: string };

  it('was built from the current sources (else: npm run build:fused -w @sortscope/engine)', () => {
    expect(sourceHash(SRC)).toBe(meta.source_sha256);
  });

  it('is the file that build recorded', () => {
    expect(createHash('sha256').update(readFileSync(join(import.meta.dirname, 'engine.wasm'))).digest('hex')).toBe(meta.wasm_sha256);
  });
});
