/**
 * safetensors, read and written in plain TypeScript: an 8-byte little-endian header length, a
 * JSON header {name: {dtype, shape, data_offsets}} (plus optional "__metadata__" of strings),
 * then the raw little-endian tensor bytes. Format: https://github.com/huggingface/safetensors
 * Reading validates the whole header first (safetensors-validate.ts); every error names the file.
 * Float tensors are read as float32: F32 as is, F16 and BF16 exactly, F64 rounded to nearest.
 */
import { ArtifactError, checkRecordedHash, readInputFile, writeFileAtomic } from '@sortscope/core';
import { type Dtype, validateHeader } from './safetensors-validate.ts';

export type { Dtype } from './safetensors-validate.ts';

export interface StTensor {
  dtype: Dtype;
  shape: number[];
  /** raw bytes (little-endian) */
  bytes: Uint8Array;
}

export interface StFile {
  tensors: Map<string, StTensor>;
  metadata: Record<string, string>;
}

export function parseSafetensors(buf: Uint8Array, source = 'safetensors'): StFile {
  const fail = (why: string) => new ArtifactError(`${source} is not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw fail(`${buf.length} bytes, shorter than its 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getBigUint64(0, true);
  if (8n + n > BigInt(buf.length)) throw fail(`header length ${n} exceeds the ${buf.length - 8} bytes after the 8-byte length (file size ${buf.length})`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + Number(n))));
  } catch (err) {
    throw fail(`header is not JSON (${(err as Error).message})`);
  }
  const data = buf.subarray(8 + Number(n));
  const { entries, metadata } = validateHeader(header, data.length, fail);
  const tensors = new Map<string, StTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: data.subarray(e.begin, e.end) });
  return { tensors, metadata };
}

export function readSafetensors(path: string): StFile {
  const buf = readInputFile(path, ''); // regular files only: a FIFO or /dev/zero would read forever
  checkRecordedHash(path, buf); // inside a stage folder (final.safetensors): as its manifest recorded it
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** A float tensor's values as float32, and the largest relative change of rounding (0 unless F64). */
export interface Float32Values {
  values: Float32Array;
  maxRelativeChange: number;
}

/**
 * Values of a float tensor as a Float32Array (copied, so alignment does not matter). Integer and
 * 8-bit float dtypes are refused; an F64 value beyond float32's range is refused, naming it.
 */
export function toFloat32(t: StTensor, name: string, source: string): Float32Values {
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  switch (t.dtype) {
    case 'F32': {
      const values = new Float32Array(t.bytes.length / 4);
      new Uint8Array(values.buffer).set(t.bytes);
      return { values, maxRelativeChange: 0 };
    }
    case 'F64': {
      const values = new Float32Array(t.bytes.length / 8);
      let maxRelativeChange = 0;
      for (let i = 0; i < values.length; i++) {
        const x = view.getFloat64(8 * i, true);
        values[i] = x;
        if (Number.isFinite(x) && !Number.isFinite(values[i])) {
          throw new ArtifactError(`${source}: ${name} holds ${x} (F64) at index ${i} (${multiIndex(i, t.shape)}), beyond the float32 range ±3.4028e38; expected values that fit float32`);
        }
        if (x !== 0 && Number.isFinite(x)) maxRelativeChange = Math.max(maxRelativeChange, Math.abs(values[i] - x) / Math.abs(x));
      }
      return { values, maxRelativeChange };
    }
    case 'BF16': {
      const values = new Float32Array(t.bytes.length / 2);
      for (let i = 0; i < values.length; i++) {
        bits[0] = view.getUint16(2 * i, true) << 16; // bfloat16 is the top half of a float32
        values[i] = asFloat[0];
      }
      return { values, maxRelativeChange: 0 };
    }
    case 'F16': {
      const values = new Float32Array(t.bytes.length / 2);
      for (let i = 0; i < values.length; i++) values[i] = halfToFloat(view.getUint16(2 * i, true));
      return { values, maxRelativeChange: 0 };
    }
    default:
      throw new ArtifactError(`${source}: ${name} is ${t.dtype}; expected a float tensor (F32, or F64, F16, BF16 converted to float32)`);
  }
}

/** IEEE 754 half precision → number (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Flat row-major index → "[i, j, k]". */
export function multiIndex(flat: number, shape: number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

export function serializeSafetensors(file: StFile): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(file.metadata).length) header.__metadata__ = file.metadata;
  let offset = 0;
  for (const [name, t] of file.tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of file.tensors.values()) {
    out.set(t.bytes, p);
    p += t.bytes.length;
  }
  return out;
}

export function writeSafetensors(path: string, file: StFile): void {
  writeFileAtomic(path, serializeSafetensors(file));
}

export function f32Tensor(values: Float32Array, shape: number[]): StTensor {
  return { dtype: 'F32', shape, bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}
