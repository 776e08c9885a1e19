// Runs one probe of liftoff-wait.wasm and prints its result: node [--liftoff-only] liftoff-wait.mjs probe_inline|probe_leaf
// A healthy engine prints "123456"; with the Liftoff defect probe_inline never returns (run it under a timeout).
import { readFileSync } from 'node:fs';

const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
const { instance } = await WebAssembly.instantiate(readFileSync(new URL('./liftoff-wait.wasm', import.meta.url)), { env: { memory } });
const probe = process.argv[2] ?? 'probe_leaf';
instance.exports.set_word(123456);
console.log(instance.exports[probe](123456, 3));
