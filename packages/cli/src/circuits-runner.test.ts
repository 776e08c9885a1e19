/**
 * `sortscope circuits --weights FILE`: the result goes to stdout (the head lines, or the JSON with
 * --json) and only the log line to stderr, as for `eval` and `llc --weights`.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ARENA_WEIGHTS } from '@sortscope/model/testing';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
const SMALL = ['--null_samples', '10', '--ablation_rows', '50', '--probe_rows', '50'];

describe('sortscope circuits --weights', () => {
  it('prints the result to stdout and the log line to stderr', () => {
    const r = cli(['circuits', '--weights', ARENA_WEIGHTS, ...SMALL]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^L0H0: copies 28-36 \(1 region\), ablation \+0\.\d{4}, OV T_norm .*\nL0H1: copies 0-27, 37-50 \(2 regions\), .*\n$/);
    expect(r.stderr).toMatch(/^circuits: .*arena-sorted-list\.safetensors \(49684 parameters\) on 50 fresh clean sequences .*\n$/);
    // quiet: the result alone; --json: the JSON alone on stdout
    const quiet = cli(['circuits', '--weights', ARENA_WEIGHTS, ...SMALL, '--quiet']);
    expect([quiet.stdout, quiet.stderr]).toEqual([r.stdout, '']);
    const json = cli(['circuits', '--weights', ARENA_WEIGHTS, ...SMALL, '--json', '--quiet']);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).summary.specialisation).toHaveLength(2);
  });

  it('leaves out what was not measured (no ablation rows: no ablation, not "null")', () => {
    const r = cli(['circuits', '--weights', ARENA_WEIGHTS, '--null_samples', '0', '--ablation_rows', '0', '--probe_rows', '20', '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^L0H0: copies 28-36 \(1 region\), OV T_norm /);
    expect(r.stdout).not.toMatch(/ablation|null/);
  });

  it('needs no sequences at all with ablation_rows and probe_rows 0 (was a zod stack trace)', () => {
    const r = cli(['circuits', '--weights', ARENA_WEIGHTS, '--null_samples', '0', '--ablation_rows', '0', '--probe_rows', '0', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^L0H0: copies 28-36 \(1 region\)/);
  });
});
