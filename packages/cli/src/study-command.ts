/**
 * `sortscope study`: run a study (the experiments of experiments/, or of studies/<name>/ with
 * sweeps expanded) through Nx, whole or one shard of it, and generate cluster job files.
 *
 *   sortscope study run [--study full] [--shard 3/16]     one machine's share (or everything)
 *   sortscope study jobs --study full --shards 16 --out cluster/   Slurm array + Kubernetes Indexed Job
 *   sortscope study list [--study full] [--shards 16]     members, their shard and keys
 *   sortscope cache-server --dir /shared/nx-cache          the shared remote cache (cache-server.ts)
 *
 * A shard runs `nx run-many -t analyze --projects=<its experiments>`; a run without --shard also
 * builds the study's report. Point every machine at the same cache server
 * (NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http://host:port): what one computed, the others replay.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_MAX_BYTES } from '@sortscope/cache-server';
import { ConfigError } from '@sortscope/core/errors';
import { log } from '@sortscope/core/progress';
import { DEFAULT_STUDY } from '@sortscope/workspace/defaults';
import type { Command } from './command.ts';

/** The workspace (experiments, plan, shards): loaded when a command runs, not for --help. */
const workspace = () => import('@sortscope/workspace');
type Workspace = Awaited<ReturnType<typeof workspace>>;

export const STUDY = { name: 'study', type: 'string' as const, value: 'NAME', description: `the study: ${DEFAULT_STUDY} (experiments/) or a folder of studies/ [default: $SORTSCOPE_STUDY or ${DEFAULT_STUDY}]` };

/** The study of --study (else SORTSCOPE_STUDY): a plain folder name of an existing study. */
export function studyOf(w: Workspace, g: Record<string, unknown>, root: string): string {
  if (g.study !== undefined) return w.requireStudy(String(g.study), '--study', root);
  return w.requireStudy(w.currentStudy(), 'SORTSCOPE_STUDY', root);
}

/** A whole number >= 1 from a number flag, or the fallback when the flag is absent. */
function positiveInt(v: unknown, flag: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`${flag}: got ${v === undefined ? 'nothing' : String(v)}; expected a positive integer`);
  return v;
}

/** Text pasted into the generated shell scripts and YAML: refuse anything that could break out of them. */
function checkCacheUrl(url: string, source: string): string {
  if (!/^https?:\/\/[A-Za-z0-9._~:@\[\]%/-]+$/.test(url)) throw new ConfigError(`${source}: got ${JSON.stringify(url)}; expected an http(s) URL such as http://cache-host:8181 (no spaces or quotes)`);
  return url;
}

function checkImage(image: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(image)) throw new ConfigError(`--image: got ${JSON.stringify(image)}; expected a container image reference such as sortscope:latest (letters, digits, . _ / : @ -)`);
  return image;
}

function parseShard(v: unknown): [number, number] | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(String(v));
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new ConfigError(`--shard: got ${JSON.stringify(v)}; expected i/N with 1 <= i <= N (e.g. 3/16)`);
  return [Number(m[1]), Number(m[2])];
}

export function experimentsOf(w: Workspace, root: string, study: string) {
  const refs = w.studyRefs(root, study);
  if (refs.length === 0) throw new ConfigError(`study '${study}' has no experiments (expected *.json or *.sweep.json files under ${study === DEFAULT_STUDY ? 'experiments/' : `studies/${study}/`})`);
  return refs.map((r) => w.loadExperiment(r, root));
}

export const studyRunCommand: Command = {
  spec: {
    name: 'study run',
    summary: "Run a study's experiments through Nx: all of them and the report, or one shard (--shard i/N).",
    globals: [STUDY, { name: 'shard', type: 'string', value: 'i/N', description: 'run only shard i of N (experiments sharing a training run stay together)' }, { name: 'parallel', type: 'number', value: 'N', description: 'Nx tasks at once [default: 2]', integer: { min: 1, max: 64 } }],
  },
  async run(args, root) {
    const w = await workspace();
    const study = studyOf(w, args.globals, root);
    const shard = parseShard(args.globals.shard);
    const nxArgs = ['run-many', '-t', 'analyze', `--parallel=${positiveInt(args.globals.parallel, '--parallel', 2)}`, '--outputStyle=static'];
    if (shard) {
      const projects = w.assignShards(experimentsOf(w, root, study), shard[1])[shard[0] - 1];
      if (projects.length === 0) {
        log(`study ${study}: shard ${shard[0]}/${shard[1]} is empty`);
        return 0;
      }
      nxArgs.push(`--projects=${projects.join(',')}`);
      log(`study ${study}: shard ${shard[0]}/${shard[1]}: ${projects.length} experiments`);
    }
    const r = spawnSync(join(root, 'node_modules/.bin/nx'), nxArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, SORTSCOPE_STUDY: study } });
    return r.status ?? 1;
  },
};

export const studyListCommand: Command = {
  spec: {
    name: 'study list',
    summary: "List a study's experiments (sweeps expanded), their shard and their stage keys.",
    globals: [STUDY, { name: 'shards', type: 'number', value: 'N', description: 'show the shard of each experiment for N shards [default: 1]' }, { name: 'json', type: 'boolean', description: 'print JSON' }],
  },
  async run(args, root) {
    const w = await workspace();
    const study = studyOf(w, args.globals, root);
    const exps = experimentsOf(w, root, study);
    const shards = w.assignShards(exps, positiveInt(args.globals.shards, '--shards', 1));
    const rows = exps.map((e) => ({
      experiment: e.name,
      project: w.experimentProjectName(e.name),
      file: e.file,
      shard: shards.findIndex((s) => s.includes(w.experimentProjectName(e.name))) + 1,
      keys: Object.fromEntries(Object.entries(w.experimentKeys(e.config)).map(([k, v]) => [k, v.key])),
    }));
    if (args.globals.json) process.stdout.write(`${JSON.stringify({ study, rows }, null, 2)}\n`);
    else for (const r of rows) process.stdout.write(`${String(r.shard).padStart(3)}  ${r.experiment}  (${r.file})\n`);
    return 0;
  },
};

export const studyJobsCommand: Command = {
  spec: {
    name: 'study jobs',
    summary: 'Write a Slurm job array and a Kubernetes Indexed Job that run a study in N shards, then its report.',
    globals: [
      STUDY,
      { name: 'shards', type: 'number', value: 'N', description: 'number of shards (array tasks / job completions) (required)' },
      { name: 'out', type: 'string', value: 'DIR', description: 'where to write the files [default: cluster/<study>/]' },
      { name: 'cache-url', type: 'string', value: 'URL', description: 'the shared Nx cache server [default: $NX_SELF_HOSTED_REMOTE_CACHE_SERVER or http://cache-host:8181]' },
      { name: 'image', type: 'string', value: 'IMAGE', description: 'Kubernetes: the image built from the Dockerfile, with the registry the cluster pulls from (e.g. registry.example.org/lab/sortscope:1) [default: sortscope:latest, a local name]' },
      { name: 'pull-policy', type: 'string', value: 'POLICY', description: 'Kubernetes: imagePullPolicy, Always, IfNotPresent or Never [default: IfNotPresent]' },
      { name: 'report-storage', type: 'string', value: 'SIZE', description: "Kubernetes: the report's artifacts volume [default: 20Gi]" },
      { name: 'cache-storage', type: 'string', value: 'SIZE', description: "Kubernetes: the cache server's volume [default: 50Gi]" },
      { name: 'time', type: 'string', value: 'LIMIT', description: "a shard task's Slurm time limit (HH:MM:SS, D-HH:MM:SS, minutes) [default: 24:00:00]" },
      { name: 'report-time', type: 'string', value: 'LIMIT', description: "the report job's Slurm time limit [default: 02:00:00]" },
      { name: 'mem', type: 'string', value: 'SIZE', description: 'Slurm memory per task, e.g. 8G [default: the site\'s]' },
      { name: 'partition', type: 'string', value: 'NAME', description: 'Slurm partition(s)' },
      { name: 'account', type: 'string', value: 'NAME', description: 'Slurm account' },
      { name: 'qos', type: 'string', value: 'NAME', description: 'Slurm quality of service' },
      { name: 'max-running', type: 'number', value: 'N', description: 'at most N shard tasks of an array at once (--array=…%N)' },
      { name: 'max-array-size', type: 'number', value: 'N', description: "the site's MaxArraySize (scontrol show config): more shards go in several arrays [default: 1001]" },
      { name: 'requeue', type: 'boolean', description: 'let Slurm requeue a preempted task; it resumes in its kept scratch workspace' },
    ],
  },
  async run(args, root) {
    const w = await workspace();
    const study = studyOf(w, args.globals, root);
    if (args.globals.shards === undefined) throw new ConfigError('--shards: required; expected a positive integer (the number of machines or array tasks)');
    const n = positiveInt(args.globals.shards, '--shards');
    const out = args.globals.out !== undefined ? w.checkOutDir(String(args.globals.out), '--out') : join(root, 'cluster', study);
    const fromFlag = args.globals['cache-url'] !== undefined;
    const cache = checkCacheUrl(fromFlag ? String(args.globals['cache-url']) : (process.env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER ?? 'http://cache-host:8181'), fromFlag ? '--cache-url' : 'NX_SELF_HOSTED_REMOTE_CACHE_SERVER');
    const k8s = k8sOptions(args.globals);
    const slurm = slurmOptions(args.globals);
    const exps = experimentsOf(w, root, study);
    // the Slurm jobs run a snapshot of this checkout's code, taken now (snapshot.ts): editing or
    // pulling the checkout while they are queued changes neither their results nor the shared cache
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const snapshot = join(resolve(out), `snapshot-${stamp}`);
    w.snapshotCode(resolve(root), snapshot, w.studyDir(study), snapshotAbout(root));
    const files = w.clusterFiles(study, n, cache, snapshot, slurm, k8s);
    const { writeFileAtomic } = await import('@sortscope/core');
    for (const [name, text] of Object.entries(files)) writeFileAtomic(join(out, name), text);
    for (const name of Object.keys(files)) if (name.endsWith('.sh') || name.endsWith('.sbatch')) chmodSync(join(out, name), 0o755);
    log(`study ${study}: ${exps.length} experiments in ${n} shards → ${out}/{${Object.keys(files).join(',')}}`);
    log(`study jobs: the Slurm jobs run the code frozen in ${snapshot} (${snapshotAbout(root)}); their report lands in its artifacts/. Remove the snapshot once its jobs are done.`);
    if (!k8s.image.includes('/')) log(`study jobs: the Kubernetes files use the image ${k8s.image}, a name without a registry: push the image built from the Dockerfile to a registry the cluster pulls from and pass --image REGISTRY/NAME:TAG`);
    return 0;
  },
};


/** The Slurm flags of `study jobs`, checked: they are pasted into #SBATCH lines. */
function slurmOptions(g: Record<string, unknown>): import('@sortscope/workspace').SlurmOptions {
  const text = (flag: string, re: RegExp, expected: string) => {
    const v = g[flag];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !re.test(v)) throw new ConfigError(`--${flag}: got ${JSON.stringify(v)}; expected ${expected}`);
    return v;
  };
  const limit = /^(\d+-)?\d+(:\d{1,2}){0,2}$|^\d+-\d+$/;
  const name = /^[A-Za-z0-9_.,-]+$/;
  return {
    time: text('time', limit, 'a Slurm time limit such as 12:00:00, 1-00:00:00 or 90 (minutes)'),
    reportTime: text('report-time', limit, 'a Slurm time limit such as 02:00:00'),
    mem: text('mem', /^\d+[KMGT]?$/, 'a Slurm memory size such as 8G or 8000M'),
    partition: text('partition', name, 'a partition name (letters, digits, _ . - ; several separated by commas)'),
    account: text('account', name, 'an account name (letters, digits, _ . -)'),
    qos: text('qos', name, 'a QOS name (letters, digits, _ . -)'),
    maxRunning: g['max-running'] === undefined ? undefined : positiveInt(g['max-running'], '--max-running'),
    maxArraySize: g['max-array-size'] === undefined ? undefined : positiveInt(g['max-array-size'], '--max-array-size'),
    requeue: Boolean(g.requeue),
  };
}

/** Which code a snapshot holds: the commit, and whether the checkout had uncommitted changes. */
function snapshotAbout(root: string): string {
  const git = (...a: string[]) => spawnSync('git', ['-C', root, ...a], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'not a git checkout';
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `commit ${head.stdout.trim()}${dirty ? ' with uncommitted changes' : ''}`;
}

/** The Kubernetes flags of `study jobs`, checked: they are pasted into YAML. */
function k8sOptions(g: Record<string, unknown>): import('@sortscope/workspace').K8sOptions {
  const image = checkImage((g.image as string | undefined) ?? 'sortscope:latest');
  const pull = g['pull-policy'];
  if (pull !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(String(pull))) throw new ConfigError(`--pull-policy: got ${JSON.stringify(pull)}; expected Always, IfNotPresent or Never`);
  const size = (flag: string) => {
    const v = g[flag];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^[1-9]\d*(Ki|Mi|Gi|Ti)$/.test(v)) throw new ConfigError(`--${flag}: got ${JSON.stringify(v)}; expected a Kubernetes storage size such as 20Gi`);
    return v;
  };
  return { image, pullPolicy: pull as 'Always' | 'IfNotPresent' | 'Never' | undefined, reportStorage: size('report-storage'), cacheStorage: size('cache-storage') };
}

/** A TCP port from --port (0: any free one), 8181 when absent. */
function portOf(v: unknown): number {
  if (v === undefined) return 8181;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new ConfigError(`--port: got ${String(v)}; expected an integer from 0 to 65535`);
  return v;
}

export const cacheServerCommand: Command = {
  spec: {
    name: 'cache-server',
    summary: 'Serve a shared Nx remote cache (HTTP, Nx self-hosted cache API) from a folder.',
    globals: [
      { name: 'dir', type: 'string', value: 'DIR', description: 'folder of cached task outputs, e.g. on a shared file system (required)' },
      { name: 'port', type: 'number', value: 'PORT', description: 'port [default: 8181]' },
      { name: 'host', type: 'string', value: 'HOST', description: 'address to listen on; any but loopback needs a token [default: 127.0.0.1]' },
      { name: 'token', type: 'string', value: 'TOKEN', description: 'bearer token for reading and writing (clients: NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN) [default: $SORTSCOPE_CACHE_TOKEN]' },
      { name: 'read-token', type: 'string', value: 'TOKEN', description: 'bearer token for reading only [default: $SORTSCOPE_CACHE_READ_TOKEN]' },
      { name: 'max-bytes', type: 'number', value: 'N', description: `largest archive accepted, in bytes [default: ${DEFAULT_MAX_BYTES} (1 GiB)]` },
      { name: 'max-total-bytes', type: 'number', value: 'N', description: 'most bytes of entries kept: past it, the least recently used entries are evicted after each upload [default: no limit]' },
      { name: 'quiet', type: 'boolean', description: 'do not log requests' },
    ],
  },
  async run(args) {
    const dir = args.globals.dir as string | undefined;
    if (!dir) throw new ConfigError("sortscope cache-server: --dir DIR is required (see 'sortscope cache-server --help')");
    const quiet = Boolean(args.globals.quiet);
    // tokens from the environment stay out of the process list (`ps`) of a shared login node
    const token = (args.globals.token as string | undefined) ?? (process.env.SORTSCOPE_CACHE_TOKEN || undefined);
    const readToken = (args.globals['read-token'] as string | undefined) ?? (process.env.SORTSCOPE_CACHE_READ_TOKEN || undefined);
    const { startCacheServer } = await import('@sortscope/cache-server');
    const { url } = await startCacheServer({
      dir,
      port: portOf(args.globals.port),
      host: (args.globals.host as string | undefined) ?? '127.0.0.1',
      token,
      readToken,
      maxBytes: positiveInt(args.globals['max-bytes'], '--max-bytes', DEFAULT_MAX_BYTES),
      maxTotalBytes: args.globals['max-total-bytes'] === undefined ? undefined : positiveInt(args.globals['max-total-bytes'], '--max-total-bytes'),
      log: quiet ? undefined : (l) => log(l),
    });
    if (token === undefined && readToken === undefined) log('cache-server: no token: every user of this machine may read and write the cache (set --token or SORTSCOPE_CACHE_TOKEN)');
    log(`cache-server: serving ${dir} at ${url} (set NX_SELF_HOSTED_REMOTE_CACHE_SERVER=${url.replace(/0\.0\.0\.0|\[::\]/, '<this host>')})`);
    await new Promise(() => {}); // until killed
    return 0;
  },
};
