#!/bin/bash
# Run `sortscope study jobs --scheduler slurm`'s files on a real (single-node) Slurm, end to end.
#
#   sudo scripts/slurm-local.sh            # opt-in; a few minutes; root on a Debian/Ubuntu machine
#
# As root: installs munge and slurm-wlm from apt if missing; writes a one-node slurm.conf (this
# host, its CPUs, select/cons_tres, no accounting, no cgroups) in a scratch folder; starts munged,
# slurmctld and slurmd directly (no systemd needed) and waits for the node to be idle; starts a
# real `sortscope cache-server` on loopback with a write token; generates the job files of the tiny
# study studies/slurm-e2e (2 experiments sharing a dataset, in 2 shards) from a scratch copy of this
# checkout; submits the shard array and the report job (--dependency=afterok) with sbatch, as submit.sh does, token in
# the environment; waits for both; runs the same study locally in a second scratch copy with no
# shared cache; compares the stage artifacts byte for byte (every *.arrow and *.safetensors of the
# dataset, train, circuits and llc folders); prints PASS or FAIL and exits 0 or 1; stops every
# daemon it started and removes its scratch folder (kept with KEEP=1, and on FAIL).
#
# Between generating the job files and submitting them it edits the checkout (llc_mean doubled in
# packages/llc/src/io.ts): the jobs run the code snapshot `study jobs` took, so PASS needs their
# results equal to the unedited local run. It also proves the sharing: the report job (in the
# snapshot, with no local Nx cache) must take every task but the report from the shared cache, the
# cache must hold an entry for each, and both sides must hold every stage folder of the plan.
#
# NODES=2 simulates two compute nodes on this one machine: two `slurmd -N n1|n2` (one CPU each), each
# in a network namespace of its own (a veth pair on a private bridge, its own address) and a mount
# namespace with a node-local scratch (a tmpfs over the scratch folder, seen by that node's jobs only);
# slurmctld and the cache server listen on the bridge. The checkout, the snapshot and the jobs' output
# folder are shared, as on a cluster's network filesystem; the tasks share results only through the
# cache. PASS then also needs the two shards on different nodes and nothing written to the host's view
# of the scratch folder.
#
# Environment: NODES (1 or 2), STUDY (default slurm-e2e), SHARDS (2), TIMEOUT (seconds to wait for the jobs, 900),
# KEEP=1 (keep the scratch folder), SORTSCOPE_BACKEND (default wasm), EDIT_AFTER_SUBMIT=0 (skip the
# edit). Negative controls, each of which must print FAIL: JOBS_FROM_CHECKOUT=1 (the jobs run the
# edited checkout, as before snapshots), READ_ONLY=1 (the jobs get the cache's read-only token, so
# nothing is shared and the report job computes everything).
set -euo pipefail

NODES=${NODES:-1}
STUDY=${STUDY:-slurm-e2e}
SHARDS=${SHARDS:-2}
TIMEOUT=${TIMEOUT:-900}
export SORTSCOPE_BACKEND=${SORTSCOPE_BACKEND:-wasm}
REPO=$(cd "$(dirname "$0")/.." && pwd)
T0=$(date +%s)
say() { printf '[slurm-local %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || { echo "slurm-local.sh: run as root (sudo scripts/slurm-local.sh): it installs and starts munge and Slurm" >&2; exit 2; }
command -v node >/dev/null || { echo "slurm-local.sh: node is not on PATH" >&2; exit 2; }
[ -d "$REPO/node_modules" ] || { echo "slurm-local.sh: $REPO/node_modules is missing: run npm ci first" >&2; exit 2; }
case "$NODES" in 1|2) ;; *) echo "slurm-local.sh: NODES must be 1 or 2, not '$NODES'" >&2; exit 2 ;; esac

# --- packages ---------------------------------------------------------------------------------
missing=()
for p in munge slurm-wlm slurmctld slurmd slurm-client $([ "$NODES" = 1 ] || echo iproute2); do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- scratch folder and cleanup -----------------------------------------------------------------
WORK=$(mktemp -d /tmp/sortscope-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()        # daemons started here, stopped by pid at exit
JOBS=()
SLURMD_PIDS=()
NETNS=()       # NODES=2: the network namespaces and the bridge made here, removed at exit
BRIDGE=
RESULT=FAIL
cleanup() {
  set +e
  [ ${#JOBS[@]} -eq 0 ] || scancel "${JOBS[@]}" 2>/dev/null
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  for ns in "${NETNS[@]}"; do
    # whatever still runs in a node's namespace (a job step) goes with it
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  [ -z "$BRIDGE" ] || ip link del "$BRIDGE" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ] || [ "$RESULT" != PASS ]; then say "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- munge ----------------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  say "creating the munge key"
  mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
fi
mkdir -p "$WORK/munge"
MUNGE_SOCKET="$WORK/munge/munge.socket.2"
# our own munged on our own socket, so a munged already running here is left alone
munged --force --foreground --socket="$MUNGE_SOCKET" --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed" >"$WORK/munge/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$MUNGE_SOCKET" ] && break; sleep 0.1; done
[ -S "$MUNGE_SOCKET" ] || die "munged did not start (see $WORK/munge/munged.log)"

# --- slurm ----------------------------------------------------------------------------------------
HOST=$(hostname -s)
CPUS=$(nproc)
S="$WORK/slurm"
mkdir -p "$S/state" "$S/spool-n1" "$S/spool-n2" "$S/spool-$HOST"
PORT0=$((17000 + RANDOM % 2000))
CTL_ADDR=127.0.0.1     # where slurmd, the jobs and the commands here reach slurmctld and the cache server
if [ "$NODES" = 2 ]; then
  # what a killed earlier run left (its namespaces, with nothing running in them, and their bridges)
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^sortscope-n[12]-[0-9]+$/ {print $1}'); do
    [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || { ip netns del "$ns" 2>/dev/null && say "removed the stale network namespace $ns"; }
  done
  for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^ssbr[0-9]+$/ {print $2}'); do
    ip netns list 2>/dev/null | grep -q -- "-${br#ssbr}\b" || { ip link del "$br" 2>/dev/null && say "removed the stale bridge $br"; }
  done
  # a private bridge with slurmctld's (and the cache server's) address; each node behind a veth pair on it
  NET="10.$((200 + RANDOM % 50)).$((RANDOM % 250))"
  CTL_ADDR="$NET.1"
  BRIDGE="ssbr$PORT0"
  ip link add "$BRIDGE" type bridge || die "could not make a bridge (the simulation needs CAP_NET_ADMIN)"
  ip addr add "$CTL_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for n in 1 2; do
    ns="sortscope-n$n-$PORT0"
    ip netns add "$ns" || die "could not make the network namespace $ns"
    NETNS+=("$ns")
    ip link add "ssv$n-$PORT0" type veth peer name "ssp$n-$PORT0"
    ip link set "ssv$n-$PORT0" master "$BRIDGE" up
    ip link set "ssp$n-$PORT0" netns "$ns"
    ip netns exec "$ns" ip addr add "$NET.$((n + 1))/24" dev "ssp$n-$PORT0"
    ip netns exec "$ns" ip link set "ssp$n-$PORT0" up
    ip netns exec "$ns" ip link set lo up
  done
  NODE_LINES="NodeName=n1 NodeAddr=$NET.2 NodeHostname=$HOST CPUs=1 State=UNKNOWN
NodeName=n2 NodeAddr=$NET.3 NodeHostname=$HOST CPUs=1 State=UNKNOWN"
  PART_NODES=n1,n2
  say "network: bridge $BRIDGE at $CTL_ADDR/24; node n1 at $NET.2, n2 at $NET.3, each in a network namespace of its own"
else
  NODE_LINES="NodeName=$HOST CPUs=$CPUS State=UNKNOWN"
  PART_NODES=$HOST
fi
export SLURM_CONF="$S/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=sortscope-local
SlurmctldHost=$HOST($CTL_ADDR)
SlurmctldPort=$PORT0
SlurmdPort=$((PORT0 + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool-%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=3600
$NODE_LINES
PartitionName=local Nodes=$PART_NODES Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -c -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
PIDS+=($!)
export SORTSCOPE_SCRATCH="$WORK/scratch"   # node-local with NODES=2: each node mounts its own over it
mkdir -p "$SORTSCOPE_SCRATCH"
if [ "$NODES" = 2 ]; then
  for n in 1 2; do
    # the node's own network namespace, and a mount namespace in which the scratch folder is a tmpfs of its own
    # (nsenter, not `ip netns exec`, which remounts /sys and so hides /sys/fs/cgroup from slurmd)
    nsenter --net="/run/netns/${NETNS[n - 1]}" unshare --mount --propagation private sh -c \
      'mount -t tmpfs -o size=4g "node-n$1-scratch" "$2" && exec slurmd -D -N "n$1" -f "$3"' sh "$n" "$SORTSCOPE_SCRATCH" "$SLURM_CONF" \
      >"$S/slurmd-n$n.out" 2>&1 &
    PIDS+=($!)
    SLURMD_PIDS+=($!)   # nsenter, unshare and sh each exec the next: this is slurmd's pid
  done
  export SORTSCOPE_KEEP_SCRATCH=1   # the nodes' scratch goes with their namespaces at exit; kept for the check below
  NODE_NAMES="n1 n2"
else
  slurmd -D -f "$SLURM_CONF" >"$S/slurmd.out" 2>&1 &
  PIDS+=($!)
  NODE_NAMES=$HOST
fi
for node in $NODE_NAMES; do
  state=
  for _ in $(seq 120); do
    state=$(sinfo -h -N -n "$node" -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  [ "$state" = idle ] || die "node $node is '${state:-unreachable}', not idle (see $S/slurmctld.log and $S/slurmd-*.log)"
done
say "slurm up: node(s) $NODE_NAMES idle, slurm.conf $SLURM_CONF"

# --- workspaces: copies of this checkout's sources, node_modules linked ---------------------------------
# node_modules of its own: the dependencies linked, @sortscope/* pointing into the copy's packages/ (as
# npm ci makes them), so an edit to the copy is an edit to what it runs
. "$REPO/scripts/lib/scratch-workspace.sh"
CHECKOUT="$WORK/checkout"   # the "submitting checkout" the jobs run from
LOCAL="$WORK/local"         # the reference: the same study run locally, no shared cache
scratch_workspace "$CHECKOUT" "$STUDY"
scratch_workspace "$LOCAL" "$STUDY"

# --- cache server ------------------------------------------------------------------------------------
CACHE_PORT=$((PORT0 + 2))
TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
READ_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
SORTSCOPE_CACHE_TOKEN=$TOKEN SORTSCOPE_CACHE_READ_TOKEN=$READ_TOKEN node "$REPO/bin/sortscope.mjs" cache-server --dir "$WORK/cache" --host "$CTL_ADDR" --port "$CACHE_PORT" >"$WORK/cache-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q serving "$WORK/cache-server.log" 2>/dev/null && break; sleep 0.2; done
grep -q serving "$WORK/cache-server.log" || die "cache-server did not start: $(cat "$WORK/cache-server.log")"
CACHE_URL="http://$CTL_ADDR:$CACHE_PORT"
say "cache-server at $CACHE_URL (write token set)"

# --- generate, submit, wait ----------------------------------------------------------------------------
(cd "$CHECKOUT" && node bin/sortscope.mjs study jobs --study "$STUDY" --shards "$SHARDS" --cache-url "$CACHE_URL" --out "$WORK/jobs") 2>&1 | sed 's/^/  /' >&2
SNAP=$(ls -d "$WORK"/jobs/snapshot-* | head -1)   # the code the jobs run, and where the report job writes
# JOBS_FROM_CHECKOUT=1, a negative control: the jobs run the checkout itself (as before snapshots), so the
# edit below reaches their results and this must FAIL
if [ "${JOBS_FROM_CHECKOUT:-0}" = 1 ]; then export SORTSCOPE_REPO=$CHECKOUT; SNAP=$CHECKOUT; say "JOBS_FROM_CHECKOUT=1: the jobs run the edited checkout (expected: FAIL)"; fi
# READ_ONLY=1, a negative control: the jobs get the read-only token, so nothing is shared and this must FAIL
if [ "${READ_ONLY:-0}" = 1 ]; then export NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=$READ_TOKEN; say "READ_ONLY=1: the jobs get the read-only token (expected: FAIL)"
else export NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=$TOKEN; fi
# an edit to the checkout after submit, as a `git pull` or a change made while the jobs are queued: llc_mean
# doubled. The jobs run the snapshot, so neither their results nor the cache may show it (EDIT_AFTER_SUBMIT=0 skips it)
if [ "${EDIT_AFTER_SUBMIT:-1}" = 1 ]; then
  sed -i 's/llc_mean: numberVector(Float64Array.from(rows, (r) => r.estimate.mean))/llc_mean: numberVector(Float64Array.from(rows, (r) => 2 * r.estimate.mean))/' "$CHECKOUT/packages/llc/src/io.ts"
  grep -q '2 \* r.estimate.mean' "$CHECKOUT/packages/llc/src/io.ts" || die "the edit after submit did not apply to packages/llc/src/io.ts"
  say "edited the checkout after submit: llc_mean doubled in packages/llc/src/io.ts (the jobs must not see it)"
fi
cd "$WORK/jobs"
# what submit.sh does (one array: task ids 0..SHARDS-1 at offset 0; the report after it, cancelled if a
# shard fails), with one CPU per task on the command line (overrides the file's 2): both shards run at once on 2 CPUs
ARRAY=$(sbatch --parsable --cpus-per-task=1 --array=0-$((SHARDS - 1)) --export=ALL,SORTSCOPE_SHARD_OFFSET=0 shard.sbatch)
ARRAY=${ARRAY%%;*}
JOBS+=("$ARRAY")
REPORT=$(sbatch --parsable --cpus-per-task=1 --dependency=afterok:"$ARRAY" --kill-on-invalid-dep=yes report.sbatch)
REPORT=${REPORT%%;*}
JOBS+=("$REPORT")
say "submitted: shard array $ARRAY (1-$SHARDS), report $REPORT (afterok:$ARRAY)"

jobstate() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | tr -s ' \n' ' '; }
deadline=$(($(date +%s) + TIMEOUT))
while squeue -h -j "$ARRAY,$REPORT" 2>/dev/null | grep -q .; do
  if squeue -h -j "$REPORT" -o %r 2>/dev/null | grep -q DependencyNeverSatisfied; then
    scancel "$REPORT"; break
  fi
  [ "$(date +%s)" -lt "$deadline" ] || die "jobs not done after ${TIMEOUT}s: shards [$(jobstate "$ARRAY")], report [$(jobstate "$REPORT")]"
  sleep 2
done
SHARD_STATES=$(jobstate "$ARRAY")
REPORT_STATE=$(jobstate "$REPORT")
T_CLUSTER=$(($(date +%s) - T0))
say "jobs done: shards [$SHARD_STATES], report [$REPORT_STATE]"
for f in "$WORK"/jobs/slurm-*.out; do
  echo "----- $(basename "$f")" >&2
  grep -E '^> nx run |Successfully ran|Failed|Error|error|NX ' "$f" | head -40 | sed 's/^/  /' >&2 || true
done
ok=1
[ "$(echo "$SHARD_STATES" | tr -s ' ')" = " $SHARDS COMPLETED " ] || { say "a shard did not complete"; ok=0; }
[ "$(echo "$REPORT_STATE" | tr -s ' ')" = " 1 COMPLETED " ] || { say "the report job did not complete"; ok=0; }
# sharing, proved: the report job (in the snapshot, with no local Nx cache) took every task but the report
# from the remote cache, and the cache holds an entry for each of them
REPORT_LOG="$WORK/jobs/slurm-$REPORT.out"
computed=$(grep -E '^ *> nx run [^ ]+:analyze' "$REPORT_LOG" 2>/dev/null | grep -v 'remote cache' | grep -vc 'nx run report:analyze' || true)
tasks=$(grep -oE 'Successfully ran target analyze for [0-9]+ projects' "$REPORT_LOG" 2>/dev/null | grep -oE '[0-9]+' || echo 0)
entries=$(ls "$WORK/cache" | grep -cE '^[0-9]+$' || true)
say "report job: $tasks tasks, $computed computed there besides the report (expected 0); cache entries: $entries (expected at least $((tasks - 1)))"
[ "$tasks" -gt 1 ] && [ "$computed" -eq 0 ] && [ "$entries" -ge $((tasks - 1)) ] || { say "the report job did not get every stage task from the shared cache"; ok=0; }
# NODES=2: the two shards ran on different nodes, each in that node's own scratch (kept for this check with
# SORTSCOPE_KEEP_SCRATCH=1 and seen from inside the node's mount namespace), and none in the host's view of it
if [ "$NODES" = 2 ]; then
  hosts=$(scontrol show job "$ARRAY" | grep -oE 'ArrayTaskId=[0-9]+|BatchHost=[^ ]+' | paste -d' ' - - | sed 's/ArrayTaskId=//; s/BatchHost=//' | sort)
  say "shards ran on (task node): $(echo "$hosts" | tr '\n' ';') report on $(scontrol show job "$REPORT" | grep -oE 'BatchHost=[^ ]+' | cut -d= -f2)"
  [ "$(echo "$hosts" | awk '{print $2}' | sort -u | wc -l)" = 2 ] || { say "the shards did not run on two different nodes"; ok=0; }
  for n in 1 2; do
    seen=$(nsenter -t "${SLURMD_PIDS[n - 1]}" -m ls -A "$SORTSCOPE_SCRATCH" 2>/dev/null | tr '\n' ' ')
    mine=$(echo "$hosts" | awk -v n="n$n" '$2 == n {print $1}' | tr '\n' ' ')
    say "node n$n's scratch holds: ${seen:-nothing} (its shard tasks: ${mine:-none})"
    for t in $mine; do echo " $seen" | grep -q -- "-$ARRAY-$t " || { say "node n$n's scratch has no workspace for task $t"; ok=0; }; done
    [ "$(echo "$seen" | wc -w)" = "$(echo "$mine" | wc -w)" ] || { say "node n$n's scratch holds another node's workspace"; ok=0; }
  done
  [ -z "$(ls -A "$SORTSCOPE_SCRATCH")" ] || { say "a job wrote to the host's view of the scratch folder: $(ls -A "$SORTSCOPE_SCRATCH" | tr '\n' ' ')"; ok=0; }
fi

# --- the same study locally ------------------------------------------------------------------------------
say "running the study locally in $LOCAL (no shared cache)"
(cd "$LOCAL" && env -u NX_SELF_HOSTED_REMOTE_CACHE_SERVER -u NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN \
  SORTSCOPE_STUDY="$STUDY" NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0 SORTSCOPE_QUIET=1 \
  node bin/sortscope.mjs study run --study "$STUDY") >"$WORK/local.log" 2>&1 || { say "the local run failed (see $WORK/local.log)"; ok=0; }

# --- compare -------------------------------------------------------------------------------------------------
compared=0
differ=0
for stage in dataset train circuits llc; do
  for d in "$LOCAL/artifacts/$stage"/*/; do
    [ -d "$d" ] || continue
    key=$(basename "$d")
    other="$SNAP/artifacts/$stage/$key"
    [ -d "$other" ] || { say "missing on the cluster side: artifacts/$stage/$key"; differ=$((differ + 1)); continue; }
    while IFS= read -r f; do
      compared=$((compared + 1))
      cmp -s "$d/$f" "$other/$f" || { say "differs: artifacts/$stage/$key/$f"; differ=$((differ + 1)); }
    done < <(cd "$d" && find . \( -name '*.arrow' -o -name '*.safetensors' \) -type f | sort)
    extra=$(cd "$other" && find . \( -name '*.arrow' -o -name '*.safetensors' \) -type f | sort | comm -13 <(cd "$d" && find . \( -name '*.arrow' -o -name '*.safetensors' \) -type f | sort) -)
    [ -z "$extra" ] || { say "only on the cluster side in artifacts/$stage/$key: $extra"; differ=$((differ + 1)); }
  done
done
report_dir=$([ "$STUDY" = quick ] && echo report || echo "report-$STUDY")
[ -d "$SNAP/artifacts/$report_dir" ] || { say "the report job wrote no artifacts/$report_dir"; ok=0; }
# the stage folders the plan names, on both sides (so a comparison of fewer folders cannot pass)
planned=$(cd "$LOCAL" && node bin/sortscope.mjs study list --study "$STUDY" --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const k=new Set();for(const r of JSON.parse(s).rows)for(const[st,v]of Object.entries(r.keys))if(st!=='report')k.add(st+'/'+v);console.log(k.size)})")
folders() { local n=0; for st in dataset train circuits llc; do n=$((n + $(ls -d "$1/artifacts/$st"/*/ 2>/dev/null | wc -l))); done; echo $n; }
say "compared $compared Arrow/safetensors files in $(folders "$LOCAL") local and $(folders "$SNAP") cluster stage folders (the plan has $planned): $differ differ or are missing"
[ "$compared" -gt 0 ] && [ "$differ" -eq 0 ] && [ "$(folders "$LOCAL")" = "$planned" ] && [ "$(folders "$SNAP")" = "$planned" ] || ok=0

WALL=$(($(date +%s) - T0))
if [ "$ok" = 1 ]; then RESULT=PASS; fi
echo "$RESULT: slurm-local $(date -u +%Y-%m-%dT%H:%MZ) study=$STUDY shards=$SHARDS cluster=${T_CLUSTER}s wall=${WALL}s compared=$compared differ=$differ"
[ "$RESULT" = PASS ]
