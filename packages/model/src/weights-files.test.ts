/**
 * Damaged, malformed and mismatched weights files: each is refused with an ArtifactError (exit 3)
 * naming the file and the tensor or field, never a TypeError or a silent misread; F64, F16 and
 * BF16 are converted to float32 with a note. Files are built byte by byte in a temp dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactError } from '@sortscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramLayout } from './layout.ts';
import type { ModelConfig } from './model-config.ts';
import { parseSafetensors, serializeSafetensors, type StFile, type StTensor } from './safetensors.ts';
import { loadWeights, stateDict } from './weights.ts';

// made when the tests start, not while they are collected (a run filtering them all out would leave it)
let DIR: string;
beforeAll(() => {
  DIR = mkdtempSync(join(tmpdir(), 'ss-wfiles-'));
});
afterAll(() => DIR && rmSync(DIR, { recursive: true, force: true }));

/** 1 layer, 2 heads, d_model 4, d_head 2, LayerNorm; lists of 2 numbers 0..3 (d_vocab 5, n_ctx 5). */
const TINY: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 4, d_head: 2, layer_norm: true, ln_eps: 1e-5, d_vocab: 5, n_ctx: 5, list_length: 2 };

/** Parameters k/8 for small k: exact in F16 and BF16 too. */
function tinyParams(cfg: ModelConfig = TINY): Float32Array {
  const p = new Float32Array(paramLayout(cfg).size);
  for (let i = 0; i < p.length; i++) p[i] = ((i % 17) - 8) / 8;
  return p;
}
const tiny = (cfg: ModelConfig = TINY): StFile => stateDict(tinyParams(cfg), cfg);

/** safetensors bytes from a header (a value, or raw text) and a data buffer. */
function raw(header: unknown, data = new Uint8Array(0), opts: { text?: string; headerLength?: bigint } = {}): Uint8Array {
  const json = new TextEncoder().encode(opts.text ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

let files = 0;
function write(bytes: Uint8Array): string {
  const path = join(DIR, `w${files++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
}

/** The ArtifactError a load throws (failing the test if it throws anything else, or nothing). */
function loadError(bytes: Uint8Array): { path: string; message: string } {
  const path = write(bytes);
  try {
    loadWeights(path, { quiet: true });
  } catch (err) {
    expect(err).toBeInstanceOf(ArtifactError);
    const message = (err as Error).message;
    expect(message).toContain(path);
    return { path, message };
  }
  throw new Error(`${path} loaded without an error`);
}

const withTensor = (file: StFile, name: string, t: StTensor | undefined): StFile => {
  const tensors = new Map(file.tensors);
  if (t) tensors.set(name, t);
  else tensors.delete(name);
  return { tensors, metadata: file.metadata };
};

describe('safetensors header and offsets (defects 1, 2)', () => {
  const f32 = (shape: number[], data_offsets: unknown) => ({ dtype: 'F32', shape, data_offsets });
  const cases: [string, unknown, number, RegExp][] = [
    ['a negative offset', { a: f32([2], [-8, 0]) }, 8, /tensor 'a': data_offsets is \[-8,0\]; expected \[begin, end\], two integers >= 0/],
    ['a fractional offset', { a: f32([2], [0.5, 8.5]) }, 9, /tensor 'a': data_offsets is \[0\.5,8\.5\]/],
    ['string offsets', { a: f32([2], ['0', '8']) }, 8, /tensor 'a': data_offsets is \["0","8"\]/],
    ['begin after end', { a: f32([0], [8, 0]) }, 8, /tensor 'a': data_offsets \[8, 0\] are out of range/],
    ['an end past the data', { a: f32([4], [0, 16]) }, 8, /tensor 'a': data_offsets \[0, 16\] are out of range; expected 0 <= begin <= end <= 8/],
    ['a size that is not shape × dtype', { a: f32([3], [0, 8]) }, 8, /tensor 'a': data_offsets \[0, 8\] \(8 bytes\) do not hold F32\[3\] \(12 bytes\)/],
    ['overlapping tensors', { a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12, /tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/],
    ['the same bytes twice', { a: f32([2], [0, 8]), b: f32([2], [0, 8]) }, 8, /tensors 'a' \[0, 8\] and 'b' \[0, 8\] overlap/],
    ['a hole', { a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, 12, /bytes \[4, 8\) of the data, before tensor 'b', belong to no tensor/],
    ['trailing bytes', { a: f32([1], [0, 4]) }, 8, /the data is 8 bytes, but the tensors end at byte 4/],
    ['a null header', null, 0, /the header is null; expected a JSON object/],
    ['an array header', [1], 0, /the header is \[1\]; expected a JSON object/],
    ['a null tensor entry', { a: null }, 0, /tensor 'a' is null; expected \{dtype, shape, data_offsets\}/],
    ['missing data_offsets', { a: { dtype: 'F32', shape: [1] } }, 4, /tensor 'a': data_offsets is missing/],
    ['an unknown dtype', { a: { dtype: 'F128', shape: [1], data_offsets: [0, 4] } }, 4, /tensor 'a': dtype is "F128"; expected one of F64, F32/],
    ['a negative shape', { a: f32([-1], [0, 4]) }, 4, /tensor 'a': shape is \[-1\]; expected a list of integers >= 0/],
    ['a string shape', { a: f32(['2'] as unknown as number[], [0, 8]) }, 8, /tensor 'a': shape is \["2"\]/],
    ['a fractional shape', { a: f32([1.5], [0, 6]) }, 6, /tensor 'a': shape is \[1\.5\]/],
    ['a shape that is not a list', { a: f32(7 as unknown as number[], [0, 28]) }, 28, /tensor 'a': shape is 7/],
    ['__metadata__ not an object', { __metadata__: 'x' }, 0, /__metadata__ is "x"; expected an object of strings/],
    ['__metadata__ with a number', { __metadata__: { step: 3 } }, 0, /__metadata__\.step is 3; expected a string/],
  ];
  for (const [what, header, dataBytes, message] of cases) {
    it(`refuses ${what}, naming the file`, () => {
      const bytes = raw(header, new Uint8Array(dataBytes));
      expect(() => parseSafetensors(bytes, 'w.safetensors')).toThrow(ArtifactError);
      expect(() => parseSafetensors(bytes, 'w.safetensors')).toThrow(/^w\.safetensors is not a valid safetensors file: /);
      expect(() => parseSafetensors(bytes, 'w.safetensors')).toThrow(message);
    });
  }

  it('refuses a header longer than the file, a header that is not JSON or not UTF-8', () => {
    expect(() => parseSafetensors(raw({}, new Uint8Array(0), { headerLength: 1000n }), 'w.safetensors')).toThrow(/w\.safetensors .*header length 1000 exceeds the 2 bytes after the 8-byte length \(file size 10\)/);
    expect(() => parseSafetensors(raw({}, new Uint8Array(0), { headerLength: 2n ** 63n }), 'w.safetensors')).toThrow(/header length 9223372036854775808 exceeds/);
    expect(() => parseSafetensors(raw(null, new Uint8Array(0), { text: '{"a": ' }), 'w.safetensors')).toThrow(/w\.safetensors .*header is not JSON/);
    const bad = raw(null, new Uint8Array(0), { text: '{"a":1}' });
    bad[10] = 0xff;
    expect(() => parseSafetensors(bad, 'w.safetensors')).toThrow(/header is not JSON/);
  });

  it('accepts empty tensors anywhere and reads what the offsets say', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const file = parseSafetensors(raw({ b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, e: { dtype: 'F32', shape: [0, 3], data_offsets: [8, 8] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data), 'w');
    expect(new Float32Array(file.tensors.get('b')!.bytes.slice().buffer)).toEqual(new Float32Array([3]));
    expect(file.tensors.get('e')!.bytes.length).toBe(0);
  });

  it('loadWeights refuses a file that does not exist, naming it', () => {
    expect(() => loadWeights(join(DIR, 'nope.safetensors'))).toThrow(/nope\.safetensors does not exist/);
  });
});

describe('the model config read from shapes and metadata (defect 3)', () => {
  const meta = (cfg: Record<string, unknown>) => ({ ...tiny().metadata, 'sortscope.model': JSON.stringify({ ...TINY, ...cfg }) });
  it('refuses n_heads 0, naming the field and the tensor it came from', () => {
    const { message } = loadError(serializeSafetensors(tiny({ ...TINY, n_heads: 0 })));
    expect(message).toMatch(/n_heads: got 0; expected a number >= 1 \(n_heads from blocks\.0\.attn\.W_Q \[0, 4, 2\]\)/);
  });
  it('refuses d_vocab 300 and an even n_ctx', () => {
    expect(loadError(serializeSafetensors(tiny({ ...TINY, d_vocab: 300 }))).message).toMatch(/d_vocab: got 300; expected a number <= 255 \(d_vocab from embed\.W_E \[300, 4\]/);
    expect(loadError(serializeSafetensors(tiny({ ...TINY, n_ctx: 6 }))).message).toMatch(/n_ctx: got 6; expected an odd number 2n \+ 1/);
  });
  it('refuses ln_eps −1 or "abc" from the metadata', () => {
    const f = tiny();
    expect(loadError(serializeSafetensors({ tensors: f.tensors, metadata: meta({ ln_eps: -1 }) })).message).toMatch(/ln_eps: got -1; expected a number > 0 \(ln_eps from __metadata__ sortscope\.model/);
    expect(loadError(serializeSafetensors({ tensors: f.tensors, metadata: meta({ ln_eps: 'abc' }) })).message).toMatch(/ln_eps: got "abc"; expected a number/);
  });
  it('refuses metadata that is not JSON or disagrees with the shapes', () => {
    const f = tiny();
    expect(loadError(serializeSafetensors({ tensors: f.tensors, metadata: { 'sortscope.model': '{' } })).message).toMatch(/__metadata__ sortscope\.model is not JSON/);
    expect(loadError(serializeSafetensors({ tensors: f.tensors, metadata: meta({ n_heads: 4 }) })).message).toMatch(/sortscope\.model says n_heads 4, but the tensors give 2/);
  });
  it('refuses a tensor of the wrong rank or shape', () => {
    const f = tiny();
    const W_E = f.tensors.get('embed.W_E')!;
    expect(loadError(serializeSafetensors(withTensor(f, 'embed.W_E', { ...W_E, shape: [20] }))).message).toMatch(/embed\.W_E has shape \[20\]; expected \[d_vocab, d_model\]/);
    const b_U = f.tensors.get('unembed.b_U')!;
    expect(loadError(serializeSafetensors(withTensor(f, 'unembed.b_U', { ...b_U, shape: [1, 5] }))).message).toMatch(/unembed\.b_U has shape \[1, 5\]; expected \[5\]/);
  });
});

describe('values (defect 4) and tensor names (defect 5)', () => {
  function withValue(name: string, index: number, value: number): Uint8Array {
    const f = tiny();
    const t = f.tensors.get(name)!;
    const bytes = t.bytes.slice();
    new DataView(bytes.buffer).setFloat32(4 * index, value, true);
    return serializeSafetensors(withTensor(f, name, { ...t, bytes }));
  }
  it('refuses NaN and ±Infinity, naming the tensor and the first bad index', () => {
    expect(loadError(withValue('blocks.0.attn.W_Q', 11, Number.NaN)).message).toMatch(/: blocks\.0\.attn\.W_Q holds NaN at index 11 \(\[1, 1, 1\]\); expected finite values/);
    expect(loadError(withValue('unembed.b_U', 4, Number.NEGATIVE_INFINITY)).message).toMatch(/unembed\.b_U holds -Infinity at index 4 \(\[4\]\)/);
  });
  it('refuses an MLP, naming its tensors', () => {
    const f = tiny();
    for (const [name, shape] of [['blocks.0.mlp.W_in', [4, 16]], ['blocks.0.mlp.b_in', [16]], ['blocks.0.mlp.W_out', [16, 4]], ['blocks.0.mlp.b_out', [4]]] as const) {
      f.tensors.set(name, { dtype: 'F32', shape: [...shape], bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
    }
    const { message } = loadError(serializeSafetensors(f));
    expect(message).toMatch(/does not have: blocks\.0\.mlp\.W_in, blocks\.0\.mlp\.b_in, blocks\.0\.mlp\.W_out, blocks\.0\.mlp\.b_out; sortscope models are attention-only/);
  });
  it('lists missing tensors, and refuses a non-causal mask', () => {
    const f = withTensor(withTensor(tiny(), 'blocks.0.ln1.b', undefined), 'ln_final.b', undefined);
    expect(loadError(serializeSafetensors(f)).message).toMatch(/needs but the file lacks: blocks\.0\.ln1\.b, ln_final\.b/);
    const mask = tiny().tensors.get('blocks.0.attn.mask')!;
    const open = { ...mask, bytes: new Uint8Array(25).fill(1) };
    expect(loadError(serializeSafetensors(withTensor(tiny(), 'blocks.0.attn.mask', open))).message).toMatch(/blocks\.0\.attn\.mask is 1 at \[0, 1\]; expected the causal/);
  });
});

describe('dtypes (defect 6)', () => {
  function converted(encode: (x: number, view: DataView, i: number) => void, dtype: 'F64' | 'F16' | 'BF16', size: number, values?: (name: string, v: Float32Array) => number[]): StFile {
    const f = tiny();
    for (const [name, t] of f.tensors) {
      if (t.dtype !== 'F32' || name.endsWith('IGNORE')) continue;
      const v = new Float32Array(t.bytes.slice().buffer);
      const xs = values ? values(name, v) : [...v];
      const bytes = new Uint8Array(size * xs.length);
      const view = new DataView(bytes.buffer);
      xs.forEach((x, i) => encode(x, view, i));
      f.tensors.set(name, { dtype, shape: t.shape, bytes });
    }
    return f;
  }
  const nTensors = paramLayout(TINY).params.length;
  it('rounds F64 to the nearest float32, with a note', () => {
    const f = converted((x, view, i) => view.setFloat64(8 * i, x, true), 'F64', 8, (_, v) => [...v].map((x) => x + 1e-9));
    const w = loadWeights(write(serializeSafetensors(f)), { quiet: true });
    expect(w.params).toEqual(tinyParams().map((x) => Math.fround(x + 1e-9)));
    expect(w.notes).toHaveLength(1);
    expect(w.notes[0]).toMatch(new RegExp(`: ${nTensors} F64 tensors rounded to float32 \\(max relative change \\d\\.\\de-\\d+\\)`));
  });
  it('converts F16 and BF16 exactly, with a note', () => {
    const f16 = converted((x, view, i) => view.setUint16(2 * i, half(x), true), 'F16', 2);
    const bf16 = converted((x, view, i) => view.setUint16(2 * i, new Uint32Array(Float32Array.of(x).buffer)[0] >>> 16, true), 'BF16', 2);
    for (const [f, dtype] of [[f16, 'F16'], [bf16, 'BF16']] as const) {
      const w = loadWeights(write(serializeSafetensors(f)), { quiet: true });
      expect(w.params).toEqual(tinyParams());
      expect(w.notes).toEqual([expect.stringMatching(new RegExp(`: ${nTensors} ${dtype} tensors converted to float32 \\(exactly\\)`))]);
    }
  });
  it('refuses F64 beyond float32, F16 infinities and integer dtypes, naming the file', () => {
    const big = converted((x, view, i) => view.setFloat64(8 * i, x, true), 'F64', 8, (name, v) => (name === 'embed.W_E' ? [...v].map((x, i) => (i === 6 ? 1e39 : x)) : [...v]));
    expect(loadError(serializeSafetensors(big)).message).toMatch(/embed\.W_E holds 1e\+39 \(F64\) at index 6 \(\[1, 2\]\), beyond the float32 range/);
    const inf = converted((x, view, i) => view.setUint16(2 * i, i === 0 ? 0x7c00 : half(x), true), 'F16', 2);
    expect(loadError(serializeSafetensors(inf)).message).toMatch(/embed\.W_E holds \+Infinity \(F16\) at index 0 \(\[0, 0\]\)/);
    const f = tiny();
    const b_U = f.tensors.get('unembed.b_U')!;
    expect(loadError(serializeSafetensors(withTensor(f, 'unembed.b_U', { ...b_U, dtype: 'I32' }))).message).toMatch(/: unembed\.b_U is I32; expected a float tensor/);
  });
});

/** float → IEEE half, for the normal numbers k/8 the tiny model holds (exact there). */
function half(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const e = Math.floor(Math.log2(Math.abs(x)));
  const frac = Math.round((Math.abs(x) / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | frac;
}
