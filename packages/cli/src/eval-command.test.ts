/**
 * `sortscope eval` and `sortscope import` on bad weights files and bad flags, through the CLI in a
 * child process: exit 3 for an unusable file, 2 for a bad flag, a one-line message naming the
 * file and the tensor or field, no stack trace, nothing written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ModelConfig, paramLayout, readSafetensors, serializeSafetensors, type StFile, stateDict } from '@sortscope/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
// made when the tests start, not while they are collected (a run filtering them all out would leave it)
let DIR: string;
beforeAll(() => {
  DIR = mkdtempSync(join(tmpdir(), 'ss-eval-cli-'));
});
afterAll(() => DIR && rmSync(DIR, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A clean refusal: the exit code, one `sortscope: …Error:` message matching `message`, no stack trace. */
function expectRefusal(r: ReturnType<typeof cli>, code: number, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^sortscope: (ArtifactError|ConfigError): /);
  expect(r.stderr).not.toMatch(/\n\s+at |TypeError|RangeError|SyntaxError|ZodError/);
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
}

const TINY: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 4, d_head: 2, layer_norm: true, ln_eps: 1e-5, d_vocab: 5, n_ctx: 5, list_length: 2 };
function tiny(): StFile {
  const p = new Float32Array(paramLayout(TINY).size);
  for (let i = 0; i < p.length; i++) p[i] = Math.sin(i) / 4;
  return stateDict(p, TINY);
}
function write(name: string, bytes: Uint8Array): string {
  const path = join(DIR, name);
  writeFileSync(path, bytes);
  return path;
}

let good: string;
let rows3: string;
beforeAll(() => {
  good = write('good.safetensors', serializeSafetensors(tiny()));
  rows3 = write('rows3.u8', Uint8Array.from([1, 0, 4, 0, 1, 3, 2, 4, 2, 3, 0, 3, 4, 0, 3]));
});

describe('sortscope eval / import on bad weights (CLI)', () => {
  it('refuses NaN weights, naming the tensor and index', () => {
    const f = tiny();
    const t = f.tensors.get('blocks.0.attn.W_Q')!;
    const bytes = t.bytes.slice();
    new DataView(bytes.buffer).setFloat32(4 * 5, Number.NaN, true);
    f.tensors.set('blocks.0.attn.W_Q', { ...t, bytes });
    const path = write('nan.safetensors', serializeSafetensors(f));
    expectRefusal(cli(['eval', '--weights', path, '--json']), 3, /nan\.safetensors: blocks\.0\.attn\.W_Q holds NaN at index 5 \(\[0, 2, 1\]\)/);
  });

  it('refuses finite weights a float32 forward pass overflows, instead of a uniform or null loss (#29 W26)', () => {
    const scaled = (name: string, factor: number, f = tiny()) => {
      const t = f.tensors.get(name)!;
      const v = new Float32Array(t.bytes.slice().buffer).map((x) => x * factor);
      f.tensors.set(name, { ...t, bytes: new Uint8Array(v.buffer) });
      return serializeSafetensors(f);
    };
    // embeddings × 1e30: LayerNorm's variance overflows (it gave ln d_vocab with exit 0)
    expectRefusal(cli(['eval', '--weights', write('we30.safetensors', scaled('embed.W_E', 1e30))]), 3, /we30\.safetensors: the residual stream embed\.W_E\[\d+\] \+ pos_embed\.W_pos\[\d+\] has Σ\(x − mean\)² = [\d.]+e\+\d+, beyond float32's 3\.40e\+38/);
    // the ARENA checkpoint's W_U × 3e38 (still finite): its logits overflow (it gave "loss": null)
    const arena = readSafetensors(join(ROOT, 'fixtures/arena-sorted-list/arena-sorted-list.safetensors'));
    expectRefusal(cli(['eval', '--weights', write('wu38.safetensors', scaled('unembed.W_U', 3e38, arena)), '--rows', '500', '--json', '--quiet']), 3, /wu38\.safetensors: the float32 forward pass overflowed \(loss (NaN|Infinity); the largest \|weight\| is/);
  });

  it('refuses an MLP model instead of evaluating it as attention-only; import writes nothing', () => {
    const f = tiny();
    for (const [name, shape] of [['blocks.0.mlp.W_in', [4, 16]], ['blocks.0.mlp.b_in', [16]], ['blocks.0.mlp.W_out', [16, 4]], ['blocks.0.mlp.b_out', [4]]] as const) {
      f.tensors.set(name, { dtype: 'F32', shape: [...shape], bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
    }
    const path = write('mlp.safetensors', serializeSafetensors(f));
    expectRefusal(cli(['eval', '--weights', path]), 3, /mlp\.safetensors: tensors the 1-layer attention-only model with LayerNorm does not have: blocks\.0\.mlp\.W_in, blocks\.0\.mlp\.b_in, blocks\.0\.mlp\.W_out, blocks\.0\.mlp\.b_out/);
    const out = join(DIR, 'mlp.arrow');
    expectRefusal(cli(['import', '--weights', path, '--out', out]), 3, /mlp\.safetensors: tensors the .* does not have/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a malformed header and a bad inferred config', () => {
    const header = new TextEncoder().encode('null');
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    const path = write('null.safetensors', bytes);
    expectRefusal(cli(['eval', '--weights', path]), 3, /null\.safetensors is not a valid safetensors file: the header is null; expected a JSON object/);
    const p = new Float32Array(paramLayout({ ...TINY, n_heads: 0 }).size);
    const zero = write('heads0.safetensors', serializeSafetensors(stateDict(p, { ...TINY, n_heads: 0 })));
    expectRefusal(cli(['eval', '--weights', zero]), 3, /heads0\.safetensors: the model config .* is invalid:\n {2}n_heads: got 0; expected a number >= 1/);
  });

  it('validates --rows and --data', () => {
    expectRefusal(cli(['eval', '--weights', good, '--rows', '0']), 2, /--rows: got 0; expected a positive integer/);
    expectRefusal(cli(['eval', '--weights', good, '--rows', '-5']), 2, /--rows: got -5; expected a positive integer/);
    expectRefusal(cli(['eval', '--weights', good, '--rows', '1.5']), 2, /--rows: got 1\.5; expected a positive integer/);
    expectRefusal(cli(['eval', '--weights', good, '--data', rows3, '--rows', '1e12']), 2, /--rows: got 1000000000000, but --data .*rows3\.u8 holds only 3 rows/);
    expectRefusal(cli(['eval', '--weights', good, '--data', join(DIR, 'nope.u8')]), 3, /--data .*nope\.u8 does not exist/);
    const outside = write('outside.u8', Uint8Array.from([1, 0, 4, 0, 1, 3, 2, 7, 2, 3]));
    expectRefusal(cli(['eval', '--weights', good, '--data', outside]), 3, /--data .*outside\.u8: token 7 at row 1, position 2 is outside the model's vocabulary \(d_vocab 5\)/);
    // not regular files: refused at once instead of read forever (#29)
    expectRefusal(cli(['eval', '--weights', good, '--data', '/dev/zero']), 3, /--data \/dev\/zero is a device; expected a regular file/);
    execFileSync('mkfifo', [join(DIR, 'weights.fifo')]);
    expectRefusal(cli(['eval', '--weights', join(DIR, 'weights.fifo')]), 3, /weights\.fifo is a named pipe; expected a regular file/);
    // rows of another vocabulary (numbers 0..1, SEP 2) whose tokens all fit d_vocab 5: refused by the SEP column (#29 W71, W76)
    const other = write('other-vocab.u8', Uint8Array.from([1, 0, 2, 0, 1, 0, 1, 2, 0, 1]));
    expectRefusal(cli(['eval', '--weights', good, '--data', other]), 3, /--data .*other-vocab\.u8: row 0 has token 2 where SEP \(4\) belongs; expected rows of 2 numbers, SEP = 4 at position 2/);
    const r = cli(['eval', '--weights', good, '--data', rows3, '--rows', '2', '--json', '--quiet']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 2, loss: expect.any(Number) });
  });

  it('evaluates F64 weights rounded to float32, saying so on stderr', () => {
    const f = tiny();
    for (const [name, t] of f.tensors) {
      if (t.dtype !== 'F32' || name.endsWith('IGNORE')) continue;
      const v = new Float32Array(t.bytes.slice().buffer);
      const f64 = new Float64Array(v.length);
      v.forEach((x, i) => (f64[i] = x * (1 + 1e-9)));
      f.tensors.set(name, { dtype: 'F64', shape: t.shape, bytes: new Uint8Array(f64.buffer) });
    }
    const path = write('f64.safetensors', serializeSafetensors(f));
    const r = cli(['eval', '--weights', path, '--data', rows3, '--json', '--no-ablation']);
    expect(r.stderr).toMatch(/f64\.safetensors: \d+ F64 tensors rounded to float32 \(max relative change \d\.\de-\d+\)/);
    expect(r.code).toBe(0);
    const ref = cli(['eval', '--weights', good, '--data', rows3, '--json', '--no-ablation', '--quiet']);
    expect(JSON.parse(r.stdout).loss).toBeCloseTo(JSON.parse(ref.stdout).loss, 5);
  });

  it('--calibration: the clean pass and each head with its suppression removed (all, inputs, outputs), in the JSON and the table', () => {
    const r = cli(['eval', '--weights', good, '--data', rows3, '--json', '--no-ablation', '--calibration', '--quiet']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.calibration.clean.loss).toBeCloseTo(j.loss, 5);
    expect(j.calibration.clean.tokens).toBe(j.rows * j.loss_per_position.length);
    expect(j.calibration.suppression_removed.map((x: { head: number; sources: string }) => `${x.head} ${x.sources}`)).toEqual(['0 all', '0 inputs', '0 outputs', '1 all', '1 inputs', '1 outputs']);
    const t = cli(['eval', '--weights', good, '--data', rows3, '--no-ablation', '--calibration', '--quiet']);
    expect(t.stdout).toMatch(/calibration on \d+ scored tokens:/);
    expect(t.stdout).toMatch(/L0H1 −suppr\. \(outputs\)/);
  });
});
