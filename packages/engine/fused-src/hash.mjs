// SHA-256 of the engine's C sources (*.c, *.h and build.sh, in name order) and of the built .wasm,
// printed as the JSON stored next to the .wasm (src/fused/engine.wasm.json).
// Usage: node hash.mjs <source dir> <engine.wasm>
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function sourceHash(dir) {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((f) => /\.(c|h)$/.test(f) || f === 'build.sh').sort()) {
    h.update(f + '\0');
    h.update(readFileSync(join(dir, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

// run as a script (not when imported, e.g. by build.test.ts)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, wasm] = process.argv.slice(2);
  const wasmHash = createHash('sha256').update(readFileSync(wasm)).digest('hex');
  console.log(JSON.stringify({ source_sha256: sourceHash(dir), wasm_sha256: wasmHash }, null, 2));
}
