/**
 * The tfjs backend, chosen at run time: tfjs-node (TensorFlow's C library) where the optional
 * dependency installed, else tfjs-wasm with SIMD. SORTSCOPE_BACKEND (or a `--backend` flag)
 * overrides: `auto` | `tfjs-node` | `wasm`. The pure-JS `cpu` backend is never used: it is
 * 20–100× slower than either (packages/engine/src/fused/README.md, "Other implementations").
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '@sortscope/core';

// gradients: tfjs-core's Node build registers none; its ESM module that does cannot be loaded by
// Node, so vendor/ holds it bundled as CommonJS (scripts/vendor-tfjs-gradients.sh). Registries are
// process-global: every copy of tfjs-core (and tfjs-node's) sees them.
createRequire(import.meta.url)('../../vendor/tfjs-gradients.cjs');

export type BackendChoice = 'auto' | 'tfjs-node' | 'wasm';
let active: string | null = null;

export function backendChoice(flag?: string): BackendChoice {
  const v = flag ?? process.env.SORTSCOPE_BACKEND ?? 'auto';
  if (v === 'auto' || v === 'tfjs-node' || v === 'wasm') return v;
  throw new ConfigError(`backend: got ${JSON.stringify(v)}; expected one of "auto", "tfjs-node", "wasm" (SORTSCOPE_BACKEND or --backend)`);
}

async function tryNode(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

async function useWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
}

/** Initialise the backend once per process (or worker); returns the engine name, e.g. "tfjs-wasm". */
export async function initBackend(flag?: string): Promise<string> {
  const choice = backendChoice(flag);
  if (active) return active;
  if (choice === 'tfjs-node') {
    if (!(await tryNode())) throw new ConfigError('backend tfjs-node was requested but @tensorflow/tfjs-node is not installed (its installer downloads libtensorflow); use --backend wasm');
  } else if (choice === 'auto') {
    if (!(await tryNode())) await useWasm();
  } else await useWasm();
  await tf.ready();
  const name = tf.getBackend();
  if (name === 'cpu') throw new Error('tfjs fell back to the pure-JS cpu backend, which sortscope never trains on');
  active = name === 'tensorflow' ? 'tfjs-node' : `tfjs-${name}`;
  return active;
}
