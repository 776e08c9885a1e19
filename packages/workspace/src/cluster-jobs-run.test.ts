/**
 * The generated Slurm scripts, run by bash with stand-ins for `sbatch` (records its arguments,
 * answers job ids as `sbatch --parsable` does) and `node` (records the command; answers the
 * version check): the arrays under MaxArraySize with their offsets and throttle, the report's
 * dependency on every array, the shard number each task runs, and the scratch workspace kept for a
 * requeued task and removed once its shard succeeds. No Slurm is needed (scripts/slurm-local.sh
 * runs them under a real one).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '@sortscope/core/testing';
import { arrayChunks, clusterFiles, type SlurmOptions } from './cluster-jobs.ts';

const tmp = useTempDirs('jobs-run');

function tool(dir: string, name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

/** The job files in a folder, a stand-in checkout, and bin/ with the stand-ins; `node` fails its runs when $NODE_FAILS is 1. */
function setup(shards: number, slurm: SlurmOptions, nodeMajor = 22) {
  const dir = tmp();
  const repo = join(dir, 'repo');
  for (const d of ['bin', 'tools', 'packages', 'node_modules', 'studies/full']) mkdirSync(join(repo, d), { recursive: true });
  for (const f of ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.json', '.gitignore', 'bin/sortscope.mjs']) writeFileSync(join(repo, f), '');
  const jobs = join(dir, 'jobs');
  mkdirSync(jobs);
  for (const [name, text] of Object.entries(clusterFiles('full', shards, 'http://cache:8181', repo, slurm))) {
    writeFileSync(join(jobs, name), text);
    chmodSync(join(jobs, name), 0o755);
  }
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  tool(bin, 'sbatch', `n=$(( $(cat "${log}.n" 2>/dev/null || echo 1000) + 1 )); echo $n > "${log}.n"\necho "sbatch $*" >> "${log}"\necho "$n;cluster"`);
  tool(bin, 'node', `if [ "$1" = -e ]; then [ ${nodeMajor} -ge 20 ]; exit; fi\nif [ "$1" = --version ]; then echo v${nodeMajor}.0.0; exit; fi\necho "node $*" >> "${log}"\n[ "\${NODE_FAILS:-0}" != 1 ]`);
  const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: 't' };
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  const run = (script: string, extra: Record<string, string> = {}) => spawnSync('bash', [join(jobs, script)], { cwd: dir, encoding: 'utf8', env: { ...env, ...extra } });
  return { dir, repo, calls, run };
}

describe('the Slurm scripts, run', () => {
  it('arrayChunks: task ids below MaxArraySize', () => {
    expect(arrayChunks(16, 8)).toEqual([[0, 8], [8, 8]]);
    expect(arrayChunks(17, 8)).toEqual([[0, 8], [8, 8], [16, 1]]);
    expect(arrayChunks(3)).toEqual([[0, 3]]);
  });

  it('submit.sh: 17 shards under MaxArraySize 8 go in three throttled arrays, and the report waits for all three (--kill-on-invalid-dep: a failed shard cancels it)', () => {
    const s = setup(17, { maxArraySize: 8, maxRunning: 4 });
    const r = s.run('submit.sh');
    expect(r.status, r.stderr).toBe(0);
    expect(s.calls()).toEqual([
      'sbatch --parsable --array=0-7%4 --export=ALL,SORTSCOPE_SHARD_OFFSET=0 shard.sbatch',
      'sbatch --parsable --array=0-7%4 --export=ALL,SORTSCOPE_SHARD_OFFSET=8 shard.sbatch',
      'sbatch --parsable --array=0-0%4 --export=ALL,SORTSCOPE_SHARD_OFFSET=16 shard.sbatch',
      'sbatch --parsable --dependency=afterok:1001:1002:1003 --kill-on-invalid-dep=yes report.sbatch',
    ]);
    expect(r.stdout).toBe('shards: job(s) 1001 1002 1003; report: job 1004\n');
  });

  it('shard.sbatch: task 2 of the array at offset 8 runs shard 11 in its own scratch workspace, removed afterwards', () => {
    const s = setup(16, { maxArraySize: 8 });
    const scratch = join(s.dir, 'scratch');
    const r = s.run('shard.sbatch', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_JOB_ID: '77', SORTSCOPE_SHARD_OFFSET: '8', SORTSCOPE_SCRATCH: scratch });
    expect(r.status, r.stderr).toBe(0);
    expect(s.calls()).toEqual([`node ${scratch}/sortscope-full-77-2/bin/sortscope.mjs study run --shard 11/16`]);
    expect(existsSync(join(scratch, 'sortscope-full-77-2'))).toBe(false);
    // outside an array: refused, with the way to submit
    const alone = s.run('shard.sbatch', { SORTSCOPE_SCRATCH: scratch });
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(/not an array task; submit with submit\.sh/);
  });

  it('--requeue: a failed or preempted task keeps its scratch workspace, and its requeued run resumes there, then removes it', () => {
    const s = setup(4, { requeue: true, time: '12:00:00', mem: '8G', partition: 'short', account: 'lab', qos: 'normal' });
    const scratch = join(s.dir, 'scratch');
    const ws = join(scratch, 'sortscope-full-5-0');
    const task = { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_JOB_ID: '5', SORTSCOPE_SCRATCH: scratch };
    expect(s.run('shard.sbatch', { ...task, NODE_FAILS: '1' }).status).toBe(1);
    expect(existsSync(join(ws, 'bin/sortscope.mjs'))).toBe(true);
    writeFileSync(join(ws, 'partial-state'), 'checkpoint'); // what the interrupted stages left
    const again = s.run('shard.sbatch', { ...task, SLURM_RESTART_COUNT: '1' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/shard 1 requeued \(restart 1\): resuming in .*sortscope-full-5-0/);
    expect(s.calls()).toEqual([`node ${ws}/bin/sortscope.mjs study run --shard 1/4`, `node ${ws}/bin/sortscope.mjs study run --shard 1/4`]);
    expect(existsSync(ws)).toBe(false);
    const text = readFileSync(join(s.dir, 'jobs/shard.sbatch'), 'utf8');
    for (const line of ['--requeue', '--time=12:00:00', '--mem=8G', '--partition=short', '--account=lab', '--qos=normal']) expect(text).toContain(`#SBATCH ${line}\n`);
    expect(readFileSync(join(s.dir, 'jobs/report.sbatch'), 'utf8')).toContain('#SBATCH --partition=short\n');
  });

  it('refuses to start on a node with Node < 20, or where the checkout is not visible, saying which', () => {
    const old = setup(2, {}, 18);
    const r = old.run('shard.sbatch', { SLURM_ARRAY_TASK_ID: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/node v18\.0\.0 on .*; expected Node >= 20/);
    const s = setup(2, {});
    const gone = s.run('report.sbatch', { SORTSCOPE_REPO: join(s.dir, 'not-mounted') });
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/the code .*not-mounted \(the snapshot of study jobs, with node_modules\) is not visible on .*; .*SORTSCOPE_REPO/);
    expect(s.calls()).toEqual([]);
  });
});
