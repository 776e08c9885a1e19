/**
 * End-to-end check of the Nx promises in a scratch copy of the workspace: a second run is all
 * cache hits, a changed noise level reruns only that experiment's dataset, and a deleted
 * artifact is restored from the cache.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function scratchWorkspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ss-nx-'));
  for (const f of ['package.json', 'package-lock.json', '.gitignore', 'nx.json', '.env', 'tsconfig.json', 'bin', 'src', 'tools', 'packages']) cpSync(join(ROOT, f), join(ws, f), { recursive: true, filter: (s) => !s.includes('node_modules') });
  symlinkSync(join(ROOT, 'node_modules'), join(ws, 'node_modules'));
  return ws;
}

function experiment(ws: string, name: string, dataset: unknown): void {
  execFileSync('mkdir', ['-p', join(ws, 'experiments')]);
  writeFileSync(join(ws, 'experiments', `${name}.json`), JSON.stringify({ dataset }));
}

function analyze(ws: string): string {
  return execFileSync(join(ws, 'node_modules/.bin/nx'), ['run-many', '-t', 'analyze', '--outputStyle=static'], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', SORTSCOPE_QUIET: '1' },
  });
}

describe('Nx pipeline (scratch workspace)', () => {
  it('caches, reruns only what changed, restores deleted artifacts', () => {
    const ws = scratchWorkspace();
    const small = { n_train: 300, n_validation: 30, n_test: 30 };
    experiment(ws, 'clean', small);
    experiment(ws, 'noisy', { ...small, noise: { kind: 'token', p: 0.1 } });
    const first = analyze(ws);
    expect(first).toMatch(/Successfully ran target analyze for 4 projects/);
    expect(first).toMatch(/Cache:\s+0\/4 hit/);

    const second = analyze(ws);
    expect(second).toMatch(/Cache:\s+4\/4 hit \(100%\)/);

    experiment(ws, 'noisy', { ...small, noise: { kind: 'token', p: 0.2 } });
    const third = analyze(ws);
    expect(third).toMatch(/Cache:\s+3\/4 hit/); // only the new noisy dataset ran
    const fresh = [...third.matchAll(/nx run (dataset-[0-9a-f]+):analyze\s*$/gm)].map((m) => m[1]);
    expect(fresh).toHaveLength(1);
    expect(third).toMatch(/--config experiments\/noisy\.json/);

    const dir = join(ws, 'artifacts', 'dataset');
    const cleanKey = execFileSync('ls', [dir], { encoding: 'utf8' }).trim().split('\n');
    rmSync(join(dir, cleanKey[0]), { recursive: true });
    const fourth = analyze(ws);
    expect(fourth).toMatch(/Cache:\s+4\/4 hit/);
    expect(existsSync(join(dir, cleanKey[0], 'train.arrow'))).toBe(true);
  }, 120_000);
});
