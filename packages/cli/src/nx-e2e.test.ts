/**
 * End-to-end check of the Nx promises in a scratch copy of the workspace: a second run is all
 * cache hits; a changed noise level reruns only that experiment's dataset and training; a changed
 * train section reruns only that training; a deleted artifact is restored from the cache.
 */
import { execFileSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('nx');

const ROOT = resolve(import.meta.dirname, '../../..');

function scratchWorkspace(): string {
  const ws = tmp();
  for (const f of ['package.json', 'package-lock.json', '.gitignore', 'nx.json', '.env', 'tsconfig.json', 'bin', 'tools', 'packages']) {
    cpSync(join(ROOT, f), join(ws, f), { recursive: true, filter: (s) => !s.includes('node_modules') });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(ws, 'node_modules'));
  mkdirSync(join(ws, 'experiments'));
  // the report's PNG figures and GIFs are not what this checks (report/src/stage.test.ts does), and
  // drawing them at each of the six runs took most of the time
  writeFileSync(join(ws, 'experiments', 'report.json'), JSON.stringify({ figures: false, gifs: false }));
  return ws;
}

const TINY_DATA = { list_length: 4, max_number: 15, n_train: 600, n_validation: 60, n_test: 0 };
const TINY_TRAIN = { model: { d_model: 16, d_head: 8 }, batch_size: 64, epochs: 2, checkpoints: { log_spaced: 4, linear: 2 }, eval: { validation_rows: 60, train_rows: 60 } };
const TINY_LLC = { batch_size: 32, chains: 2, draws: 10, epsilon: 1e-5, gamma: 1000, checkpoints: { every: 100 } };

function experiment(ws: string, name: string, dataset: object, train: object = TINY_TRAIN, llc: object = TINY_LLC): void {
  writeFileSync(join(ws, 'experiments', `${name}.json`), JSON.stringify({ dataset: { ...TINY_DATA, ...dataset }, train, llc }));
}

function analyze(ws: string): { out: string; ran: string[] } {
  // CI runners force colours; strip them so the log can be parsed line by line
  const out = stripVTControlCharacters(
    execFileSync(join(ws, 'node_modules/.bin/nx'), ['run-many', '-t', 'analyze', '--outputStyle=static'], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', SORTSCOPE_QUIET: '1', SORTSCOPE_BACKEND: 'wasm' },
    }),
  );
  // tasks that ran their command (not replayed from the cache)
  const ran = [...out.matchAll(/^> nx run ([a-z]+)--\S+:analyze\s*$/gm)].map((m) => m[1]);
  return { out, ran: ran.sort() };
}

describe('Nx pipeline (scratch workspace)', () => {
  it('caches, reruns only what changed, restores deleted artifacts', () => {
    const ws = scratchWorkspace();
    experiment(ws, 'clean', {});
    experiment(ws, 'noisy', { noise: { kind: 'token', p: 0.1 } });
    const first = analyze(ws);
    expect(first.out).toMatch(/Successfully ran target analyze for 11 projects/);
    expect(first.ran).toEqual(['circuits', 'circuits', 'dataset', 'dataset', 'llc', 'llc', 'train', 'train']);

    expect(analyze(ws).out).toMatch(/Cache:\s+11\/11 hit \(100%\)/);

    experiment(ws, 'noisy', { noise: { kind: 'token', p: 0.2 } });
    expect(analyze(ws).ran).toEqual(['circuits', 'dataset', 'llc', 'train']); // the clean experiment is untouched

    experiment(ws, 'clean', {}, { ...TINY_TRAIN, lr: 2e-3 });
    expect(analyze(ws).ran).toEqual(['circuits', 'llc', 'train']); // a train-only edit keeps the dataset

    experiment(ws, 'clean', {}, { ...TINY_TRAIN, lr: 2e-3 }, { ...TINY_LLC, draws: 12 });
    expect(analyze(ws).ran).toEqual(['llc']); // an llc-only edit does not retrain

    rmSync(join(ws, 'artifacts'), { recursive: true });
    const restored = analyze(ws);
    expect(restored.ran).toEqual([]);
    const plan = JSON.parse(execFileSync(process.execPath, [join(ws, 'bin/sortscope.mjs'), 'plan', '--json'], { cwd: ws, encoding: 'utf8' }));
    for (const e of plan) {
      expect(existsSync(join(ws, e.stages.dataset.dir, 'train.arrow'))).toBe(true);
      expect(existsSync(join(ws, e.stages.train.dir, 'checkpoints.arrow'))).toBe(true);
    }
  }, 900_000);
});
