#!/bin/sh
# Build the WebAssembly SIMD peak probe (peak.c → peak.wasm, and peak-relaxed.wasm with relaxed
# SIMD) for ../../src/fused/peak.ts. Not part of the engine; the .wasm files are committed.
#   sh packages/engine/fused-src/probe/build-peak.sh
# Toolchain: Debian's clang 14 + lld, as ../build.sh. peak-native.c is compiled by peak.ts itself.
#
# clang 14 emits relaxed SIMD only in its prototype encoding (__builtin_wasm_fma_f32x4 →
# 0xfd 0xaf 0x01 "f32x4.fma"), which V8 rejects; the final opcode of f32x4.relaxed_madd is
# 0xfd 0x85 0x02 (same length). Every f32x4.fma instruction that llvm-objdump lists is rewritten
# in place (the bytes are checked first), nothing else in the file changes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
OBJDUMP=${OBJDUMP:-llvm-objdump}
FLAGS="--target=wasm32 -O3 -msimd128 -nostdlib -ffreestanding -Wall -Wextra -Wl,--no-entry -Wl,-z,stack-size=4096"
"$CC" $FLAGS -o "$here/peak.wasm" "$here/peak.c"
echo "built $here/peak.wasm ($(wc -c < "$here/peak.wasm") bytes)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if "$CC" $FLAGS -mrelaxed-simd -DRELAXED -o "$tmp/peak-relaxed.wasm" "$here/peak.c" 2> "$tmp/err"; then
  "$OBJDUMP" -d "$tmp/peak-relaxed.wasm" > "$tmp/dis"
  node --input-type=module - "$tmp/peak-relaxed.wasm" "$tmp/dis" "$here/peak-relaxed.wasm" <<'EOF'
import { readFileSync, writeFileSync } from 'node:fs';
const [src, dis, dst] = process.argv.slice(2);
const b = Buffer.from(readFileSync(src));
// the code section's payload start: objdump addresses are relative to it
const leb = (i) => { let v = 0, s = 0, x; do { x = b[i++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return [v, i]; };
let i = 8, code = -1;
while (i < b.length) {
  const id = b[i];
  const [size, p] = leb(i + 1);
  if (id === 10) { code = p; break; }
  i = p + size;
}
if (code < 0) throw new Error('no code section');
let n = 0;
for (const line of readFileSync(dis, 'utf8').split('\n')) {
  const m = /^\s*([0-9a-f]+):\s+fd af 01\s+f32x4\.fma\b/.exec(line);
  if (!m) continue;
  const at = code + parseInt(m[1], 16);
  if (b[at] !== 0xfd || b[at + 1] !== 0xaf || b[at + 2] !== 0x01) throw new Error(`unexpected bytes at ${at}`);
  b[at + 1] = 0x85, b[at + 2] = 0x02; // f32x4.relaxed_madd
  n++;
}
if (!n) throw new Error('no f32x4.fma found');
writeFileSync(dst, b);
console.log(`rewrote ${n} f32x4.fma → f32x4.relaxed_madd`);
EOF
  echo "built $here/peak-relaxed.wasm ($(wc -c < "$here/peak-relaxed.wasm") bytes)"
else
  echo "no relaxed SIMD with $("$CC" --version | head -1):" >&2
  cat "$tmp/err" >&2
fi
echo "with $("$CC" --version | head -1)"
