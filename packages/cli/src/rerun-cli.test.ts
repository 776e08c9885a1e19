/**
 * A rerun never destroys a finished result (issue #29, F03/F05): a plain rerun over a folder that
 * holds this key's finished artifacts reuses them; with --fresh it computes beside them (in `.next`)
 * and swaps its result in at the end. Killed mid-way, the finished folder still verifies and
 * downstream stages read it; the next rerun, --fresh or not, resumes the cut-short work and gives
 * the same bytes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStageFolders } from './testing.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

// a config of its own (n_train 710): no other test file writes these artifact folders
const config = {
  dataset: { list_length: 4, max_number: 15, n_train: 710, n_validation: 70, n_test: 0 },
  train: { seed: 5, model: { d_model: 16, d_head: 8 }, batch_size: 16, epochs: 40, checkpoints: { log_spaced: 30, linear: 30 }, eval: { validation_rows: 70, train_rows: 70 } },
  circuits: { null_samples: 0, ablation_rows: 0, probe_rows: 0 },
};

let dir: string;
let file: string;
let trainDir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-rerun-'));
  file = join(dir, 'rerun.json');
  writeFileSync(file, JSON.stringify(config));
  trainDir = join(ROOT, JSON.parse(cli(['plan', '--json', file]).stdout)[0].stages.train.dir);
}, 300_000);
afterAll(() => {
  removeStageFolders(ROOT, BIN, [file]);
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (d: string) => Object.fromEntries(readdirSync(d).filter((f) => f.endsWith('.arrow') || f === 'manifest.json').map((f) => [f, readFileSync(join(d, f)).toString('base64')]));

/** Start a rerun and SIGKILL it once it has written and sealed a resume state in `.next/partial`. */
async function killedRerun(): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'train', '--config', file, '--fresh', '--quiet'], { cwd: ROOT, stdio: 'ignore' });
  const partial = join(trainDir, '.next', 'partial');
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline && !(existsSync(partial) && readdirSync(partial).some((f) => f.startsWith('resume') && f.endsWith('.sha256')))) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

describe('a rerun over a finished folder (CLI)', () => {
  it('killed mid-way, it leaves the finished result certified and readable; the next rerun resumes and swaps in the same bytes', async () => {
    expect(cli(['dataset', '--config', file, '--quiet']).status).toBe(0);
    expect(cli(['train', '--config', file, '--quiet']).status).toBe(0);
    const before = bytes(trainDir);
    const plain = cli(['train', '--config', file]); // finished: reused, nothing computed
    expect(plain.status).toBe(0);
    expect(plain.stderr).toMatch(/already holds this key's finished artifacts: reusing them \(--fresh recomputes\)/);
    expect(existsSync(join(trainDir, '.next'))).toBe(false);
    await killedRerun();
    expect(existsSync(join(trainDir, '.next', 'partial'))).toBe(true); // the rerun's work, kept for resuming
    expect(bytes(trainDir)).toEqual(before); // the finished result untouched, manifest included
    const circuits = cli(['circuits', '--config', file, '--quiet']);
    expect(circuits.status, circuits.stderr).toBe(0); // downstream reads it
    const redo = cli(['train', '--config', file]);
    expect(redo.status, redo.stderr).toBe(0);
    expect(redo.stderr, redo.stderr).toMatch(/train: resuming from step \d+/);
    expect(existsSync(join(trainDir, '.next'))).toBe(false);
    // deterministic: the same artifacts (the manifest differs only by run-info.json's wall time), certified again
    const after = bytes(trainDir);
    expect(Object.keys(before).filter((f) => before[f] !== after[f])).toEqual(['manifest.json']);
    const manifest = (b: Record<string, string>) => JSON.parse(Buffer.from(b['manifest.json'], 'base64').toString());
    const [m0, m1] = [manifest(before), manifest(after)];
    expect(Object.keys(m1.files)).toEqual(Object.keys(m0.files));
    expect(Object.keys(m0.files).filter((f) => m0.files[f] !== m1.files[f])).toEqual(['run-info.json']);
    expect(cli(['circuits', '--config', file, '--quiet']).status).toBe(0);
  }, 900_000);
});
