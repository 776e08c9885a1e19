/**
 * Building and reading the standard Arrow column types our artifacts use, so that pyarrow,
 * pandas and polars read them directly: fixed-size lists of numbers (token rows, flat parameter
 * vectors, circuit matrix rows), booleans, and primitive numbers and strings.
 */
import {
  Bool, type DataType, Field, FixedSizeList, Float32, Float64, Int32, makeData, makeVector, Table, Uint8, Uint16, Utf8, vectorFromArray, type Vector,
} from 'apache-arrow';
import { ShapeError } from './errors.ts';

type NumArray = Uint8Array | Uint16Array | Int32Array | Float32Array | Float64Array;

function childTypeOf(values: NumArray): DataType {
  if (values instanceof Uint8Array) return new Uint8();
  if (values instanceof Uint16Array) return new Uint16();
  if (values instanceof Int32Array) return new Int32();
  if (values instanceof Float32Array) return new Float32();
  return new Float64();
}

/** A FixedSizeList<T>[listSize] column from a row-major flat array of length rows × listSize. */
export function fixedSizeListVector(values: NumArray, listSize: number): Vector {
  if (listSize < 1 || values.length % listSize !== 0) {
    throw new ShapeError(`fixedSizeListVector: ${values.length} values do not split into rows of ${listSize}`);
  }
  const childType = childTypeOf(values);
  const child = makeData({ type: childType, length: values.length, nullCount: 0, data: values } as never);
  const type = new FixedSizeList(listSize, new Field('item', childType, false));
  return makeVector(makeData({ type, length: values.length / listSize, nullCount: 0, child }));
}

/** A FixedSizeList<Bool>[listSize] column from 0/1 bytes. */
export function boolListVector(bits: Uint8Array, listSize: number): Vector {
  if (bits.length % listSize !== 0) throw new ShapeError(`boolListVector: ${bits.length} flags do not split into rows of ${listSize}`);
  const child = makeData({ type: new Bool(), length: bits.length, nullCount: 0, data: packBits(bits) });
  const type = new FixedSizeList(listSize, new Field('item', new Bool(), false));
  return makeVector(makeData({ type, length: bits.length / listSize, nullCount: 0, child }));
}

export function boolVector(bits: Uint8Array): Vector {
  return makeVector(makeData({ type: new Bool(), length: bits.length, nullCount: 0, data: packBits(bits) }));
}

export function numberVector(values: NumArray): Vector {
  return makeVector(values as never);
}

export function stringVector(values: string[]): Vector {
  return vectorFromArray(values, new Utf8());
}

/**
 * Nullable columns for values that do not apply to a row (a relaxation that was not run, a
 * sampler setting another method has no use for): `undefined` or `null` is written as Arrow null,
 * which pyarrow, pandas and polars read as null/None, not as a NaN or a −1 sentinel. A NaN that was
 * computed stays NaN. `readNumbers` reads null as NaN and `readStrings` as ''.
 */
export function optionalFloat64Vector(values: ReadonlyArray<number | null | undefined>): Vector {
  return vectorFromArray(values.map((v) => v ?? null), new Float64());
}

export function optionalInt32Vector(values: ReadonlyArray<number | null | undefined>): Vector {
  for (const v of values) {
    if (v != null && !Number.isInteger(v)) throw new ShapeError(`optionalInt32Vector: ${v} is not an integer`);
  }
  return vectorFromArray(values.map((v) => v ?? null), new Int32());
}

export function optionalBoolVector(values: ReadonlyArray<boolean | null | undefined>): Vector {
  return vectorFromArray(values.map((v) => v ?? null), new Bool());
}

export function optionalStringVector(values: ReadonlyArray<string | null | undefined>): Vector {
  return vectorFromArray(values.map((v) => v ?? null), new Utf8());
}

/**
 * A nullable FixedSizeList<float64>[listSize] column: a row given as null (a set that does not apply,
 * e.g. the noisy rows of clean data) is an Arrow null row; its child slots hold 0 and are not read.
 */
export function optionalFloat64ListVector(rows: ReadonlyArray<ArrayLike<number> | null | undefined>, listSize: number): Vector {
  const values = new Float64Array(rows.length * listSize);
  const valid = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    if (r == null) return;
    if (r.length !== listSize) throw new ShapeError(`optionalFloat64ListVector: row ${i} has ${r.length} values, expected ${listSize}`);
    values.set(r, i * listSize);
    valid[i] = 1;
  });
  const nulls = rows.length - valid.reduce((s, v) => s + v, 0);
  const child = makeData({ type: new Float64(), length: values.length, nullCount: 0, data: values });
  const type = new FixedSizeList(listSize, new Field('item', new Float64(), false));
  return makeVector(makeData({ type, length: rows.length, nullCount: nulls, nullBitmap: nulls ? packBits(valid) : undefined, child }));
}

function packBits(bits: Uint8Array): Uint8Array {
  const packed = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) packed[i >> 3] |= 1 << (i & 7);
  return packed;
}

/** A table from named columns (in the given order). */
export function tableOf(columns: Record<string, Vector>): Table {
  return new Table(columns);
}

function columnOf(table: Table, name: string) {
  const col = table.getChild(name);
  if (!col) throw new ShapeError(`table has no column '${name}' (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  return col;
}

/** The flat row-major values of a FixedSizeList column, checking its list size. */
export function readFixedSizeList<T extends NumArray>(table: Table, name: string, listSize: number, ctor: { new (n: number): T }): T {
  const col = columnOf(table, name);
  const type = col.type as FixedSizeList;
  if (!(type instanceof FixedSizeList) || type.listSize !== listSize) {
    throw new ShapeError(`column '${name}' must be FixedSizeList[${listSize}], got ${String(col.type)}`);
  }
  const out = new ctor(table.numRows * listSize);
  let row = 0;
  for (const data of col.data) {
    const child = data.children[0];
    const values = child.values as NumArray;
    const start = (data.offset + child.offset) * 1;
    if (values instanceof ctor) out.set(values.subarray(start, start + data.length * listSize) as never, row * listSize);
    else for (let i = 0; i < data.length * listSize; i++) out[row * listSize + i] = values[start + i];
    row += data.length;
  }
  return out;
}

/** A FixedSizeList<Bool> column as 0/1 bytes, row-major. */
export function readBoolList(table: Table, name: string, listSize: number): Uint8Array {
  const col = columnOf(table, name);
  const out = new Uint8Array(table.numRows * listSize);
  let i = 0;
  for (const row of col) for (const b of row as Iterable<boolean>) out[i++] = b ? 1 : 0;
  if (i !== out.length) throw new ShapeError(`column '${name}' must be FixedSizeList<Bool>[${listSize}]`);
  return out;
}

/** A primitive column as a typed array (bools as 0/1 bytes; null as NaN). */
export function readNumbers(table: Table, name: string): Float64Array {
  const col = columnOf(table, name);
  const out = new Float64Array(table.numRows);
  let i = 0;
  for (const v of col) out[i++] = v == null ? NaN : Number(v);
  return out;
}

/** A string column (null as ''). */
export function readStrings(table: Table, name: string): string[] {
  return [...columnOf(table, name)].map((v) => (v == null ? '' : String(v)));
}
