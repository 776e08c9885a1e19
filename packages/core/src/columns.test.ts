import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { writeArtifact } from './artifact.ts';
import { optionalBoolVector, optionalFloat64ListVector, optionalFloat64Vector, optionalInt32Vector, optionalStringVector, readFixedSizeList, readNumbers, readStrings, tableOf } from './columns.ts';
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

  it('nullable fixed-size lists: null rows survive the file, the others keep their values', () => {
    const dir = tmp();
    const path = join(dir, 'l.arrow');
    const v = optionalFloat64ListVector([[1, 2, 3], null, [NaN, 0.5, -1]], 3);
    writeArtifact(path, tableOf({ per_position: v }), { kind: 'test/nulls', schemaVersion: 1, stage: 'train', stageVersion: '0', config: {}, seed: 0, inputs: {}, extra: {} });
    const t = tableFromIPC(readFileSync(path));
    expect(String(t.schema.fields[0].type)).toBe('FixedSizeList[3]<Float64>');
    expect(t.getChild('per_position')!.nullCount).toBe(1);
    expect(t.getChild('per_position')!.get(1)).toBeNull();
    expect([0, 1, 2].map((i) => t.getChild('per_position')!.isValid(i))).toEqual([true, false, true]);
    const flat = readFixedSizeList(t, 'per_position', 3, Float64Array);
    expect(Array.from(flat.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(flat.subarray(6))).toEqual([NaN, 0.5, -1]);
    // no null row: no bitmap, nullCount 0
    expect(optionalFloat64ListVector([[1], [2]], 1).nullCount).toBe(0);
    expect(() => optionalFloat64ListVector([[1, 2]], 3)).toThrow(/row 0 has 2 values, expected 3/);
  });
});
