/**
 * safetensors, read and written in plain TypeScript: an 8-byte little-endian header length, a
 * JSON header {name: {dtype, shape, data_offsets}} (plus optional "__metadata__" of strings),
 * then the raw little-endian tensor bytes. Format: https://github.com/huggingface/safetensors
 */
import { readFileSync } from 'node:fs';
import { ArtifactError, writeFileAtomic } from '@sortscope/core';

export type Dtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
const BYTES: Record<Dtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

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
  if (buf.length < 8) throw fail('shorter than its 8-byte header length');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > buf.length) throw fail(`header length ${n} exceeds the file size ${buf.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  } catch (err) {
    throw fail(`header is not JSON (${(err as Error).message})`);
  }
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, StTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = info as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw fail(`tensor ${name} has unknown dtype ${dtype}`);
    const [start, end] = data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * BYTES[dtype] || end > data.length) throw fail(`tensor ${name}: offsets [${start}, ${end}] do not hold ${dtype}[${shape}]`);
    tensors.set(name, { dtype, shape, bytes: data.subarray(start, end) });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string): StFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new ArtifactError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** Values of an F32 tensor as a Float32Array (copied, so alignment does not matter). */
export function f32(t: StTensor, name: string): Float32Array {
  if (t.dtype !== 'F32') throw new ArtifactError(`tensor ${name} is ${t.dtype}; expected F32`);
  const out = new Float32Array(t.bytes.length / 4);
  new Uint8Array(out.buffer).set(t.bytes);
  return out;
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
