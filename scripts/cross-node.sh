#!/usr/bin/env bash
# Do sortscope's numbers depend on the Node version? Runs scripts/numbers-hash.ts (the fused
# engine's gradients on 1 and 2 threads, both noise streams, a short LLC of the ARENA checkpoint)
# under this Node and under the Node versions given (default 20 22 24: the versions package.json allows), fetched from the npm
# registry (the `node` package) into a temporary folder, and compares the fingerprints.
#   scripts/cross-node.sh [MAJOR ...]          exit 0: all equal; 1: they differ; 2: setup failed
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then majors=("$@"); else majors=(20 22 24); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lines=("$(node --import tsx scripts/numbers-hash.ts)")
echo "${lines[0]}"
for m in "${majors[@]}"; do
  mkdir -p "$tmp/$m"
  if ! (cd "$tmp/$m" && npm install --no-save --no-audit --no-fund --silent "node@$m" >/dev/null 2>&1); then
    echo "cross-node: could not install node@$m from the npm registry" >&2
    exit 2
  fi
  line=$("$tmp/$m/node_modules/.bin/node" --import tsx scripts/numbers-hash.ts)
  echo "$line"
  lines+=("$line")
done
first=${lines[0]#* }
for l in "${lines[@]}"; do
  if [ "${l#* }" != "$first" ]; then
    echo "cross-node: the numbers differ between Node versions" >&2
    exit 1
  fi
done
echo "cross-node: the same numbers on $(printf '%s\n' "${lines[@]}" | cut -d' ' -f1 | tr '\n' ' ')"
