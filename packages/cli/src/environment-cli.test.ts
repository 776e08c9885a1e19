/**
 * The environment, from the command line (issue #29). A reader that goes away early is not a
 * failure (X19): `train … 2>&1 >/dev/null | head -c 20` must finish the folder and exit 0, and a
 * failing command keeps its own exit code. The pipes are closed before the child writes anything
 * (its read ends are destroyed at spawn), so every write of the child meets EPIPE: deterministic,
 * unlike a `head` racing the writer. A full disk (/dev/full), a port in use and an LLC batch larger
 * than the training rows are one clear line with exit 2–3, not a stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
const tmp = useTempDirs('closed-pipes');

/** Run the CLI in `cwd` (a workspace of its own: artifacts/ lands there) with stdout and stderr closed at once. */
function runWithClosedPipes(args: string[], cwd: string): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  child.stderr.destroy();
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

const config = {
  dataset: { list_length: 4, max_number: 15, n_train: 300, n_validation: 40, n_test: 0 },
  train: { model: { d_model: 16, d_head: 8 }, batch_size: 16, epochs: 2, checkpoints: { log_spaced: 5, linear: 3 }, eval: { validation_rows: 40, train_rows: 40 } },
};

describe('failures of the machine', () => {
  it('stdout on a full disk: exit 3, naming standard output', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, 'plan', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
      expect(r.stderr).toMatch(/^sortscope: EnvironmentError: no space left on the device while writing standard output: free some space/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.status).toBe(3);
    } finally {
      closeSync(full);
    }
  }, 120_000);

  it('a cache server on a port in use: exit 2, naming the address and --port', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [BIN, 'cache-server', '--dir', tmp(), '--port', String(port)], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stderr.trim()).toBe(`sortscope: EnvironmentError: cannot listen on 127.0.0.1:${port}: another process uses that port; choose another --port`);
      expect(r.status).toBe(2);
    } finally {
      busy.close();
    }
  }, 120_000);
});

describe('closed stdout and stderr', () => {
  it('do not change the exit code: the stages finish their folders (manifest included) and exit 0', async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'e.json'), JSON.stringify(config));
    expect(await runWithClosedPipes(['dataset', '--config', 'e.json', '--json'], cwd)).toBe(0);
    expect(await runWithClosedPipes(['train', '--config', 'e.json', '--json'], cwd)).toBe(0);
    const [key] = readdirSync(join(cwd, 'artifacts/train'));
    expect(existsSync(join(cwd, 'artifacts/train', key, 'manifest.json'))).toBe(true);

    // an LLC minibatch larger than the 300 training rows: refused in the main thread, before any chain
    const llc = spawnSync(process.execPath, [BIN, 'llc', '--config', 'e.json', '--batch_size', '1000', '--quiet'], { cwd, encoding: 'utf8' });
    expect(llc.stderr.trim()).toBe('sortscope: ConfigError: llc.batch_size: got 1000; expected at most 300, the training rows the chains draw their minibatches from');
    expect(llc.status).toBe(2);
  }, 300_000);

  it('a failing command keeps its own exit code', async () => {
    const cwd = tmp();
    expect(await runWithClosedPipes(['train', '--no-such-flag'], cwd)).toBe(2);
    expect(await runWithClosedPipes(['eval', '--weights', join(cwd, 'missing.safetensors')], cwd)).toBe(3);
  }, 120_000);
});
