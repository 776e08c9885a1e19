import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { writeArtifact } from './artifact.ts';
import { optionalBoolVector, optionalFloat64Vector, optionalInt32Vector, optionalStringVector, readNumbers, readStrings, tableOf } from './columns.ts';
import { ShapeError } from './errors.ts';
import { useTempDirs } from './testing.ts';

const tmp = useTempDirs('columns');

describe('optional (nullable) columns', () => {
  const table = () =>
    tableOf({
      x: optionalFloat64Vector([1.5, undefined, NaN, null]),
      n: optionalInt32Vector([3, undefined, -1, 0]),
      b: optionalBoolVector([true, undefined, false, null]),
      s: optionalStringVector(['canonical', undefined, '', null]),
    });

  it('writes "not applicable" as Arrow null, keeping a computed NaN and a real −1', () => {
    const dir = tmp();
    const path = join(dir, 'n.arrow');
    writeArtifact(path, table(), { kind: 'test/nulls', schemaVersion: 1, stage: 'llc', stageVersion: '0', config: {}, seed: 0, inputs: {}, extra: {} });
    const t = tableFromIPC(readFileSync(path));
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['x:Float64', 'n:Int32', 'b:Bool', 's:Utf8']);
    expect(t.getChild('x')!.nullCount).toBe(2);
    expect(t.getChild('n')!.nullCount).toBe(1);
    expect(t.getChild('b')!.nullCount).toBe(2);
    expect(t.getChild('s')!.nullCount).toBe(2);
    expect([...t.getChild('x')!]).toEqual([1.5, null, NaN, null]);
    expect([...t.getChild('n')!]).toEqual([3, null, -1, 0]);
    expect([...t.getChild('b')!]).toEqual([true, null, false, null]);
    expect([...t.getChild('s')!]).toEqual(['canonical', null, '', null]);
  });

  it('reads null as NaN (numbers, booleans) and as the empty string', () => {
    const t = table();
    expect(Array.from(readNumbers(t, 'x'))).toEqual([1.5, NaN, NaN, NaN]);
    expect(Array.from(readNumbers(t, 'n'))).toEqual([3, NaN, -1, 0]);
    expect(Array.from(readNumbers(t, 'b'))).toEqual([1, NaN, 0, NaN]);
    expect(readStrings(t, 's')).toEqual(['canonical', '', '', '']);
  });

  it('refuses a non-integer in an Int32 column', () => {
    expect(() => optionalInt32Vector([1, 2.5])).toThrow(ShapeError);
  });
});
