/**
 * Validation of a safetensors header before any byte of data is read: the header is a JSON
 * object; `__metadata__`, if present, is an object of strings; every other entry is
 * {dtype, shape, data_offsets} with a known dtype, a shape of integers >= 0 and two integer
 * offsets 0 <= begin <= end that hold exactly shape × dtype bytes; and the tensors tile the data
 * buffer exactly: no overlaps, no holes, nothing after the last tensor (as the reference Rust
 * implementation requires). Every failure names the tensor or field, what was found and what
 * was expected; the caller prefixes the file.
 */

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';
export const DTYPE_BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };

export interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface Header {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
}

/** A value for a message: JSON where possible, so `null`, `"3"` and `-1` read as what they are. */
export function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Check the parsed header against a data buffer of `dataLength` bytes; `fail` builds the error to throw. */
export function validateHeader(header: unknown, dataLength: number, fail: (why: string) => Error): Header {
  if (!isObject(header)) throw fail(`the header is ${show(header)}; expected a JSON object {name: {dtype, shape, data_offsets}}`);
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = validateMetadata(info, fail);
      continue;
    }
    entries.push(validateEntry(name, info, dataLength, fail));
  }
  checkTiling(entries, dataLength, fail);
  return { entries, metadata };
}

function validateMetadata(info: unknown, fail: (why: string) => Error): Record<string, string> {
  if (!isObject(info)) throw fail(`__metadata__ is ${show(info)}; expected an object of strings`);
  for (const [key, value] of Object.entries(info)) {
    if (typeof value !== 'string') throw fail(`__metadata__.${key} is ${show(value)}; expected a string`);
  }
  return info as Record<string, string>;
}

function validateEntry(name: string, info: unknown, dataLength: number, fail: (why: string) => Error): HeaderEntry {
  const where = `tensor '${name}'`;
  if (!isObject(info)) throw fail(`${where} is ${show(info)}; expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw fail(`${where}: dtype is ${show(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw fail(`${where}: shape is ${show(shape)}; expected a list of integers >= 0`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`${where}: data_offsets is ${show(offsets)}; expected [begin, end], two integers >= 0`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw fail(`${where}: data_offsets [${begin}, ${end}] are out of range; expected 0 <= begin <= end <= ${dataLength} (the size of the data after the header)`);
  }
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  const bytes = count * DTYPE_BYTES[dtype as Dtype];
  if (!Number.isSafeInteger(bytes) || bytes !== end - begin) {
    throw fail(`${where}: data_offsets [${begin}, ${end}] (${end - begin} bytes) do not hold ${dtype}[${shape.join(', ')}] (${bytes} bytes)`);
  }
  return { name, dtype: dtype as Dtype, shape: shape as number[], begin, end };
}

/** The tensors, in the order of their offsets, must cover [0, dataLength) exactly once. */
function checkTiling(entries: HeaderEntry[], dataLength: number, fail: (why: string) => Error): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let last: HeaderEntry | undefined;
  for (const e of sorted) {
    if (e.begin < at) throw fail(`tensors '${last!.name}' [${last!.begin}, ${last!.end}] and '${e.name}' [${e.begin}, ${e.end}] overlap; expected each byte of the data to belong to one tensor`);
    if (e.begin > at) throw fail(`bytes [${at}, ${e.begin}) of the data, before tensor '${e.name}', belong to no tensor; expected the tensors to cover the data without holes`);
    at = e.end;
    if (e.end > e.begin || !last) last = e;
  }
  if (at !== dataLength) throw fail(`the data is ${dataLength} bytes, but the tensors end at byte ${at}; expected them to cover the data exactly`);
}
