import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sortscope CLI', () => {
  it('lists commands, and shows generated help for each', () => {
    expect(cli(['--help']).stdout).toMatch(/Commands:\n\s+dataset\s+Generate the sorting datasets/);
    const help = cli(['dataset', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--noise\.kind <none\|permute\|replace-sorted\|token>/);
  });

  it('exits 2 and writes nothing on a bad config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-cli-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ dataset: { noise: { kind: 'permute', p: 1.5 } } }));
    const r = cli(['dataset', '--config', join(dir, 'bad.json'), '--out-dir', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dataset\.noise\.p: got 1\.5; expected a number <= 1/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2 on an unknown flag or command', () => {
    expect(cli(['dataset', '--n_trian', '5']).code).toBe(2);
    expect(cli(['datset']).code).toBe(2);
  });

  it('writes the datasets and a JSON summary; the same config gives the same bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-cli-'));
    writeFileSync(join(dir, 'e.json'), JSON.stringify({ dataset: { n_train: 500, n_validation: 50, n_test: 50, noise: { kind: 'permute', p: 1 } } }));
    const a = cli(['dataset', '--config', join(dir, 'e.json'), '--out-dir', join(dir, 'a'), '--json', '--quiet']);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    const summary = JSON.parse(a.stdout);
    expect(summary.summary.bayes_loss.mean).toBeCloseTo(1.5104, 4);
    const b = cli(['dataset', '--config', join(dir, 'e.json'), '--n_train', '500', '--out-dir', join(dir, 'b'), '--quiet']);
    expect(b.code).toBe(0);
    expect(readFileSync(join(dir, 'a/train.arrow')).equals(readFileSync(join(dir, 'b/train.arrow')))).toBe(true);
  });

  it('refuses to run a stale Nx target (key mismatch)', () => {
    const r = cli(['dataset', '--expect-key', '0000000000000000', '--out-dir', join(mkdtempSync(join(tmpdir(), 'ss-cli-')), 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/resolves to key [0-9a-f]{16}, expected 0000000000000000/);
  });
});
