import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterFiles, shellWord } from './cluster-jobs.ts';
import { useTempDirs } from '@sortscope/core/testing';

const tmp = useTempDirs('jobs');

const ROOT = resolve(import.meta.dirname, '../../..');

describe('cluster job files', () => {
  it('Slurm arrays of N shard tasks and a report job after them (the Kubernetes files: k8s-jobs.test.ts)', () => {
    const f = clusterFiles('full', 16, 'http://cache:8181', '/srv/sortscope');
    for (const text of Object.values(f)) expect(text).not.toMatch(/npx/); // npx outside the checkout asks the npm registry
    expect(f['shard.sbatch']).not.toMatch(/#SBATCH --array/); // submit.sh gives the arrays (arrayChunks)
    expect(f['shard.sbatch']).toMatch(/#SBATCH --time=24:00:00\n/);
    expect(f['shard.sbatch']).toMatch(/#SBATCH --no-requeue\n/);
    expect(f['shard.sbatch']).toMatch(/expected Node >= 20/);
    expect(f['shard.sbatch']).toMatch(/^repo=\$\{SORTSCOPE_REPO:-\/srv\/sortscope\}/m);
    expect(f['shard.sbatch']).toMatch(/command -v node/);
    // each task in a scratch workspace of its own: no shared artifacts/ or .nx/
    expect(f['shard.sbatch']).toMatch(/ws="\$\{SORTSCOPE_SCRATCH:-\$\{TMPDIR:-\/tmp\}\}\/sortscope-full-\$\{SLURM_ARRAY_JOB_ID:-\$\$\}-\$\{SLURM_ARRAY_TASK_ID\}"/);
    expect(f['shard.sbatch']).toMatch(/cp -R studies\/full "\$ws\/studies\/full"/);
    expect(f['shard.sbatch']).toMatch(/ln -s "\$repo\/node_modules" "\$ws\/node_modules"/);
    expect(f['shard.sbatch']).toMatch(/export NX_WORKSPACE_DATA_DIRECTORY="\$ws\/.nx\/workspace-data"/);
    expect(f['shard.sbatch']).toMatch(/shard=\$\(\( \$\{SORTSCOPE_SHARD_OFFSET:-0\} \+ SLURM_ARRAY_TASK_ID \+ 1 \)\)/);
    expect(f['shard.sbatch']).toMatch(/node "\$ws\/bin\/sortscope.mjs" study run --shard "\$shard\/16"/);
    expect(f['shard.sbatch']).toMatch(/export NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http:\/\/cache:8181/);
    expect(f['shard.sbatch']).toMatch(/NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN is not set/);
    expect(f['report.sbatch']).toMatch(/cd "\$repo"\nnode "\$repo\/bin\/sortscope.mjs" study run\n/);
    expect(f['submit.sh']).toMatch(/for chunk in 0:16; do/);
    expect(f['submit.sh']).toMatch(/--kill-on-invalid-dep=yes report.sbatch/);
    // the default study (quick): its folder is experiments/
    expect(clusterFiles('quick', 2, 'http://cache:8181', '/r')['shard.sbatch']).toMatch(/cp -R experiments "\$ws\/experiments"/);
  });

  it('quotes a checkout path with spaces or quotes, and the scripts parse (bash -n)', () => {
    expect(shellWord('/srv/sortscope')).toBe('/srv/sortscope');
    expect(shellWord("/home/o'neil/my repo")).toBe(`'/home/o'\\''neil/my repo'`);
    const dir = tmp();
    const f = clusterFiles('full', 3, 'http://cache:8181', "/home/o'neil/my repo $(touch pwned)");
    expect(f['shard.sbatch']).toContain(`repo=\${SORTSCOPE_REPO:-'/home/o'\\''neil/my repo $(touch pwned)'}`);
    for (const [name, text] of Object.entries(f)) {
      if (!/\.(sh|sbatch)$/.test(name)) continue;
      writeFileSync(join(dir, name), text);
      const r = spawnSync('bash', ['-n', join(dir, name)], { encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
    }
    // the checkout line alone, evaluated: the path comes back verbatim, nothing runs
    const line = f['shard.sbatch'].split('\n').find((l) => l.startsWith('repo='))!;
    const r = spawnSync('bash', ['-c', `${line}\nprintf %s "$repo"`], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.stdout).toBe("/home/o'neil/my repo $(touch pwned)");
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('sortscope study jobs writes them for the full study', () => {
    const out = tmp();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/sortscope.mjs'), 'study', 'jobs', '--study', 'full', '--shards', '12', '--out', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/study full: 102 experiments in 12 shards/);
    for (const f of ['shard.sbatch', 'report.sbatch', 'submit.sh', 'k8s-cache-server.yaml', 'k8s-job.yaml', 'k8s-report-job.yaml', 'k8s-submit.sh']) expect(existsSync(join(out, f))).toBe(true);
    for (const f of ['shard.sbatch', 'report.sbatch', 'submit.sh', 'k8s-submit.sh']) expect(statSync(join(out, f)).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(out, 'shard.sbatch'), 'utf8')).toMatch(/SORTSCOPE_STUDY=full/);
    // the jobs run a snapshot of the checkout's code taken now (snapshot.test.ts)
    const snapshots = readdirSync(out).filter((f) => f.startsWith('snapshot-'));
    expect(snapshots).toHaveLength(1);
    expect(readFileSync(join(out, 'shard.sbatch'), 'utf8')).toContain(`repo=\${SORTSCOPE_REPO:-${join(out, snapshots[0])}}`);
    expect(readFileSync(join(out, snapshots[0], 'SNAPSHOT'), 'utf8')).toMatch(/^(commit [0-9a-f]+( with uncommitted changes)?|not a git checkout)\n$/);
    expect(existsSync(join(out, snapshots[0], 'studies/full'))).toBe(true);
    expect(r.stderr).toMatch(/the Slurm jobs run the code frozen in .*snapshot-/);
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
      [['jobs', '--study', 'full', '--shards', '2', '--out', out, '--time', '1 day'], /--time: got "1 day"; expected a Slurm time limit/],
      [['jobs', '--study', 'full', '--shards', '2', '--out', out, '--partition', 'short\n#SBATCH --x'], /--partition: got .*; expected a partition name/],
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
