import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type ArtifactMeta, readArtifact, writeArtifact } from './artifact.ts';
import { sha256Hex } from './canonical.ts';
import {
  boolListVector, boolVector, fixedSizeListVector, numberVector, readBoolList, readFixedSizeList, readNumbers, readStrings, stringVector, tableOf,
} from './columns.ts';
import { ArtifactError } from './errors.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('artifact');

const meta: ArtifactMeta = {
  kind: 'test/thing',
  schemaVersion: 2,
  stage: 'dataset',
  stageVersion: '7',
  config: { b: 1, a: [1, 2] },
  seed: 42,
  inputs: { upstream: 'abc' },
  extra: { bayes_loss: { mean: 1.5, per_position: [1, 2] }, split: 'train' },
};

function sample() {
  const tokens = Uint8Array.from({ length: 3 * 4 }, (_, i) => (i * 7) % 52);
  const params = Float32Array.from({ length: 3 * 5 }, (_, i) => Math.sin(i) * 1e-3);
  const flags = Uint8Array.from([1, 0, 1]);
  const mask = Uint8Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const table = tableOf({
    tokens: fixedSizeListVector(tokens, 4),
    params: fixedSizeListVector(params, 5),
    flag: boolVector(flags),
    mask: boolListVector(mask, 4),
    step: numberVector(Int32Array.from([0, 10, 20])),
    name: stringVector(['a', 'b', 'c']),
  });
  return { tokens, params, flags, mask, table };
}

describe('artifacts', () => {
  it('refuses metadata that is not valid JSON with an ArtifactError naming the file and key', () => {
    const dir = tmp();
    const path = join(dir, 'x.arrow');
    const bytes = Buffer.from(readFileSync((writeArtifact(path, sample().table, meta), path)));
    // damage the config JSON in place (same length, so the file stays a readable Arrow file)
    const at = bytes.indexOf(Buffer.from('{"a":[1,2],"b":1}'));
    expect(at).toBeGreaterThan(0);
    bytes.write('{"a":[1,2],"b":1', at);
    bytes.write('!', at + 16);
    writeFileSync(path, bytes);
    expect(() => readArtifact(path, { kind: 'test/thing', schemaVersion: 2, regenerate: 'x' })).toThrow(ArtifactError);
    expect(() => readArtifact(path, { kind: 'test/thing', schemaVersion: 2, regenerate: 'x' })).toThrow(/x\.arrow: its 'sortscope\.config' metadata is not valid JSON/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips every column type and the metadata', () => {
    const dir = tmp();
    const path = join(dir, 'a.arrow');
    const s = sample();
    const sha = writeArtifact(path, s.table, meta);
    expect(sha).toBe(sha256Hex(readFileSync(path)));
    const { table, meta: back } = readArtifact(path, { kind: 'test/thing', schemaVersion: 2, regenerate: 'redo' });
    expect(readFixedSizeList(table, 'tokens', 4, Uint8Array)).toEqual(s.tokens);
    expect(readFixedSizeList(table, 'params', 5, Float32Array)).toEqual(s.params);
    expect(Uint8Array.from(readNumbers(table, 'flag'))).toEqual(s.flags);
    expect(readBoolList(table, 'mask', 4)).toEqual(s.mask);
    expect(Array.from(readNumbers(table, 'step'))).toEqual([0, 10, 20]);
    expect(readStrings(table, 'name')).toEqual(['a', 'b', 'c']);
    expect(back).toEqual({ ...meta, configHash: sha256Hex('{"a":[1,2],"b":1}') });
  });

  it('writes standard Arrow types (what pyarrow/pandas/polars read)', () => {
    const dir = tmp();
    const path = join(dir, 'a.arrow');
    writeArtifact(path, sample().table, meta);
    const t = tableFromIPC(readFileSync(path));
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'tokens:FixedSizeList[4]<Uint8>',
      'params:FixedSizeList[5]<Float32>',
      'flag:Bool',
      'mask:FixedSizeList[4]<Bool>',
      'step:Int32',
      'name:Utf8',
    ]);
    expect(t.schema.metadata.get('sortscope.config')).toBe('{"a":[1,2],"b":1}');
  });

  it('is byte-identical for the same content', () => {
    const dir = tmp();
    writeArtifact(join(dir, '1.arrow'), sample().table, meta);
    writeArtifact(join(dir, '2.arrow'), sample().table, meta);
    expect(readFileSync(join(dir, '1.arrow')).equals(readFileSync(join(dir, '2.arrow')))).toBe(true);
  });

  it('refuses another kind or version, saying how to regenerate', () => {
    const dir = tmp();
    const path = join(dir, 'a.arrow');
    writeArtifact(path, sample().table, meta);
    const read = (kind: string, v: number) => () => readArtifact(path, { kind, schemaVersion: v, regenerate: 'npx sortscope dataset --config e.json' });
    expect(read('test/thing', 3)).toThrow(ArtifactError);
    expect(read('test/thing', 3)).toThrow(/is a 'test\/thing' artifact v2 \(written by the dataset stage 7\), expected 'test\/thing' v3; regenerate it with: npx sortscope dataset --config e.json/);
    expect(read('other', 2)).toThrow(/expected 'other' v2/);
  });

  it('refuses missing, damaged and foreign files', () => {
    const dir = tmp();
    const exp = { kind: 'k', schemaVersion: 1, regenerate: 'redo it' };
    expect(() => readArtifact(join(dir, 'none.arrow'), exp)).toThrow(/does not exist; create it with: redo it/);
    writeFileSync(join(dir, 'bad.arrow'), 'not arrow at all');
    expect(() => readArtifact(join(dir, 'bad.arrow'), exp)).toThrow(/not a readable Arrow IPC file/);
    const full = readFileSync((() => { const p = join(dir, 'ok.arrow'); writeArtifact(p, sample().table, meta); return p; })());
    writeFileSync(join(dir, 'half.arrow'), full.subarray(0, full.length >> 1));
    expect(() => readArtifact(join(dir, 'half.arrow'), exp)).toThrow(ArtifactError);
  });
});
