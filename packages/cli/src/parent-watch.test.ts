/**
 * A stage run by a pipeline ends with it (issue #29, F24): a stage started with --expect-key whose
 * parent is SIGKILLed stops within seconds, leaves no manifest and its sealed partial/, and the
 * next run resumes from there; partial/ is removed only after the manifest is written.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
const tmp = useTempDirs('parent-watch');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alive and not a zombie (an orphan's new parent may be slow to reap it). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// long enough (≈ 19,000 steps) to be killed mid-way on any machine
const config = {
  dataset: { list_length: 4, max_number: 15, n_train: 300, n_validation: 40, n_test: 0 },
  train: { model: { d_model: 16, d_head: 8 }, batch_size: 16, epochs: 1000, checkpoints: { log_spaced: 20, linear: 20 }, eval: { validation_rows: 40, train_rows: 40 } },
};

describe('a stage whose pipeline is killed', () => {
  it('stops within seconds, keeps its sealed resume state and no manifest; the next run resumes and finishes', async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, 'e.json'), JSON.stringify(config));
    const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
    expect(cli(['dataset', '--config', 'e.json', '--quiet']).status).toBe(0);
    const trainDir = join(cwd, JSON.parse(cli(['plan', '--json', 'e.json']).stdout)[0].stages.train.dir);
    const key = trainDir.split('/').at(-1)!;

    // a stand-in for Nx: starts the stage as its direct child (Nx's `exec node …`), prints its pid, waits
    const parentCode = `const c = require('node:child_process').spawn(process.execPath, ${JSON.stringify([BIN, 'train', '--config', 'e.json', '--expect-key', key, '--quiet'])}, { stdio: ['ignore', 'ignore', 'inherit'] }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentCode], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    parent.stderr.on('data', (d) => (stderr += d));
    const stagePid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
    const partial = join(trainDir, 'partial');
    const deadline = Date.now() + 240_000;
    // wait for a sealed resume state past step 0 (resume-000000000 is written at the start: killed
    // before the next one, as on a loaded machine, the rerun would resume from step 0)
    const pastStart = (f: string) => /^resume-\d+/.test(f) && !f.startsWith('resume-000000000.') && f.endsWith('.sha256');
    while (Date.now() < deadline && !(existsSync(partial) && readdirSync(partial).some(pastStart))) await sleep(10);
    expect(running(stagePid)).toBe(true);
    parent.kill('SIGKILL');

    const stopBy = Date.now() + 60_000;
    while (Date.now() < stopBy && running(stagePid)) await sleep(100);
    expect(running(stagePid), 'the stage outlived its killed parent').toBe(false);
    expect(stderr).toMatch(/the process that started this stage is gone/);
    expect(existsSync(join(trainDir, 'manifest.json'))).toBe(false);

    const resumed = cli(['train', '--config', 'e.json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/train: resuming from step [1-9]\d*/);
    expect(existsSync(join(trainDir, 'manifest.json'))).toBe(true);
    expect(existsSync(partial)).toBe(false); // removed once the manifest certified the result
  }, 600_000);
});
