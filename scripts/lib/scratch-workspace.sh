# Sourced by scripts/slurm-local.sh and scripts/cache-recovery.sh (needs REPO, the checkout).
#   scratch_workspace DIR STUDY
# makes DIR a "machine" of its own: a copy of the checkout's sources and of one study (`quick`:
# experiments/), its own node_modules with the dependencies linked to the checkout's and
# @sortscope/* pointing into DIR's packages/ (as `npm ci` makes them), so an edit to DIR is an edit
# to what it runs, and its own artifacts/ and .nx/ once it runs.
scratch_workspace() {
  local dir=$1 study=$2
  mkdir -p "$dir/studies" "$dir/node_modules/@sortscope"
  (cd "$REPO" && cp -R package.json package-lock.json nx.json tsconfig.json .gitignore bin tools packages "$dir/")
  [ ! -f "$REPO/.env" ] || cp "$REPO/.env" "$dir/"
  if [ "$study" = quick ]; then cp -R "$REPO/experiments" "$dir/"; else cp -R "$REPO/studies/$study" "$dir/studies/"; fi
  for e in $(ls -A "$REPO/node_modules"); do [ "$e" = @sortscope ] || ln -s "$REPO/node_modules/$e" "$dir/node_modules/$e"; done
  for p in "$dir"/packages/*/; do ln -s "../../packages/$(basename "$p")" "$dir/node_modules/$(node -p "require('${p}package.json').name")"; done
}
