import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensors } from './safetensors.ts';
import { ARENA_WEIGHTS } from './testing.ts';
import { loadWeights, saveWeights } from './weights.ts';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('w');

describe('TransformerLens safetensors', () => {
  it('re-exports the ARENA checkpoint with the same names, shapes, dtypes, buffers and values', () => {
    const w = loadWeights(ARENA_WEIGHTS);
    const path = join(tmp(), 'out.safetensors');
    saveWeights(path, w.params, w.cfg);
    const orig = readSafetensors(ARENA_WEIGHTS);
    const back = readSafetensors(path);
    expect([...back.tensors.keys()]).toEqual([...orig.tensors.keys()]);
    for (const [name, t] of orig.tensors) {
      const b = back.tensors.get(name)!;
      expect({ name, dtype: b.dtype, shape: b.shape }).toEqual({ name, dtype: t.dtype, shape: t.shape });
      expect(Buffer.from(b.bytes).equals(Buffer.from(t.bytes))).toBe(true);
    }
    const again = loadWeights(path);
    expect(again.params).toEqual(w.params);
    expect(again.cfg).toEqual(w.cfg);
  });

  it('refuses truncated or inconsistent files with a reason', () => {
    const bytes = new Uint8Array(readFileSync(ARENA_WEIGHTS));
    expect(() => parseSafetensors(bytes.subarray(0, 4), 'x')).toThrow(/shorter than its 8-byte header/);
    expect(() => parseSafetensors(bytes.subarray(0, 1000), 'x')).toThrow(/header length \d+ exceeds the \d+ bytes after the 8-byte length|not JSON/);
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 10), 'x')).toThrow(/tensor 'unembed\.b_U': data_offsets \[198973, 199181\] are out of range/);
  });
});
