#!/usr/bin/env bash
# Compute the experiments of a study that its committed compact results (docs/findings/<study>.json)
# do not hold yet, one group (sweep file) at a time in the order given, two Nx tasks at a time, with
# finished stage folders reused (docs/study.md, "Sharing and resuming"). Save what finished with
#   npx sortscope findings --study <study> --save
# and commit docs/findings/<study>.json: artifacts/ does not survive a new machine, that file does.
#
#   scripts/study-missing.sh claims baseline anneal frozen-heads ...   # groups in priority order
#   scripts/study-missing.sh claims                                    # every group, in name order
#   scripts/study-missing.sh claims noise baseline.gamma40000 baseline # a group's case (all its seeds) first
# Progress: one line per group start/end in artifacts/study-missing-<study>.log; Nx's own output on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:?usage: scripts/study-missing.sh STUDY [GROUP ...]}
shift
export SORTSCOPE_STUDY="$study"
missing=$(node bin/sortscope.mjs findings --study "$study" --missing --quiet | tr ',' '\n' | sed '/^$/d')
groups=("$@")
[ ${#groups[@]} -eq 0 ] && mapfile -t groups < <(echo "$missing" | sed 's/\..*//' | sort -u)
mkdir -p artifacts
log="artifacts/study-missing-$study.log"
for g in "${groups[@]}"; do
  projects=$(echo "$missing" | grep -E "^${g//./\\.}[.-]" | paste -sd, - || true)
  if [ -z "$projects" ]; then echo "$(date -u +%FT%TZ) $g: nothing missing" | tee -a "$log"; continue; fi
  echo "$(date -u +%FT%TZ) start $g ($(echo "$projects" | tr ',' '\n' | wc -l) experiments)" | tee -a "$log"
  rc=0
  npx nx run-many -t analyze --parallel 2 --projects "$projects" || rc=$?
  echo "$(date -u +%FT%TZ) end $g rc $rc" | tee -a "$log"
done
