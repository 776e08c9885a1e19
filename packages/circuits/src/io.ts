/**
 * Arrow I/O of the circuits stage (README.md lists every column and metadata key):
 *   matrices.arrow        'circuits/matrices' v1        one row per matrix row: step, layer, head,
 *                                                       circuit, convention, row, values [d_vocab] float32
 *   measures.arrow        'circuits/measures' v2        one row per step × layer × head × circuit × convention
 *   specialisation.arrow  'circuits/specialisation' v2  one row per step × layer × head
 * v2 (circuits stage version 2, 2026-12-07, issue #30): "not applicable" is Arrow null, not a NaN or
 * −1 sentinel: the Toeplitz test's ev* of QK_pos (not a square circuit), copy_suppression_partner
 * when no head suppresses (copy_suppression 0), ablation_loss_increase when ablation was not run.
 * In memory the records keep NaN and −1 (the readers map null back).
 *   attention.arrow       'circuits/attention' v1       one row per step × layer × head
 */
import {
  type ArtifactMeta, boolListVector, fixedSizeListVector, numberVector, optionalFloat64Vector, optionalInt32Vector, readArtifact, readBoolList, readFixedSizeList, readNumbers, readStrings, type ReadMeta,
  ShapeError, stringVector, tableOf, writeArtifact,
  regenerateHint,
} from '@sortscope/core';
import type { Table, Vector } from 'apache-arrow';
import type { MatrixRecord, MeasureRecord, SpecialisationRecord } from './analyse.ts';
import type { AttentionSummary } from './attention.ts';
import { type CircuitMeasures, MEASURE_NAMES } from './circuit-measures.ts';
import type { CircuitKind } from './circuits.ts';
import type { Convention } from './conventions.ts';
import { matrix } from './matrix.ts';

export const KINDS = {
  matrices: { kind: 'circuits/matrices', schemaVersion: 1 },
  measures: { kind: 'circuits/measures', schemaVersion: 2 },
  specialisation: { kind: 'circuits/specialisation', schemaVersion: 2 },
  attention: { kind: 'circuits/attention', schemaVersion: 1 },
} as const;

export const CIRCUITS_FILES = {
  matrices: 'matrices.arrow',
  measures: 'measures.arrow',
  specialisation: 'specialisation.arrow',
  attention: 'attention.arrow',
  runInfo: 'run-info.json',
} as const;

const REGENERATE = regenerateHint('circuits');

export type BaseMeta = Omit<ArtifactMeta, 'kind' | 'schemaVersion'>;
export type Stepped<T> = T & { step: number };

const int32 = <T>(rows: T[], f: (r: T) => number) => numberVector(Int32Array.from(rows, f));
const float64 = <T>(rows: T[], f: (r: T) => number) => numberVector(Float64Array.from(rows, f));
/** A FixedSizeList column from per-row arrays of equal length `size`. */
function listColumn<T>(rows: T[], size: number, f: (r: T) => ArrayLike<number>, ctor: Float64ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor): Vector {
  const flat = new ctor(rows.length * size);
  rows.forEach((r, i) => {
    const v = f(r);
    if (v.length !== size) throw new ShapeError(`listColumn: a row has ${v.length} values, expected ${size}`);
    flat.set(v, i * size);
  });
  return fixedSizeListVector(flat, size);
}

function ints(table: Table, name: string): number[] {
  return Array.from(readNumbers(table, name));
}

// ---- matrices -------------------------------------------------------------------------------

export function writeMatrices(path: string, records: Stepped<MatrixRecord>[], dVocab: number, base: BaseMeta): string {
  const rows = records.flatMap((r) => Array.from({ length: r.matrix.rows }, (_, i) => ({ r, i })));
  for (const { r } of rows) if (r.matrix.cols !== dVocab) throw new ShapeError(`writeMatrices: ${r.circuit} has ${r.matrix.cols} columns, expected d_vocab = ${dVocab}`);
  const values = new Float32Array(rows.length * dVocab);
  rows.forEach(({ r, i }, k) => values.set(r.matrix.data.subarray(i * dVocab, (i + 1) * dVocab), k * dVocab));
  const table = tableOf({
    step: int32(rows, ({ r }) => r.step),
    layer: int32(rows, ({ r }) => r.layer),
    head: int32(rows, ({ r }) => r.head),
    circuit: stringVector(rows.map(({ r }) => r.circuit)),
    convention: stringVector(rows.map(({ r }) => r.convention)),
    row: int32(rows, ({ i }) => i),
    values: fixedSizeListVector(values, dVocab),
  });
  return writeArtifact(path, table, { ...base, ...KINDS.matrices });
}

/** The matrices, regrouped from their rows (float32 values as float64). */
export function readMatrices(path: string): { meta: ReadMeta; records: Stepped<MatrixRecord>[] } {
  const { table, meta } = readArtifact(path, { ...KINDS.matrices, regenerate: REGENERATE });
  const dVocab = (meta.extra.model as { d_vocab: number }).d_vocab;
  const values = readFixedSizeList(table, 'values', dVocab, Float32Array);
  const [step, layer, head, row] = ['step', 'layer', 'head', 'row'].map((c) => ints(table, c));
  const circuit = readStrings(table, 'circuit') as CircuitKind[];
  const convention = readStrings(table, 'convention') as Convention[];
  const records: Stepped<MatrixRecord>[] = [];
  for (let k = 0; k < table.numRows; ) {
    let end = k + 1;
    while (end < table.numRows && row[end] === end - k) end++;
    if (row[k] !== 0) throw new ShapeError(`${path}: matrix rows must start at row 0 (table row ${k} has row ${row[k]})`);
    records.push({ step: step[k], layer: layer[k], head: head[k], circuit: circuit[k], convention: convention[k], matrix: matrix(end - k, dVocab, values.subarray(k * dVocab, end * dVocab)) });
    k = end;
  }
  return { meta, records };
}

// ---- measures -------------------------------------------------------------------------------

export function writeMeasures(path: string, records: Stepped<MeasureRecord>[], base: BaseMeta): string {
  const cols: Record<string, Vector> = {
    step: int32(records, (r) => r.step),
    layer: int32(records, (r) => r.layer),
    head: int32(records, (r) => r.head),
    circuit: stringVector(records.map((r) => r.circuit)),
    convention: stringVector(records.map((r) => r.convention)),
  };
  // the Toeplitz test (ev*) is defined for the square circuits only: null for QK_pos
  const applies = (r: MeasureRecord, m: string) => !(r.circuit === 'QK_pos' && m.startsWith('ev'));
  for (const m of MEASURE_NAMES) cols[m] = optionalFloat64Vector(records.map((r) => (applies(r, m) ? r.all[m] : null)));
  for (const m of MEASURE_NAMES) cols[`${m}_inner`] = optionalFloat64Vector(records.map((r) => (applies(r, m) ? r.inner[m] : null)));
  return writeArtifact(path, tableOf(cols), { ...base, ...KINDS.measures });
}

export function readMeasures(path: string): { meta: ReadMeta; records: Stepped<MeasureRecord>[] } {
  const { table, meta } = readArtifact(path, { ...KINDS.measures, regenerate: REGENERATE });
  const [step, layer, head] = ['step', 'layer', 'head'].map((c) => ints(table, c));
  const circuit = readStrings(table, 'circuit') as CircuitKind[];
  const convention = readStrings(table, 'convention') as Convention[];
  const col = Object.fromEntries([...MEASURE_NAMES, ...MEASURE_NAMES.map((m) => `${m}_inner`)].map((m) => [m, readNumbers(table, m)]));
  const pick = (k: number, suffix: string) => Object.fromEntries(MEASURE_NAMES.map((m) => [m, col[`${m}${suffix}`][k]])) as unknown as CircuitMeasures;
  const records = Array.from({ length: table.numRows }, (_, k) => ({ step: step[k], layer: layer[k], head: head[k], circuit: circuit[k], convention: convention[k], all: pick(k, ''), inner: pick(k, '_inner') }));
  return { meta, records };
}

// ---- specialisation -------------------------------------------------------------------------

export function writeSpecialisation(path: string, records: Stepped<SpecialisationRecord>[], sizes: { n_num: number; n_heads: number }, base: BaseMeta): string {
  const { n_num: n, n_heads: H } = sizes;
  const bits = (f: (r: SpecialisationRecord) => Uint8Array) => {
    const flat = new Uint8Array(records.length * n);
    records.forEach((r, i) => flat.set(f(r), i * n));
    return boolListVector(flat, n);
  };
  const table = tableOf({
    step: int32(records, (r) => r.step),
    layer: int32(records, (r) => r.layer),
    head: int32(records, (r) => r.head),
    convention: stringVector(records.map((r) => r.convention)),
    ov_diagonal: listColumn(records, n, (r) => r.ov_diagonal, Float64Array),
    copies: bits((r) => r.copies),
    copy_range: bits((r) => r.copy_range),
    n_copied: int32(records, (r) => r.n_copied),
    regions: int32(records, (r) => r.regions),
    overlap: listColumn(records, H, (r) => r.overlap, Float64Array),
    copy_suppression: float64(records, (r) => r.copy_suppression),
    copy_suppression_partner: optionalInt32Vector(records.map((r) => (r.copy_suppression_partner < 0 ? null : r.copy_suppression_partner))), // null: no head suppresses
    ablation_loss_increase: optionalFloat64Vector(records.map((r) => (Number.isNaN(r.ablation_loss_increase) ? null : r.ablation_loss_increase))), // null: ablation not run
  });
  return writeArtifact(path, table, { ...base, ...KINDS.specialisation });
}

export function readSpecialisation(path: string): { meta: ReadMeta; records: Stepped<SpecialisationRecord>[] } {
  const { table, meta } = readArtifact(path, { ...KINDS.specialisation, regenerate: REGENERATE });
  const model = meta.extra.model as { d_vocab: number; n_heads: number };
  const n = model.d_vocab - 1;
  const H = model.n_heads;
  const [step, layer, head, nCopied, regions, partner] = ['step', 'layer', 'head', 'n_copied', 'regions', 'copy_suppression_partner'].map((c) => ints(table, c));
  const convention = readStrings(table, 'convention') as Convention[];
  const diag = readFixedSizeList(table, 'ov_diagonal', n, Float64Array);
  const copies = readBoolList(table, 'copies', n);
  const range = readBoolList(table, 'copy_range', n);
  const overlap = readFixedSizeList(table, 'overlap', H, Float64Array);
  const cs = readNumbers(table, 'copy_suppression');
  const abl = readNumbers(table, 'ablation_loss_increase');
  const records = Array.from({ length: table.numRows }, (_, k) => ({
    step: step[k],
    layer: layer[k],
    head: head[k],
    convention: convention[k],
    ov_diagonal: diag.slice(k * n, (k + 1) * n),
    copies: copies.slice(k * n, (k + 1) * n),
    copy_range: range.slice(k * n, (k + 1) * n),
    n_copied: nCopied[k],
    regions: regions[k],
    overlap: overlap.slice(k * H, (k + 1) * H),
    copy_suppression: cs[k],
    copy_suppression_partner: Number.isNaN(partner[k]) ? -1 : partner[k], // null in the file
    ablation_loss_increase: abl[k],
  }));
  return { meta, records };
}

export { copierFromRecords } from './copier.ts';

// ---- attention ------------------------------------------------------------------------------

export function writeAttention(path: string, records: Stepped<AttentionSummary>[], sizes: { n: number; n_num: number }, base: BaseMeta): string {
  const table = tableOf({
    step: int32(records, (r) => r.step),
    layer: int32(records, (r) => r.layer),
    head: int32(records, (r) => r.head),
    mean: float64(records, (r) => r.mean),
    per_position: listColumn(records, sizes.n, (r) => r.per_position, Float64Array),
    per_token: listColumn(records, sizes.n_num, (r) => r.per_token, Float64Array),
    token_count: listColumn(records, sizes.n_num, (r) => r.token_count, Int32Array),
  });
  return writeArtifact(path, table, { ...base, ...KINDS.attention });
}

export function readAttention(path: string): { meta: ReadMeta; records: Stepped<AttentionSummary>[] } {
  const { table, meta } = readArtifact(path, { ...KINDS.attention, regenerate: REGENERATE });
  const model = meta.extra.model as { d_vocab: number; list_length: number };
  const n = model.list_length;
  const nNum = model.d_vocab - 1;
  const [step, layer, head] = ['step', 'layer', 'head'].map((c) => ints(table, c));
  const mean = readNumbers(table, 'mean');
  const pos = readFixedSizeList(table, 'per_position', n, Float64Array);
  const tok = readFixedSizeList(table, 'per_token', nNum, Float64Array);
  const count = readFixedSizeList(table, 'token_count', nNum, Int32Array);
  const records = Array.from({ length: table.numRows }, (_, k) => ({
    step: step[k],
    layer: layer[k],
    head: head[k],
    mean: mean[k],
    per_position: pos.slice(k * n, (k + 1) * n),
    per_token: tok.slice(k * nNum, (k + 1) * nNum),
    token_count: count.slice(k * nNum, (k + 1) * nNum),
  }));
  return { meta, records };
}
