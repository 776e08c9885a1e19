/**
 * The snapshot the cluster jobs run: after it is taken, editing the checkout changes nothing the
 * snapshot resolves or hashes. A stand-in checkout (a workspace package linked into node_modules as
 * npm workspaces do, a third-party dependency) and the real one (`node bin/sortscope.mjs` runs from
 * its snapshot and resolves `@sortscope/*` inside it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { snapshotCode } from './snapshot.ts';

const tmp = useTempDirs('snapshot');
const ROOT = resolve(import.meta.dirname, '../../..');

function standInCheckout(): string {
  const root = tmp();
  mkdirSync(join(root, 'packages/llc/src'), { recursive: true });
  writeFileSync(join(root, 'packages/llc/package.json'), JSON.stringify({ name: '@sortscope/llc', type: 'module', exports: './src/index.js' }));
  writeFileSync(join(root, 'packages/llc/src/index.js'), 'export const factor = 1;\n');
  mkdirSync(join(root, 'node_modules/@sortscope'), { recursive: true });
  symlinkSync('../../packages/llc', join(root, 'node_modules/@sortscope/llc'));
  mkdirSync(join(root, 'node_modules/dep'));
  writeFileSync(join(root, 'node_modules/dep/package.json'), JSON.stringify({ name: 'dep', type: 'module', exports: './index.js' }));
  writeFileSync(join(root, 'node_modules/dep/index.js'), 'export const dep = "d";\n');
  mkdirSync(join(root, 'studies/s'), { recursive: true });
  writeFileSync(join(root, 'studies/s/a.json'), '{}');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'x', type: 'module' }));
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin/run.mjs'), "import { factor } from '@sortscope/llc';\nimport { dep } from 'dep';\nconsole.log(factor, dep);\n");
  return root;
}

describe('the code snapshot of study jobs', () => {
  it('resolves the workspace packages inside itself: an edit to the checkout after it was taken changes nothing it runs', () => {
    const root = standInCheckout();
    const snap = join(tmp(), 'snapshot-1');
    snapshotCode(root, snap, 'studies/s', 'commit abc');
    writeFileSync(join(root, 'packages/llc/src/index.js'), 'export const factor = 2;\n'); // the edit a queued job must not see
    const run = (dir: string) => spawnSync(process.execPath, [join(dir, 'bin/run.mjs')], { encoding: 'utf8' }).stdout;
    expect(run(root)).toBe('2 d\n');
    expect(run(snap)).toBe('1 d\n');
    expect(realpathSync(join(snap, 'node_modules/@sortscope/llc'))).toBe(join(snap, 'packages/llc'));
    expect(realpathSync(join(snap, 'node_modules/dep'))).toBe(join(root, 'node_modules/dep')); // dependencies are linked, not copied
    expect(readFileSync(join(snap, 'studies/s/a.json'), 'utf8')).toBe('{}');
    expect(readFileSync(join(snap, 'SNAPSHOT'), 'utf8')).toBe('commit abc\n');
    // never overwritten: jobs may be running from it
    expect(() => snapshotCode(root, snap, 'studies/s', 'again')).toThrow(/exists; a snapshot is never overwritten/);
    expect(run(snap)).toBe('1 d\n');
  });

  it('of this checkout: the CLI runs from it and resolves @sortscope/* inside it', () => {
    const snap = join(tmp(), 'snapshot-real');
    snapshotCode(ROOT, snap, 'studies/slurm-e2e', 'test');
    expect(existsSync(join(snap, 'packages/cli/src/main.ts'))).toBe(true);
    expect(existsSync(join(snap, 'packages/core/node_modules'))).toBe(false);
    for (const p of ['core', 'llc', 'workspace', 'cli']) expect(realpathSync(join(snap, 'node_modules/@sortscope', p))).toBe(join(snap, 'packages', p));
    const r = spawnSync(process.execPath, [join(snap, 'bin/sortscope.mjs'), 'study', 'list', '--study', 'slurm-e2e', '--json'], { cwd: snap, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows).toHaveLength(2);
  });
});
