/**
 * `sortscope bench` through the CLI in a child process, with fake Python interpreters standing in
 * for PyTorch (torch cannot be installed from this project's registries): the PyTorch/ours table
 * from the reference's JSON, and clean refusals (exit 2, one line, no stack trace) for an
 * interpreter that is missing or has no torch — before any benchmarking.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
// made when the tests start, not while they are collected (a run filtering them all out would leave it)
let DIR: string;
beforeAll(() => {
  DIR = mkdtempSync(join(tmpdir(), 'ss-bench-cli-'));
});
afterAll(() => DIR && rmSync(DIR, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fake(name: string, body: string): string {
  const path = join(DIR, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('sortscope bench --torch', () => {
  it("lays PyTorch's times beside ours: ratio = PyTorch ms / ours", () => {
    const json = JSON.stringify({ torch: '9.9.9', python: '3.0', threads: 2, batches: { '4': { train: 1000, sgld: 2000, grad: 1000, forward: 500 } } });
    const py = fake('python-ok', `if [ "$1" = "-c" ]; then echo 9.9.9; exit 0; fi\necho "progress line" >&2\necho '${json}'`);
    const r = cli(['bench', '--batch', '4', '--reps', '10', '--engines', 'fused-wasm×1', '--torch', py]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/torch 9\.9\.9, python 3\.0, 2 threads/);
    const row = /\| train \| 1000\.00 \| ([\d.]+) \| ([\d.]+)× \|/.exec(r.stdout);
    expect(row).not.toBeNull();
    const [ours, ratio] = [Number(row![1]), Number(row![2])];
    expect(ours).toBeGreaterThan(0);
    expect(Math.abs((ratio * ours) / 1000 - 1)).toBeLessThan(0.15); // both printed rounded to 2 decimals
    // ours is the bench's own median for train at batch 4
    const benchRow = /\| train \| ([\d.]+) \| 1\.00 \|/.exec(r.stdout);
    expect(Number(benchRow![1])).toBe(ours);
    // the fraction of the SIMD floor: FLOP / measured peak against the bench's own grad median
    const floor = /batch 4: ([\d.]+) MFLOP, floor ([\d.]+) ms; fused-wasm×1 grad ([\d.]+) ms = (\d+)% of the floor/.exec(r.stdout);
    expect(floor).not.toBeNull();
    const gradRow = /\| grad \| ([\d.]+) \| 1\.00 \|/.exec(r.stdout);
    expect(Number(floor![3])).toBe(Number(gradRow![1]));
    expect(Number(floor![4])).toBeGreaterThan(0);
    // no step beats the machine's peak; when the peak's own timing was disturbed (a busy machine), the line says so
    expect(r.stdout.includes('above 100%: the machine was busier')).toBe(Number(floor![4]) > 100);
  }, 600_000);

  for (const [what, py, message] of [
    ['a missing interpreter', 'MISSING', /--torch: cannot run .*no-such-python: not found/],
    ['an interpreter without torch', 'NOTORCH', /--torch: .*python-notorch has no torch \(cannot import torch: ModuleNotFoundError: No module named 'torch'\)/],
  ] as const)
    it(`refuses ${what} at once (exit 2, one line, nothing measured)`, () => {
      const path = py === 'NOTORCH' ? fake('python-notorch', `echo "ModuleNotFoundError: No module named 'torch'" >&2\nexit 1`) : join(DIR, 'no-such-python');
      const t0 = performance.now();
      const r = cli(['bench', '--batch', '4', '--reps', '10', '--engines', 'fused-wasm×1', '--torch', path]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^sortscope: ConfigError: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(performance.now() - t0).toBeLessThan(30_000);
    }, 300_000);

  it('refuses a negative --chains', () => {
    const r = cli(['bench', '--chains', '-1']);
    expect(r.stderr).toMatch(/--chains: got -1/);
    expect(r.code).toBe(2);
  });
});
