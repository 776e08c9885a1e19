#!/bin/sh
# Rebuild ../src/fused/engine.wasm from this folder's C sources (npm run build:fused).
# Toolchain: Debian's clang and lld (apt-get install -y clang lld; clang 14 tested). The .wasm is
# committed, so nothing else (tests, CI, users) needs clang. engine.wasm.json records the SHA-256
# of the sources and of the .wasm; a test checks that the shipped .wasm matches the sources.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../src/fused"
CC=${CC:-clang}
"$CC" --target=wasm32 -O3 ${PROF:+-DPROF} -msimd128 -matomics -mbulk-memory -mmutable-globals -nostdlib -ffreestanding \
  -Wall -Wextra -Wno-unused-parameter -Wno-unused-function \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=2147483648 \
  -Wl,--stack-first -Wl,-z,stack-size=65536 -Wl,--export=__stack_pointer -Wl,--export=__heap_base \
  -o "$out/engine.wasm" "$here/engine.c"
# the Liftoff probe (probe/liftoff-wait.c): not part of the engine
"$CC" --target=wasm32 -O3 -matomics -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory \
  -Wl,--max-memory=1048576 -o "$here/probe/liftoff-wait.wasm" "$here/probe/liftoff-wait.c"
node "$here/hash.mjs" "$here" "$out/engine.wasm" > "$out/engine.wasm.json"
echo "built $out/engine.wasm ($(wc -c < "$out/engine.wasm") bytes) with $("$CC" --version | head -1)"
