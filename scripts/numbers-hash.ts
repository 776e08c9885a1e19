/**
 * One line of SHA-256 fingerprints of numbers that must not depend on the JavaScript engine's
 * version: the fused engine's loss and gradient (1 and 2 threads, batch 64 and 512), the
 * chains' noise streams (Box–Muller through Math.log/cos/sin, and the ziggurat), the engine's
 * whole SGLD step (sgldStep: the ziggurat's fast path in WebAssembly, its slow deviates through
 * Math.exp/log, tilt, preconditioner, 1 and 2 threads), and two short LLC estimates of the ARENA
 * checkpoint (devinterp's sampler, 4 chains × 30 draws; the canonical one with tilt and control
 * variate, 4 chains × 40 draws): their per-chain λ and traces.
 *
 *   node --import tsx scripts/numbers-hash.ts          # what scripts/cross-node.sh runs per Node version
 */
import { createHash } from 'node:crypto';
import { Rng, zigguratNormals } from '@sortscope/core';
import { LlcConfigSchema, LlcRunner } from '@sortscope/llc';
import { BASELINE, benchBatch, FusedEngine } from '@sortscope/engine';
import { initParams, loadWeights } from '@sortscope/model';
import { ARENA_DIR, ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';

const hex = (h: ReturnType<typeof createHash>) => h.digest('hex').slice(0, 16);
const bytes = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const out: string[] = [];

for (const threads of [1, 2]) {
  const engine = await FusedEngine.create(BASELINE, { threads });
  const h = createHash('sha256');
  const w = initParams(BASELINE, engine.layout, 3);
  for (const rows of [64, 512]) {
    const { loss, grad } = engine.lossAndGrad(w, benchBatch(rows));
    h.update(bytes(grad)).update(String(loss));
  }
  engine.dispose();
  out.push(`engine×${threads} ${hex(h)}`);
}

for (const threads of [1, 2]) {
  const engine = await FusedEngine.create(BASELINE, { threads });
  const h = createHash('sha256');
  const w0 = initParams(BASELINE, engine.layout, 3);
  const w = w0.slice();
  const tilt = w0.map((_, i) => Math.sin(i) * 1e-3);
  const p = Float64Array.from({ length: w0.length }, (_, k) => 0.5 + (k % 7) / 6);
  for (const stream of ['ziggurat', 'box-muller'] as const) {
    const noise = Rng.derive(9, 'numbers-hash-step');
    for (let s = 0; s < 5; s++) {
      const r = engine.sgldStep(w, benchBatch(64), { w0, tilt, indices: null, precondition: { p, sqrt: p.map(Math.sqrt) }, nbeta: 2000, gamma: 1e3, weightDecay: 0, epsilon: 1e-5, noiseLevel: 1, noise, stream, keep: null });
      h.update(JSON.stringify(r));
    }
  }
  h.update(bytes(w));
  engine.dispose();
  out.push(`sgldStep×${threads} ${hex(h)}`);
}

const z = new Float64Array(200_000);
Rng.derive(7, 'numbers-hash').normals(z);
out.push(`box-muller ${hex(createHash('sha256').update(bytes(z)))}`);
zigguratNormals(Rng.derive(7, 'numbers-hash'), z);
out.push(`ziggurat ${hex(createHash('sha256').update(bytes(z)))}`);

if (ARENA_DIR) {
  const { params, cfg } = loadWeights(ARENA_WEIGHTS, { quiet: true });
  const tokens = arenaEvalTokens();
  const runner = await LlcRunner.start(cfg, { tokens, rows: tokens.length / cfg.n_ctx }, { workers: 2 });
  try {
    const config = LlcConfigSchema.parse({ method: 'sgld', batch_size: 64, chains: 4, draws: 30, burnin: 0 });
    const [est] = await runner.estimate(params, [{ config, target: { kind: 'all' } }]);
    out.push(`llc ${hex(createHash('sha256').update(JSON.stringify(est)))}`);
    const canonical = LlcConfigSchema.parse({ chains: 4, draws: 40, burnin: 10 });
    const [c] = await runner.estimate(params, [{ config: canonical, target: { kind: 'all' } }]);
    out.push(`llc-canonical ${hex(createHash('sha256').update(JSON.stringify(c)))}`);
  } finally {
    await runner.close();
  }
}
console.log(`${process.version} ${out.join(' ')}`);
