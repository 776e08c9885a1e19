/**
 * runTorchReference against fake interpreters (small shell scripts standing in for a Python
 * with torch: PyTorch is not installed where these tests run), the real torch_reference.py
 * through python3 (or SORTSCOPE_TORCH_PYTHON) where there is one — with torch, it must reproduce the
 * ARENA checkpoint's golden numbers — and ratioRows on known numbers.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '@sortscope/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARENA_DIR } from '@sortscope/model/testing';
import { ratioRows, runTorchReference, TORCH_SCRIPT, type TorchTimes } from './torch-reference.ts';

const CANNED: TorchTimes = {
  torch: '2.13.0+cpu',
  python: '3.12.3',
  threads: 2,
  batches: {
    '64': { train: 6.81, sgld: 5.93, grad: 4.72, forward: 2.25 },
    '512': { train: 31.6, sgld: 36.8, grad: 37.7, forward: 21.05 },
  },
};
const OPTS = { batches: [64, 512], reps: 15 };

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sortscope-torch-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** an executable `#!/bin/sh` script in the temp dir */
function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** `echo` of a JSON value, single-quoted for sh */
const echoJson = (v: unknown) => `echo '${JSON.stringify(v)}'`;

async function failure(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('runTorchReference', () => {
  it('passes the script and the flags, forwards progress and returns the canned numbers', async () => {
    const argvFile = join(dir, 'argv.txt');
    const python = fake(
      'python-ok',
      [`printf '%s\\n' "$@" > '${argvFile}'`, 'echo "torch_reference.py: torch 2.13.0+cpu, 2 threads" >&2', 'echo "torch_reference.py: batch 64: train 6.81 ms" >&2', 'echo "an earlier stdout line"', echoJson({ ...CANNED, mkldnn: true })].join('\n'),
    );
    const lines: string[] = [];
    const times = await runTorchReference(python, { ...OPTS, onLine: (s) => lines.push(s) });
    expect(times).toEqual(CANNED);
    expect(lines).toEqual(['torch_reference.py: torch 2.13.0+cpu, 2 threads', 'torch_reference.py: batch 64: train 6.81 ms']);
    const argv = readFileSync(argvFile, 'utf8').trimEnd().split('\n');
    expect(argv[0]).toBe(TORCH_SCRIPT);
    expect(isAbsolute(argv[0]) && argv[0].endsWith('/packages/engine/bench/torch_reference.py')).toBe(true);
    expect(existsSync(argv[0])).toBe(true);
    expect(argv.slice(1).join(' ')).toBe('--batches 64,512 --reps 15 --threads 2');
  });

  it('passes --threads and other batch sizes through', async () => {
    const argvFile = join(dir, 'argv-threads.txt');
    const python = fake('python-threads', [`printf '%s\\n' "$@" > '${argvFile}'`, echoJson({ ...CANNED, threads: 1, batches: { '8': CANNED.batches['64'] } })].join('\n'));
    const times = await runTorchReference(python, { batches: [8], reps: 3, threads: 1 });
    expect(times.threads).toBe(1);
    expect(times.batches['8'].forward).toBe(2.25);
    expect(readFileSync(argvFile, 'utf8').trimEnd().split('\n').slice(1).join(' ')).toBe('--batches 8 --reps 3 --threads 1');
  });

  it('says the interpreter has no torch when the script exits 3', async () => {
    const python = fake('python-notorch', `echo "torch_reference.py: cannot import torch (No module named 'torch')" >&2\nexit 3`);
    const err = await failure(runTorchReference(python, OPTS));
    expect(err.message).toBe(`--torch: ${python} has no torch (cannot import torch: No module named 'torch')`);
    expect(err.exitCode).toBe(2);
  });

  it('names a batch size missing from the result', async () => {
    const python = fake('python-no512', echoJson({ ...CANNED, batches: { '64': CANNED.batches['64'] } }));
    const err = await failure(runTorchReference(python, OPTS));
    expect(err.message).toMatch(/^--torch: /);
    expect(err.message).toContain(python);
    expect(err.message).toContain('batch 512: missing');
    expect(err.message).not.toContain('batch 64');
  });

  it('names a missing kind and a time that is not a positive number', async () => {
    const python = fake('python-badkinds', echoJson({ ...CANNED, batches: { '64': { ...CANNED.batches['64'], grad: -1 }, '512': { train: 1, grad: 2, forward: 3 } } }));
    const err = await failure(runTorchReference(python, OPTS));
    expect(err.message).toContain('batch 512 sgld: missing');
    expect(err.message).toContain('batch 64 grad: not a positive number');
  });

  it('rejects a last stdout line that is not JSON', async () => {
    const python = fake('python-nojson', `${echoJson(CANNED)}\necho "done."`);
    const err = await failure(runTorchReference(python, OPTS));
    expect(err.message).toContain('printed no JSON result');
    expect(err.message).toContain('"done."');
  });

  it('reports another exit code with the last stderr lines', async () => {
    const python = fake('python-crash', 'echo "Traceback (most recent call last):" >&2\necho "RuntimeError: out of memory" >&2\nexit 1');
    const err = await failure(runTorchReference(python, OPTS));
    expect(err.message).toContain(`--torch: ${python}`);
    expect(err.message).toContain('exited with code 1');
    expect(err.message).toContain('RuntimeError: out of memory');
  });

  it('refuses the times of a model that fails the ARENA check (exit 4)', async () => {
    const python = fake('python-wrong-model', 'echo "torch_reference.py: ARENA check: loss 0.5000000 (golden 0.0367980), token accuracy 0.90000 (golden 0.99886): this is not sortscope\'s model" >&2\nexit 4');
    const err = await failure(runTorchReference(python, { ...OPTS, check: '/fixtures' }));
    expect(err.message).toMatch(/^--torch: the PyTorch reference does not reproduce the ARENA checkpoint's golden numbers.*\(ARENA check: loss 0\.5000000 \(golden 0\.0367980\)/);
  });

  it('says an interpreter that does not exist is not found', async () => {
    const python = join(dir, 'no-such-python');
    const err = await failure(runTorchReference(python, OPTS));
    expect(err.message).toBe(`--torch: cannot run ${python}: not found`);
  });
});

/** the real script runs with python3, or with SORTSCOPE_TORCH_PYTHON (e.g. /usr/bin/python3 with Debian's python3-torch) */
const PY = process.env.SORTSCOPE_TORCH_PYTHON || 'python3';
const python3 = !spawnSync(PY, ['--version']).error;
const python3HasTorch = python3 && spawnSync(PY, ['-c', 'import torch']).status === 0;

describe.skipIf(!python3)('torch_reference.py with python3', () => {
  it('compiles (python3 -m py_compile)', () => {
    // the bytecode goes to the temp dir, not beside the script
    const r = spawnSync(PY, ['-m', 'py_compile', TORCH_SCRIPT], { encoding: 'utf8', env: { ...process.env, PYTHONPYCACHEPREFIX: join(dir, 'pycache') } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(python3HasTorch)('exits 3 with the cannot-import message where torch is missing', async () => {
    const err = await failure(runTorchReference(PY, OPTS));
    expect(err.message).toMatch(/^--torch: .*python3 has no torch \(cannot import torch: .+\)$/);
  });

  it.skipIf(!python3HasTorch)('measures a tiny batch where torch is installed', async () => {
    const times = await runTorchReference(PY, { batches: [4], reps: 2, threads: 1 });
    for (const kind of ['train', 'sgld', 'grad', 'forward'] as const) expect(times.batches['4'][kind]).toBeGreaterThan(0);
    expect(times.threads).toBe(1);
  });

  it.skipIf(!python3HasTorch || !ARENA_DIR)("reproduces the ARENA checkpoint's golden loss and accuracy, and refuses when they differ", async () => {
    const lines: string[] = [];
    await runTorchReference(PY, { batches: [4], reps: 2, threads: 1, check: ARENA_DIR, onLine: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/ARENA check: loss 0\.0367980 \(golden 0\.0367980\), token accuracy 0\.99886 \(golden 0\.99886\)/);
    // the same files with a golden loss 1e-3 off: the check must fail
    const fixture = join(dir, 'fixture');
    mkdirSync(fixture);
    for (const f of ['arena-sorted-list.safetensors', 'eval-10000x21.u8']) copyFileSync(join(ARENA_DIR, f), join(fixture, f));
    const golden = JSON.parse(readFileSync(join(ARENA_DIR, 'arena-sorted-list.golden.json'), 'utf8'));
    golden.eval_10000.mean_loss += 1e-3;
    writeFileSync(join(fixture, 'arena-sorted-list.golden.json'), JSON.stringify(golden));
    const err = await failure(runTorchReference(PY, { batches: [4], reps: 2, threads: 1, check: fixture }));
    expect(err.message).toMatch(/does not reproduce the ARENA checkpoint's golden numbers/);
  }, 60_000);
});

describe('ratioRows', () => {
  it('puts PyTorch beside ours per batch size, with PyTorch/ours', () => {
    const torch: TorchTimes = { ...CANNED, batches: { '512': { train: 31.6, sgld: 36.8, grad: 37.7, forward: 21.05 }, '64': { train: 7, sgld: 6, grad: 4.5, forward: 2.2 } } };
    const ours = { '64': { train: 3.5, sgld: 6, 'sgld-zig': 4, 'sgld×4': 2, grad: 9, forward: 0 }, '128': { train: 1 } };
    expect(ratioRows(ours, torch, 'fused-wasm×2')).toEqual([
      '| batch 64 | PyTorch ms | fused-wasm×2 ms | PyTorch/fused-wasm×2 |',
      '|---|---:|---:|---:|',
      '| train | 7.00 | 3.50 | 2.00× |',
      '| sgld | 6.00 | 6.00 | 1.00× |',
      '| sgld-zig | 6.00 | 4.00 | 1.50× |',
      '| grad | 4.50 | 9.00 | 0.50× |',
      '',
    ]);
  });

  it('orders batch sizes numerically and skips those without numbers', () => {
    const ours = { '512': { train: 10 }, '64': { train: 1 }, '8': {} };
    const torch: TorchTimes = { ...CANNED, batches: { ...CANNED.batches, '8': { train: 1, sgld: 1, grad: 1, forward: 1 } } };
    const lines = ratioRows(ours, torch, 'ours');
    expect(lines.filter((l) => l.startsWith('| batch'))).toEqual(['| batch 64 | PyTorch ms | ours ms | PyTorch/ours |', '| batch 512 | PyTorch ms | ours ms | PyTorch/ours |']);
    expect(lines).toContain('| train | 31.60 | 10.00 | 3.16× |');
  });
});
