/**
 * The job files of `sortscope study jobs`: Slurm job arrays (one task per shard, then the report)
 * and the Kubernetes files (k8s-jobs.ts), as text, for the CLI to write.
 */
import { DEFAULT_STUDY } from './defaults.ts';
import { type K8sOptions, k8sFiles } from './k8s-jobs.ts';
import { shellQuote } from './nx-plugin.ts';
import { SNAPSHOT_FILES } from './snapshot.ts';

const indent = (text: string, by: string) => text.split('\n').map((l) => by + l).join('\n');

/** A word for a POSIX shell: single-quoted unless it is plain. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : shellQuote(s);
}

/** Site limits and choices for the Slurm files (`study jobs` flags). */
export interface SlurmOptions {
  /** a shard task's time limit, in a form Slurm takes (HH:MM:SS, D-HH:MM, minutes) [default: 24:00:00] */
  time?: string;
  /** the report job's time limit [default: 02:00:00] */
  reportTime?: string;
  /** memory per task (e.g. 8G) [default: the site's] */
  mem?: string;
  partition?: string;
  account?: string;
  qos?: string;
  /** at most this many array tasks run at once, per submitted array (`--array=…%N`) */
  maxRunning?: number;
  /** the site's MaxArraySize: array task ids stay below it, so N shards go in ⌈N / it⌉ arrays [default: 1001, Slurm's] */
  maxArraySize?: number;
  /** requeue a preempted or failed-node task; its scratch workspace is kept, so its stages resume (training from its checkpoints) */
  requeue?: boolean;
}

export const SLURM_DEFAULT_MAX_ARRAY_SIZE = 1001;

/** The arrays that submit N shards under MaxArraySize: [offset, size] each, task ids 0..size-1. */
export function arrayChunks(shards: number, maxArraySize = SLURM_DEFAULT_MAX_ARRAY_SIZE): [number, number][] {
  const out: [number, number][] = [];
  for (let off = 0; off < shards; off += maxArraySize) out.push([off, Math.min(maxArraySize, shards - off)]);
  return out;
}

/**
 * The job files. `repo` is the code the Slurm jobs run: the snapshot `study jobs` takes of the
 * checkout (snapshot.ts; absolute), so that editing or pulling the checkout while jobs are queued
 * changes neither their results nor the shared cache. The jobs never look `sortscope` up in the npm
 * registry: they call `node <repo>/bin/sortscope.mjs`. Each Slurm array task runs in a scratch copy
 * of its own (sources copied, node_modules linked), so tasks on one node or on a shared file system
 * never share `artifacts/` (a stage folder is locked by one process: two tasks computing the same
 * dataset there would fail) nor `.nx/` (Nx's workspace data and local cache); the shared state is
 * the remote cache. The report job runs in `repo` itself, after every shard succeeded, so its
 * artifacts (all cache hits but the report) land there.
 */
export function clusterFiles(study: string, shards: number, cacheUrl: string, repo: string, slurm: SlurmOptions = {}, k8s: K8sOptions = { image: 'sortscope:latest' }): Record<string, string> {
  const site = [
    slurm.mem && `#SBATCH --mem=${slurm.mem}`,
    slurm.partition && `#SBATCH --partition=${slurm.partition}`,
    slurm.account && `#SBATCH --account=${slurm.account}`,
    slurm.qos && `#SBATCH --qos=${slurm.qos}`,
  ].filter(Boolean).map((l) => `${l}\n`).join('');
  const throttle = slurm.maxRunning ? `%${slurm.maxRunning}` : '';
  const chunks = arrayChunks(shards, slurm.maxArraySize);
  const env = [
    `export SORTSCOPE_STUDY=${study}`,
    `export NX_SELF_HOSTED_REMOTE_CACHE_SERVER=${cacheUrl}`,
    'export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0 SORTSCOPE_QUIET=1',
  ].join('\n');
  const preamble = `set -euo pipefail
repo=\${SORTSCOPE_REPO:-${shellWord(repo)}}   # the code snapshot of study jobs; override with SORTSCOPE_REPO
# Node >= 20 must be on PATH. sbatch passes the submitting shell's environment (PATH, and
# NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN for a cache server with a token); set Node up here
# if the compute nodes need it (e.g. module load nodejs/20).
command -v node >/dev/null || { echo "sortscope: node is not on PATH on $(hostname)" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || { echo "sortscope: node $(node --version) on $(hostname); expected Node >= 20" >&2; exit 1; }
[ -f "$repo/bin/sortscope.mjs" ] && [ -d "$repo/node_modules" ] || { echo "sortscope: the code $repo (the snapshot of study jobs, with node_modules) is not visible on $(hostname); put it on a file system the compute nodes share, or set SORTSCOPE_REPO to its path there" >&2; exit 1; }
${env}
[ -n "\${NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN:-}" ] || echo "sortscope: NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN is not set: a cache server with a token answers 401" >&2`;
  const studyDir = study === DEFAULT_STUDY ? 'experiments' : `studies/${study}`;
  // a shard's scratch workspace: the code's files (snapshot.ts SNAPSHOT_FILES; .env if there is one), the study, node_modules linked
  const makeScratch = `rm -rf "$ws" && mkdir -p "$ws/studies"
cd "$repo"
cp -R ${SNAPSHOT_FILES.filter((f) => f !== '.env').join(' ')} "$ws/"
[ ! -f .env ] || cp .env "$ws/"
cp -R ${studyDir} "$ws/${studyDir}"
ln -s "$repo/node_modules" "$ws/node_modules"`;
  return {
    'shard.sbatch': `#!/bin/bash
#SBATCH --job-name=sortscope-${study}
#SBATCH --cpus-per-task=2
#SBATCH --time=${slurm.time ?? '24:00:00'}
${site}${slurm.requeue ? '#SBATCH --requeue\n#SBATCH --open-mode=append\n' : '#SBATCH --no-requeue\n'}# Submitted by submit.sh as ${chunks.length === 1 ? 'one array' : `${chunks.length} arrays`} (task ids below MaxArraySize ${slurm.maxArraySize ?? SLURM_DEFAULT_MAX_ARRAY_SIZE}):
# shard = SORTSCOPE_SHARD_OFFSET + SLURM_ARRAY_TASK_ID + 1 of ${shards}: sortscope study run --shard i/${shards}
# (experiments that share a training run stay in one shard), in a scratch workspace of its own: a
# copy of the checkout's sources with its node_modules linked, under $SORTSCOPE_SCRATCH (else
# $TMPDIR, else /tmp). Tasks share only the remote cache. ${slurm.requeue ? 'A requeued task (SLURM_RESTART_COUNT > 0) reuses its scratch\n# workspace, so its stages resume (training from its checkpoints; set SORTSCOPE_SCRATCH to a shared\n# folder for a task requeued onto another node); it is removed once the shard succeeds' : 'The scratch is removed at the end'} unless SORTSCOPE_KEEP_SCRATCH=1.
${preamble}
[ -n "\${SLURM_ARRAY_TASK_ID:-}" ] || { echo "sortscope: not an array task; submit with submit.sh" >&2; exit 1; }
shard=$(( \${SORTSCOPE_SHARD_OFFSET:-0} + SLURM_ARRAY_TASK_ID + 1 ))
ws="\${SORTSCOPE_SCRATCH:-\${TMPDIR:-/tmp}}/sortscope-${study}-\${SLURM_ARRAY_JOB_ID:-$$}-\${SLURM_ARRAY_TASK_ID}"
${slurm.requeue ? `if [ "\${SLURM_RESTART_COUNT:-0}" -gt 0 ] && [ -f "$ws/bin/sortscope.mjs" ]; then
  echo "sortscope: shard $shard requeued (restart \${SLURM_RESTART_COUNT}): resuming in $ws" >&2
else
${indent(makeScratch, '  ')}
fi` : `[ "\${SORTSCOPE_KEEP_SCRATCH:-0}" = 1 ] || trap 'rm -rf "$ws"' EXIT
${makeScratch}`}
export NX_WORKSPACE_DATA_DIRECTORY="$ws/.nx/workspace-data"
cd "$ws"
node "$ws/bin/sortscope.mjs" study run --shard "$shard/${shards}"
${slurm.requeue ? `cd / && { [ "\${SORTSCOPE_KEEP_SCRATCH:-0}" = 1 ] || rm -rf "$ws"; }
` : ''}`,
    'report.sbatch': `#!/bin/bash
#SBATCH --job-name=sortscope-${study}-report
#SBATCH --cpus-per-task=2
#SBATCH --time=${slurm.reportTime ?? '02:00:00'}
${site}# After every shard succeeded (submit.sh: --dependency=afterok, --kill-on-invalid-dep=yes: a failed
# shard cancels it instead of leaving it pending): the whole study in the checkout itself;
# everything is a cache hit except the report, which lands in its artifacts/.
${preamble}
cd "$repo"
node "$repo/bin/sortscope.mjs" study run
`,
    'submit.sh': `#!/bin/bash
# Submit the ${shards} shards (${chunks.map(([o, n]) => `${n} from ${o + 1}`).join(', ')}), then the report once they all
# succeeded; a failed shard cancels the report. Prints the job ids.
set -euo pipefail
cd "$(dirname "$0")"
ids=()
for chunk in ${chunks.map(([o, n]) => `${o}:${n}`).join(' ')}; do
  off=\${chunk%%:*} n=\${chunk##*:}
  id=$(sbatch --parsable --array=0-$((n - 1))${throttle} --export=ALL,SORTSCOPE_SHARD_OFFSET=$off shard.sbatch)
  ids+=("\${id%%;*}")
done
report=$(sbatch --parsable --dependency=afterok:$(IFS=:; echo "\${ids[*]}") --kill-on-invalid-dep=yes report.sbatch)
echo "shards: job(s) \${ids[*]}; report: job \${report%%;*}"
`,
    ...k8sFiles(study, shards, k8s),
  };
}
