#!/bin/bash
# A wrong entry in the shared Nx cache, found and taken out with the commands docs/study.md gives
# ("A wrong cache entry"), end to end:
#
#   scripts/cache-recovery.sh             # opt-in; a few minutes; no root needed
#
# 1. machine A runs the tiny study studies/slurm-e2e (2 experiments) against a real
#    `sortscope cache-server` over a folder, storing every task there;
# 2. the cache entry that holds one llc folder is replaced by a self-consistent fake: the same
#    archive with the first λ̂ (llc_mean) in estimates.arrow doubled and the folder's manifest.json
#    rewritten to match (the hard case: no integrity check can see it);
# 3. machine B, fresh, runs the study: it gets the fake (checked: its estimates.arrow differs from
#    A's, and the run, its report included, succeeds: the wrong λ̂ would be used);
# 4. on B, `sortscope study verify --sample 1 --stages llc` must exit 3 and name that folder;
# 5. on B, the documented recovery: `cache-server forget --folder` (after its --dry-run),
#    `nx reset`, `rm -rf` the folder, rerun;
# 6. B's estimates.arrow must now equal A's, `study verify` must exit 0, and a third fresh machine C
#    must get the right bytes from the cache (the recomputed result was stored under the hash).
#
# Prints PASS or FAIL and exits 0 or 1 (2: set-up failed). The "machines" are scratch copies of
# this checkout's sources with their own node_modules/@sortscope links, artifacts/ and .nx/; the
# scratch folder is removed at exit (KEEP=1, or a FAIL, keeps it).
set -euo pipefail

STUDY=slurm-e2e
REPO=$(cd "$(dirname "$0")/.." && pwd)
T0=$(date +%s)
say() { printf '[cache-recovery %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
[ -d "$REPO/node_modules" ] || { echo "cache-recovery.sh: $REPO/node_modules is missing: run npm ci first" >&2; exit 2; }

WORK=$(mktemp -d /tmp/sortscope-recovery.XXXXXX)
SERVER=
RESULT=FAIL
cleanup() {
  set +e
  [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ] || [ "$RESULT" != PASS ]; then say "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { say "FAIL: $*"; echo "FAIL: cache-recovery $(date -u +%Y-%m-%dT%H:%MZ) wall=$(($(date +%s) - T0))s"; exit 1; }

. "$REPO/scripts/lib/scratch-workspace.sh"
A="$WORK/a"; B="$WORK/b"; C="$WORK/c"; CACHE="$WORK/cache"
for m in "$A" "$B" "$C"; do scratch_workspace "$m" "$STUDY"; done
mkdir -p "$CACHE"

PORT=$((19000 + RANDOM % 2000))
node "$REPO/bin/sortscope.mjs" cache-server --dir "$CACHE" --port "$PORT" >"$WORK/cache-server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do grep -q serving "$WORK/cache-server.log" 2>/dev/null && break; sleep 0.2; done
grep -q serving "$WORK/cache-server.log" || { say "cache-server did not start: $(cat "$WORK/cache-server.log")"; exit 2; }
export NX_SELF_HOSTED_REMOTE_CACHE_SERVER="http://127.0.0.1:$PORT" NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0 SORTSCOPE_QUIET=1
export SORTSCOPE_BACKEND=${SORTSCOPE_BACKEND:-wasm}
ss() { local m=$1; shift; (cd "$m" && node bin/sortscope.mjs "$@"); }
run() { ss "$1" study run --study "$STUDY" >"$WORK/$2.log" 2>&1 || fail "the study run on $2 failed (see $WORK/$2.log)"; }
sha() { sha256sum "$1" | cut -c1-16; }

# 1. machine A computes and stores everything
run "$A" a-run
read -r EXP KEY < <(ss "$A" study list --study "$STUDY" --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const r=JSON.parse(s).rows[0];console.log(r.experiment+' '+r.keys.llc)})")
FOLDER="artifacts/llc/$KEY"
GOOD=$(sha "$A/$FOLDER/estimates.arrow")
say "machine A ran the study; $(ls "$CACHE" | grep -cE '^[0-9]+$') cache entries; $FOLDER/estimates.arrow $GOOD"

# 2. the entry holding that folder, replaced by a self-consistent fake
HASH=$(ss "$A" cache-server forget --dir "$CACHE" --folder "$FOLDER" --dry-run --quiet)
[[ "$HASH" =~ ^[0-9]+$ ]] || fail "forget --dry-run did not print one task hash for $FOLDER: '$HASH'"
X="$WORK/unpacked"; mkdir -p "$X"
tar xzf "$CACHE/$HASH" -C "$X"
EST=$(find "$X" -path "*$FOLDER/estimates.arrow")
[ -f "$EST" ] || fail "the entry $HASH holds no $FOLDER/estimates.arrow"
REPO="$REPO" node -e '
// the fake: the first llc_mean doubled in place (found as its 8 bytes; a value, not the structure of the file),
// and manifest.json rewritten with the new sha256, so the folder passes every integrity check
const fs = require("fs"), crypto = require("crypto"), path = require("path");
const { tableFromIPC } = require(path.join(process.env.REPO, "node_modules/apache-arrow"));
const est = process.argv[1], manifest = path.join(path.dirname(est), "manifest.json");
const b = fs.readFileSync(est);
const v = tableFromIPC(b).getChild("llc_mean").get(0);
const bytes = (x) => Buffer.from(new Float64Array([x]).buffer);
const at = b.indexOf(bytes(v));
if (at < 0 || b.indexOf(bytes(v), at + 1) >= 0) { console.error("llc_mean " + v + " is not found exactly once in " + est); process.exit(1); }
bytes(2 * v).copy(b, at);
fs.writeFileSync(est, b);
const m = JSON.parse(fs.readFileSync(manifest, "utf8"));
m.files["estimates.arrow"] = crypto.createHash("sha256").update(b).digest("hex");
fs.writeFileSync(manifest, JSON.stringify(m));
console.log("llc_mean " + v + " -> " + 2 * v);' "$EST" >"$WORK/fake.log" || fail "could not make the fake (see $WORK/fake.log)"
(cd "$X" && tar czf "$WORK/fake.tgz" $(ls -A))
cp "$WORK/fake.tgz" "$CACHE/$HASH"
say "replaced cache entry $HASH ($FOLDER) by a fake: estimates.arrow's $(cat "$WORK/fake.log"), manifest.json rewritten to match"

# 3. machine B gets the fake
run "$B" b-run
[ "$(sha "$B/$FOLDER/estimates.arrow")" != "$GOOD" ] || fail "machine B did not get the fake: the test would prove nothing"
say "machine B ran the study and got the fake ($(sha "$B/$FOLDER/estimates.arrow"), A has $GOOD)"

# 4. found by study verify
set +e
ss "$B" study verify --study "$STUDY" --sample 1 --stages llc >"$WORK/verify-1.log" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || fail "study verify exited $rc on the fake, not 3 (see $WORK/verify-1.log)"
grep -q "$FOLDER: estimates.arrow differ" "$WORK/verify-1.log" || fail "study verify did not name $FOLDER (see $WORK/verify-1.log)"
say "study verify: exit 3, naming $FOLDER"

# 5. the documented recovery (docs/study.md, "Taking it out")
[ "$(ss "$B" cache-server forget --dir "$CACHE" --folder "$FOLDER" --dry-run --quiet)" = "$HASH" ] || fail "forget --dry-run on B names another entry"
ss "$B" cache-server forget --dir "$CACHE" --folder "$FOLDER" >"$WORK/forget.log" 2>&1 || fail "forget failed (see $WORK/forget.log)"
(cd "$B" && npx nx reset >"$WORK/nx-reset.log" 2>&1) || fail "nx reset failed (see $WORK/nx-reset.log)"
rm -rf "${B:?}/$FOLDER"
run "$B" b-rerun
say "recovery on B: forget ($(head -1 "$WORK/forget.log")), nx reset, rm -rf $FOLDER, rerun"

# 6. the right result, on B and on a fresh machine C through the cache
[ "$(sha "$B/$FOLDER/estimates.arrow")" = "$GOOD" ] || fail "after the recovery B has $(sha "$B/$FOLDER/estimates.arrow"), not $GOOD"
ss "$B" study verify --study "$STUDY" --sample 1 --stages llc >"$WORK/verify-2.log" 2>&1 || fail "study verify after the recovery failed (see $WORK/verify-2.log)"
run "$C" c-run
grep -qF "llc--$EXP:analyze  [remote cache]" "$WORK/c-run.log" || fail "machine C did not take llc--$EXP from the cache (see $WORK/c-run.log)"
[ "$(sha "$C/$FOLDER/estimates.arrow")" = "$GOOD" ] || fail "machine C got $(sha "$C/$FOLDER/estimates.arrow") from the cache, not $GOOD"
say "after the recovery: B has $GOOD, study verify exit 0; machine C took it from the cache with the same bytes"
[ -n "$(ls -A "$CACHE" | grep "^\.forgotten-$HASH-")" ] || fail "the fake was not kept aside as .forgotten-$HASH-*"

RESULT=PASS
echo "PASS: cache-recovery $(date -u +%Y-%m-%dT%H:%MZ) wall=$(($(date +%s) - T0))s"
