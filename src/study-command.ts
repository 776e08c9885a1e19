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
import { ConfigError, log, writeFileAtomic } from '@sortscope/core';
import { DEFAULT_MAX_BYTES, startCacheServer } from './cache-server.ts';
import { studyRefs } from './discover.ts';
import { currentStudy, DEFAULT_STUDY, loadExperiment, requireStudy } from './experiment.ts';
import type { Command } from './main.ts';
import { experimentProjectName } from './nx-nodes.ts';
import { experimentKeys } from './plan.ts';
import { assignShards } from './shards.ts';
import { checkOutDir } from './stage-command.ts';

const STUDY = { name: 'study', type: 'string' as const, value: 'NAME', description: `the study: ${DEFAULT_STUDY} (experiments/) or a folder of studies/ [default: $SORTSCOPE_STUDY or ${DEFAULT_STUDY}]` };

/** The study of --study (else SORTSCOPE_STUDY): a plain folder name of an existing study. */
function studyOf(g: Record<string, unknown>, root: string): string {
  if (g.study !== undefined) return requireStudy(String(g.study), '--study', root);
  return requireStudy(currentStudy(), 'SORTSCOPE_STUDY', root);
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

function experimentsOf(root: string, study: string) {
  const refs = studyRefs(root, study);
  if (refs.length === 0) throw new ConfigError(`study '${study}' has no experiments (expected *.json or *.sweep.json files under ${study === DEFAULT_STUDY ? 'experiments/' : `studies/${study}/`})`);
  return refs.map((r) => loadExperiment(r, root));
}

export const studyRunCommand: Command = {
  spec: {
    name: 'study run',
    summary: "Run a study's experiments through Nx: all of them and the report, or one shard (--shard i/N).",
    globals: [STUDY, { name: 'shard', type: 'string', value: 'i/N', description: 'run only shard i of N (experiments sharing a training run stay together)' }, { name: 'parallel', type: 'number', value: 'N', description: 'Nx tasks at once [default: 2]' }],
  },
  async run(args, root) {
    const study = studyOf(args.globals, root);
    const shard = parseShard(args.globals.shard);
    const nxArgs = ['run-many', '-t', 'analyze', `--parallel=${positiveInt(args.globals.parallel, '--parallel', 2)}`, '--outputStyle=static'];
    if (shard) {
      const projects = assignShards(experimentsOf(root, study), shard[1])[shard[0] - 1];
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
    const study = studyOf(args.globals, root);
    const exps = experimentsOf(root, study);
    const shards = assignShards(exps, positiveInt(args.globals.shards, '--shards', 1));
    const rows = exps.map((e) => ({
      experiment: e.name,
      project: experimentProjectName(e.name),
      file: e.file,
      shard: shards.findIndex((s) => s.includes(experimentProjectName(e.name))) + 1,
      keys: Object.fromEntries(Object.entries(experimentKeys(e.config)).map(([k, v]) => [k, v.key])),
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
      { name: 'image', type: 'string', value: 'IMAGE', description: 'container image with the repository at /work and node_modules installed (Kubernetes) [default: sortscope:latest]' },
    ],
  },
  async run(args, root) {
    const study = studyOf(args.globals, root);
    if (args.globals.shards === undefined) throw new ConfigError('--shards: required; expected a positive integer (the number of machines or array tasks)');
    const n = positiveInt(args.globals.shards, '--shards');
    const out = args.globals.out !== undefined ? checkOutDir(String(args.globals.out), '--out') : join(root, 'cluster', study);
    const fromFlag = args.globals['cache-url'] !== undefined;
    const cache = checkCacheUrl(fromFlag ? String(args.globals['cache-url']) : (process.env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER ?? 'http://cache-host:8181'), fromFlag ? '--cache-url' : 'NX_SELF_HOSTED_REMOTE_CACHE_SERVER');
    const image = checkImage((args.globals.image as string | undefined) ?? 'sortscope:latest');
    const exps = experimentsOf(root, study);
    const files = clusterFiles(study, n, cache, image, resolve(root));
    for (const [name, text] of Object.entries(files)) writeFileAtomic(join(out, name), text);
    for (const name of Object.keys(files)) if (name.endsWith('.sh') || name.endsWith('.sbatch')) chmodSync(join(out, name), 0o755);
    log(`study ${study}: ${exps.length} experiments in ${n} shards → ${out}/{${Object.keys(files).join(',')}}`);
    return 0;
  },
};

/** A word for a POSIX shell: single-quoted unless it is plain. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The job files. `repo` is the checkout the Slurm jobs run from (absolute; the jobs do not depend
 * on the submit directory and never look `sortscope` up in the npm registry: they call
 * `node <repo>/bin/sortscope.mjs`). Each Slurm array task runs in a scratch copy of the workspace
 * of its own (sources copied, node_modules linked), so tasks on one node or on a shared file system
 * never share `artifacts/` (a stage folder is locked by one process: two tasks computing the same
 * dataset there would fail) nor `.nx/` (Nx's workspace data and local cache); the shared state is
 * the remote cache. The report job runs in the checkout itself, after every shard succeeded, so its
 * artifacts (all cache hits but the report) land there.
 */
export function clusterFiles(study: string, shards: number, cacheUrl: string, image: string, repo: string): Record<string, string> {
  const env = [
    `export SORTSCOPE_STUDY=${study}`,
    `export NX_SELF_HOSTED_REMOTE_CACHE_SERVER=${cacheUrl}`,
    'export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0 SORTSCOPE_QUIET=1',
  ].join('\n');
  const preamble = `set -euo pipefail
repo=\${SORTSCOPE_REPO:-${shellQuote(repo)}}   # the checkout (npm ci done); override with SORTSCOPE_REPO
# Node >= 20 must be on PATH. sbatch passes the submitting shell's environment (PATH, and
# NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN for a cache server with a token); set Node up here
# if the compute nodes need it (e.g. module load nodejs/20).
command -v node >/dev/null || { echo "sortscope: node is not on PATH" >&2; exit 1; }
${env}
[ -n "\${NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN:-}" ] || echo "sortscope: NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN is not set: a cache server with a token answers 401" >&2`;
  const studyDir = study === DEFAULT_STUDY ? 'experiments' : `studies/${study}`;
  const k8sName = `sortscope-${study.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 50).replace(/-+$/, '');
  const k8sEnv = `          env:
            - { name: SORTSCOPE_STUDY, value: "${study}" }
            - { name: NX_SELF_HOSTED_REMOTE_CACHE_SERVER, value: "${cacheUrl}" }
            - name: NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN
              valueFrom: { secretKeyRef: { name: sortscope-cache, key: token } }
            - { name: NX_DAEMON, value: "false" }
            - { name: NX_NO_CLOUD, value: "true" }
            - { name: NX_TUI, value: "false" }
            - { name: SORTSCOPE_QUIET, value: "1" }`;
  return {
    'shard.sbatch': `#!/bin/bash
#SBATCH --job-name=sortscope-${study}
#SBATCH --array=1-${shards}
#SBATCH --cpus-per-task=2
#SBATCH --time=24:00:00
# One array task per shard: sortscope study run --shard i/${shards} (experiments that share a
# training run stay in one shard), in a scratch workspace of its own: a copy of the checkout's
# sources with its node_modules linked, under $SORTSCOPE_SCRATCH (else $TMPDIR, else /tmp),
# removed at the end unless SORTSCOPE_KEEP_SCRATCH=1. Tasks share only the remote cache.
${preamble}
ws="\${SORTSCOPE_SCRATCH:-\${TMPDIR:-/tmp}}/sortscope-${study}-\${SLURM_ARRAY_JOB_ID:-$$}-\${SLURM_ARRAY_TASK_ID}"
rm -rf "$ws" && mkdir -p "$ws/studies"
[ "\${SORTSCOPE_KEEP_SCRATCH:-0}" = 1 ] || trap 'rm -rf "$ws"' EXIT
cd "$repo"
cp -R package.json package-lock.json nx.json tsconfig.json .gitignore bin src tools packages "$ws/"
[ ! -f .env ] || cp .env "$ws/"
cp -R ${studyDir} "$ws/${studyDir}"
ln -s "$repo/node_modules" "$ws/node_modules"
export NX_WORKSPACE_DATA_DIRECTORY="$ws/.nx/workspace-data"
cd "$ws"
node "$ws/bin/sortscope.mjs" study run --shard "\${SLURM_ARRAY_TASK_ID}/${shards}"
`,
    'report.sbatch': `#!/bin/bash
#SBATCH --job-name=sortscope-${study}-report
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
# After every shard (submit.sh: --dependency=afterok): the whole study in the checkout itself;
# everything is a cache hit except the report, which lands in its artifacts/.
${preamble}
cd "$repo"
node "$repo/bin/sortscope.mjs" study run
`,
    'submit.sh': `#!/bin/bash
# Submit the shards, then the report once they all succeeded. Prints both job ids.
set -euo pipefail
cd "$(dirname "$0")"
array=$(sbatch --parsable shard.sbatch)
array=\${array%%;*}
report=$(sbatch --parsable --dependency=afterok:\${array} report.sbatch)
echo "shards: job \${array}; report: job \${report%%;*}"
`,
    'k8s-job.yaml': `# Kubernetes Indexed Job: completion index k runs shard k+1 of ${shards}.
# The image (Dockerfile at the repository root) holds the repository at /work with node_modules
# installed. The cache token comes from a Secret:
#   kubectl create secret generic sortscope-cache --from-literal=token=<write token>
# Run k8s-submit.sh: it applies this Job, waits for it, then applies k8s-report-job.yaml.
apiVersion: batch/v1
kind: Job
metadata:
  name: ${k8sName}
spec:
  completionMode: Indexed
  completions: ${shards}
  parallelism: ${shards}
  backoffLimitPerIndex: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: ${image}
          workingDir: /work
          resources: { requests: { cpu: "2", memory: 4Gi } }
${k8sEnv}
          command: ["sh", "-c", "node /work/bin/sortscope.mjs study run --shard $((JOB_COMPLETION_INDEX + 1))/${shards}"]
`,
    'k8s-report-job.yaml': `# The report, after every shard of ${k8sName} completed (k8s-submit.sh): all cache hits but the
# report. Mount a volume at /work/artifacts (or copy it out) to keep what it writes.
apiVersion: batch/v1
kind: Job
metadata:
  name: ${k8sName}-report
spec:
  completions: 1
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: report
          image: ${image}
          workingDir: /work
          resources: { requests: { cpu: "2", memory: 4Gi } }
${k8sEnv}
          command: ["node", "/work/bin/sortscope.mjs", "study", "run"]
`,
    'k8s-submit.sh': `#!/bin/bash
# Kubernetes has no dependencies between Jobs: run the shards, wait for all of them, then the report.
set -euo pipefail
cd "$(dirname "$0")"
kubectl apply -f k8s-job.yaml
kubectl wait --for=condition=complete --timeout=-1s job/${k8sName}
kubectl apply -f k8s-report-job.yaml
`,
  };
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
    const { url } = await startCacheServer({
      dir,
      port: portOf(args.globals.port),
      host: (args.globals.host as string | undefined) ?? '127.0.0.1',
      token,
      readToken,
      maxBytes: positiveInt(args.globals['max-bytes'], '--max-bytes', DEFAULT_MAX_BYTES),
      log: quiet ? undefined : (l) => log(l),
    });
    if (token === undefined && readToken === undefined) log('cache-server: no token: every user of this machine may read and write the cache (set --token or SORTSCOPE_CACHE_TOKEN)');
    log(`cache-server: serving ${dir} at ${url} (set NX_SELF_HOSTED_REMOTE_CACHE_SERVER=${url.replace(/0\.0\.0\.0|\[::\]/, '<this host>')})`);
    await new Promise(() => {}); // until killed
    return 0;
  },
};
