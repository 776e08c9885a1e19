/**
 * Lineage through the CLI: what the robustness probes fed the stages, refused before anything is
 * computed (exit 3, a message naming the file and the command that regenerates it, no stack
 * trace), and `plan` telling a finished stage from a started one.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStageFolders } from './testing.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

// a config of its own (n_train 700): no other test file writes these artifact folders
const tiny = (seed: number) => ({
  dataset: { list_length: 4, max_number: 15, n_train: 700, n_validation: 70, n_test: 0 },
  train: { seed, model: { d_model: 16, d_head: 8 }, batch_size: 32, epochs: 1, checkpoints: { log_spaced: 4, linear: 2 }, eval: { validation_rows: 70, train_rows: 70 } },
  circuits: { null_samples: 0, ablation_rows: 0, probe_rows: 0 },
});

let dir: string;
let a: string;
let b: string;
let plan: Record<string, { dir: string; done: boolean; started: boolean }>[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-lineage-'));
  [a, b] = [1, 2].map((seed) => {
    const f = join(dir, `seed${seed}.json`);
    writeFileSync(f, JSON.stringify(tiny(seed)));
    return f;
  });
  plan = [a, b].map((f) => JSON.parse(cli(['plan', '--json', f]).stdout)[0].stages);
}, 300_000);
afterAll(() => {
  removeStageFolders(ROOT, BIN, [a, b]);
  rmSync(dir, { recursive: true, force: true });
});

const refused = (r: ReturnType<typeof cli>, message: RegExp) => {
  expect(r.status, r.stderr).toBe(3);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
};

describe('lineage (CLI)', () => {
  it('refuses a dataset split copied over another, and trains once the dataset is regenerated', () => {
    expect(cli(['dataset', '--config', a, '--quiet']).status).toBe(0);
    const ds = join(ROOT, plan[0].dataset.dir);
    copyFileSync(join(ds, 'validation.arrow'), join(ds, 'train.arrow'));
    refused(cli(['train', '--config', a, '--quiet']), /dataset\/[0-9a-f]{16}\/train\.arrow was changed after the dataset stage wrote it .*rerun: npx sortscope dataset --config .*seed1\.json \(or npx nx run-many -t analyze --skip-nx-cache; if Nx restored the damage from its cache, npx nx reset clears the local one\)/);
    expect(existsSync(join(ROOT, plan[0].train.dir, 'checkpoints.arrow'))).toBe(false);
    expect(cli(['dataset', '--config', a, '--quiet']).status).toBe(0);
    expect(cli(['train', '--config', a, '--quiet']).status).toBe(0);
  }, 600_000);

  it('a rerun reuses a finished folder of the same key, recomputes one that does not verify, and --fresh recomputes', () => {
    const tr = join(ROOT, plan[0].train.dir);
    const before = statSync(join(tr, 'checkpoints.arrow')).mtimeMs;
    const again = cli(['train', '--config', a]);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/train: .* already holds this key's finished artifacts: reusing them \(--fresh recomputes\)/);
    expect(statSync(join(tr, 'checkpoints.arrow')).mtimeMs).toBe(before);
    writeFileSync(join(tr, 'metrics-steps.arrow'), 'damaged');
    const redo = cli(['train', '--config', a, '--quiet']);
    expect(redo.status).toBe(0);
    expect(redo.stderr).not.toMatch(/reusing/);
    const mtime = statSync(join(tr, 'checkpoints.arrow')).mtimeMs;
    expect(cli(['train', '--config', a]).stderr).toMatch(/reusing/);
    const freshRuns: { args: string[]; env: Record<string, string> }[] = [{ args: ['--fresh'], env: {} }, { args: [], env: { SORTSCOPE_FRESH: '1' } }];
    for (const fresh of freshRuns) {
      const r = cli(['train', '--config', a, ...fresh.args], fresh.env);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toMatch(/reusing/);
      expect(statSync(join(tr, 'checkpoints.arrow')).mtimeMs).toBeGreaterThan(mtime);
    }
  }, 600_000);

  it("refuses another run's checkpoints.arrow copied into this run's folder", () => {
    expect(cli(['train', '--config', b, '--quiet']).status).toBe(0);
    copyFileSync(join(ROOT, plan[1].train.dir, 'checkpoints.arrow'), join(ROOT, plan[0].train.dir, 'checkpoints.arrow'));
    refused(cli(['circuits', '--config', a, '--quiet']), /train\/[0-9a-f]{16}\/checkpoints\.arrow was changed after the train stage wrote it/);
    expect(existsSync(join(ROOT, plan[0].circuits.dir, 'measures.arrow'))).toBe(false);
  }, 600_000);

  it('refuses a folder holding another key (a cache entry or folder copied under this name)', () => {
    const tr = join(ROOT, plan[0].train.dir);
    rmSync(tr, { recursive: true, force: true });
    mkdirSync(tr, { recursive: true });
    for (const f of readdirSync(join(ROOT, plan[1].train.dir))) copyFileSync(join(ROOT, plan[1].train.dir, f), join(tr, f));
    refused(cli(['circuits', '--config', a, '--quiet']), /holds the artifacts of train [0-9a-f]{16}, not of [0-9a-f]{16} \(copied from another run\?\)/);
  }, 300_000);

  it('plan: a folder with only partial/ is started, not done', () => {
    const tr = join(ROOT, plan[0].train.dir);
    rmSync(tr, { recursive: true, force: true });
    mkdirSync(join(tr, 'partial'), { recursive: true });
    const p = JSON.parse(cli(['plan', '--json', a]).stdout)[0].stages;
    expect(p.dataset).toMatchObject({ done: true, started: false });
    expect(p.train).toMatchObject({ done: false, started: true });
    expect(cli(['plan', a]).stdout).toMatch(/train +artifacts\/train\/[0-9a-f]{16} +\(started, not finished\)/);
  });
});
