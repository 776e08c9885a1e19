import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterFiles } from './study-command.ts';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('jobs');

const ROOT = resolve(import.meta.dirname, '..');

describe('cluster job files', () => {
  it('a Slurm array of N shard tasks, a report job after them, and a Kubernetes Indexed Job', () => {
    const f = clusterFiles('full', 16, 'http://cache:8181', 'img:1');
    expect(f['shard.sbatch']).toMatch(/#SBATCH --array=1-16/);
    expect(f['shard.sbatch']).toMatch(/npx sortscope study run --shard "\$\{SLURM_ARRAY_TASK_ID\}\/16"/);
    expect(f['shard.sbatch']).toMatch(/export NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http:\/\/cache:8181/);
    expect(f['submit.sh']).toMatch(/sbatch --dependency=afterok:\$\{array\} report.sbatch/);
    expect(f['k8s-job.yaml']).toMatch(/completionMode: Indexed\n {2}completions: 16\n {2}parallelism: 16/);
    expect(f['k8s-job.yaml']).toMatch(/--shard \$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/16/);
  });

  it('sortscope study jobs writes them for the full study', () => {
    const out = tmp();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'study', 'jobs', '--study', 'full', '--shards', '12', '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/study full: 102 experiments in 12 shards/);
    for (const f of ['shard.sbatch', 'report.sbatch', 'submit.sh', 'k8s-job.yaml']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'shard.sbatch'), 'utf8')).toMatch(/SORTSCOPE_STUDY=full/);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'study', 'run', '--study', 'full', '--shard', '13/12'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--shard: got "13\/12"; expected i\/N with 1 <= i <= N/);
  });

  it('refuses text that would break out of the job files, a fractional shard count and a study that is a path', () => {
    const out = tmp();
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'study', ...args], { cwd: ROOT, encoding: 'utf8' });
    const cases: [string[], RegExp][] = [
      [['jobs', '--study', 'full', '--shards', '2', '--out', out, '--cache-url', "http://x'; rm -rf ~; '"], /--cache-url: got .*; expected an http\(s\) URL/],
      [['jobs', '--study', 'full', '--shards', '2', '--out', out, '--image', 'img"\n  evil: 1'], /--image: got .*; expected a container image reference/],
      [['list', '--study', 'full', '--shards', '1.5'], /--shards: got 1\.5; expected a positive integer/],
      [['list', '--study', '..'], /--study: got "\.\."; expected a study name/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readdirSync(out)).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  });
});
