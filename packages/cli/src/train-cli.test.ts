/**
 * The train stage through the CLI: a tiny run, killed mid-way and resumed, ends with exactly the
 * weights of an uninterrupted run, also when one of its partial checkpoints was damaged; a second
 * process on the same folder is refused; eval/export/import round-trip the result.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkpointSteps, readCheckpoints } from '@sortscope/train';
import { loadWeights } from '@sortscope/model';
import { describe, expect, it } from 'vitest';
import { removeStageFolders } from './testing.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/sortscope.mjs');
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

const TINY = {
  dataset: { list_length: 4, max_number: 15, n_train: 3000, n_validation: 300, n_test: 0 },
  train: { model: { d_model: 16, d_head: 8 }, batch_size: 32, epochs: 4, checkpoints: { log_spaced: 12, linear: 12 }, eval: { validation_rows: 300, train_rows: 300 } },
};

/** Start a run and SIGKILL it once the checkpoint at `step` (and so a resume state) is on disk. */
async function killAfterCheckpoint(args: string[], partial: string, step: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  const marker = join(partial, `ckpt-${String(step).padStart(9, '0')}.arrow`);
  while (child.exitCode === null && !existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
}

describe('sortscope train (CLI)', () => {
  it('resumes a killed run to the same final weights, bitwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-train-'));
    const exp = join(dir, 'tiny.json');
    writeFileSync(exp, JSON.stringify(TINY));
    expect(cli(['dataset', '--config', exp, '--quiet']).status).toBe(0);
    const whole = cli(['train', '--config', exp, '--out-dir', join(dir, 'whole'), '--quiet', '--backend', 'wasm']);
    expect(whole.stderr).toBe('');
    expect(whole.status).toBe(0);

    const out = join(dir, 'killed');
    const midway = checkpointSteps(376, 12, 12).find((s) => s >= 150)!; // 4 epochs × 94 steps
    await killAfterCheckpoint(['train', '--config', exp, '--out-dir', out, '--quiet', '--backend', 'wasm'], join(out, 'partial'), midway);
    expect(existsSync(join(out, 'final.safetensors'))).toBe(false);
    // a checkpoint cut short on disk (as a full disk or a copy would leave it) is found up front
    const steps = checkpointSteps(376, 12, 12);
    const damaged = steps[steps.indexOf(midway) - 2];
    const file = join(out, 'partial', `ckpt-${String(damaged).padStart(9, '0')}.arrow`);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const resumed = cli(['train', '--config', exp, '--out-dir', out, '--backend', 'wasm']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`train: checkpoint at step ${damaged} unusable .*; recomputing from the last sound checkpoint`));
    expect(resumed.stderr).toMatch(new RegExp(`train: resuming from step ${steps[steps.indexOf(damaged) - 1]} `));
    expect(readFileSync(join(out, 'final.safetensors')).equals(readFileSync(join(dir, 'whole', 'final.safetensors')))).toBe(true);
    for (const f of ['checkpoints.arrow', 'metrics-steps.arrow', 'metrics-checkpoints.arrow']) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(dir, 'whole', f)))).toBe(true);
    }
    expect(existsSync(join(out, 'partial'))).toBe(false);

    // eval reads the exported weights; export and import round-trip a checkpoint
    const ev = cli(['eval', '--weights', join(out, 'final.safetensors'), '--json', '--quiet', '--rows', '300']);
    expect(ev.status).toBe(0);
    const r = JSON.parse(ev.stdout);
    expect(r.head_ablation_loss_increase).toHaveLength(1);
    expect(r.head_ablation_loss_increase[0]).toHaveLength(2);
    expect(r.loss).toBeLessThan(1.5); // ln(16) = 2.77 at chance
    // the cross-engine sentinel: the fused engine and tfjs agree on the trained model
    const check = cli(['eval', '--weights', join(out, 'final.safetensors'), '--check-engines', '--json', '--quiet', '--rows', '300']);
    expect(check.status).toBe(0);
    const c = JSON.parse(check.stdout);
    expect(c.engines).toEqual(['fused-wasm', 'tfjs-wasm']);
    expect(c.agree).toBe(true);
    expect(c.max_diff.loss).toBeLessThan(1e-5);
    expect(c.loss[0]).toBeCloseTo(r.loss, 6);
    expect(cli(['export', '--checkpoints', join(out, 'checkpoints.arrow'), '--out', join(dir, 'last.safetensors'), '--quiet']).status).toBe(0);
    expect(loadWeights(join(dir, 'last.safetensors')).params).toEqual(loadWeights(join(out, 'final.safetensors')).params);
    expect(cli(['export', '--checkpoints', join(out, 'checkpoints.arrow'), '--step', '7', '--out', join(dir, 'x.safetensors')]).stderr).toMatch(/--step: got 7; expected one of the checkpoint steps 0, 1, 2/);
    expect(cli(['import', '--weights', join(dir, 'last.safetensors'), '--out', join(dir, 'imported.arrow'), '--quiet']).status).toBe(0);

    // two processes on one folder: the second is refused while the first runs; the first finishes whole
    const both = join(dir, 'both');
    // (the first run is made longer so that it is still running when the second starts: 100 epochs
    // train for ~4 s on an idle machine, the second is refused ~0.5 s after it starts)
    const first = spawn(process.execPath, [BIN, 'train', '--config', exp, '--epochs', '100', '--out-dir', both, '--quiet', '--backend', 'wasm'], { cwd: ROOT, stdio: 'ignore' });
    const firstDone = new Promise<number | null>((r) => first.on('exit', r));
    while (first.exitCode === null && !existsSync(join(both, '.lock'))) await new Promise((r) => setTimeout(r, 20));
    const second = cli(['train', '--config', exp, '--out-dir', both, '--quiet', '--backend', 'wasm']);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`another process is running the train stage in .*both \\(pid ${first.pid}\\)`));
    expect(second.stderr).not.toMatch(/\n\s+at /);
    expect(await firstDone).toBe(0);
    expect(readCheckpoints(join(both, 'checkpoints.arrow')).steps).toEqual(checkpointSteps(100 * 94, 12, 12));
    expect(existsSync(join(both, '.lock'))).toBe(false);
    removeStageFolders(ROOT, BIN, [exp]);
    rmSync(dir, { recursive: true, force: true });
  }, 900_000);
});
