/**
 * Where one fused-engine call's time goes, per phase and thread (engine.c's phases A–F and the
 * barrier waits after each), on the baseline model and the bench's batches:
 *
 *   PROF=1 npm run build:fused -w @sortscope/engine    # a profiling engine.wasm (imports a clock)
 *   npx tsx packages/engine/src/fused/profile.ts [--threads 2] [--batch 64] [--calls 1000]
 *   npm run build:fused -w @sortscope/engine           # back to the shipped build (build.test.ts checks)
 *
 * Without PROF the build is byte-identical to the shipped engine.wasm; this script refuses to run
 * on it (no prof_addr export).
 */
import { pathToFileURL } from 'node:url';
import { initParams, paramLayout } from '@sortscope/model';
import { BASELINE, benchBatch } from './bench-batch.ts';
import { FusedEngine } from './engine.ts';

export const PHASES = ['A pack/combos', 'A wait', 'B layer 0 fwd', 'B wait', 'C rows fwd+bwd', 'C wait', 'D (claim loop)', 'D wait', 'E layer 0 grads', 'E wait', 'F loss + unpack', '(D: combos backward)', '(D: W_U, b_U grads)', '(D: LN_final grads)', '(D: W_O, b_O grads)', '(D: layers ≥ 1)'];

/** mean ms per call and per [thread][phase] over `calls` lossAndGrad calls after 300 warm-up calls */
export async function profile(threads: number, rows: number, calls: number): Promise<{ call: number; phases: number[][] }> {
  const engine = await FusedEngine.create(BASELINE, { threads });
  try {
    const rt = (engine as unknown as { runtime: { memory: { buffer: ArrayBufferLike }; ex: { prof_addr?: () => number } } }).runtime;
    if (!rt.ex.prof_addr) throw new Error('engine.wasm is not a profiling build: run `PROF=1 npm run build:fused -w @sortscope/engine` first (and rebuild without PROF afterwards)');
    const w = initParams(BASELINE, paramLayout(BASELINE), 0);
    const batch = benchBatch(rows);
    for (let i = 0; i < 300; i++) engine.lossAndGrad(w, batch);
    const prof = new Float64Array(rt.memory.buffer, rt.ex.prof_addr(), 8 * 16);
    prof.fill(0);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) engine.lossAndGrad(w, batch);
    const call = (performance.now() - t0) / calls;
    return { call, phases: Array.from({ length: threads }, (_, t) => PHASES.map((_, k) => prof[t * 16 + k] / calls)) };
  } finally {
    engine.dispose();
  }
}

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const threads = flag('threads', 2), rows = flag('batch', 64), calls = flag('calls', 1000);
  const { call, phases } = await profile(threads, rows, calls);
  console.log(`lossAndGrad, batch ${rows}, ${threads} thread(s): ${call.toFixed(3)} ms per call (mean of ${calls}); ms per call in each phase:\n`);
  console.log(`| phase | ${phases.map((_, t) => `thread ${t}`).join(' | ')} |`);
  console.log(`|---|${phases.map(() => '---:').join('|')}|`);
  PHASES.forEach((p, k) => console.log(`| ${p} | ${phases.map((th) => th[k].toFixed(3)).join(' | ')} |`));
  console.log(`| sum | ${phases.map((th) => th.reduce((a, b) => a + b, 0).toFixed(3)).join(' | ')} |`);
}
