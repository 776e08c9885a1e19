/**
 * One line of SHA-256 fingerprints of numbers that must not depend on the JavaScript engine's
 * version: the fused engine's loss and gradient (1 and 2 threads, batch 64 and 512), the
 * chains' noise streams (Box–Muller through Math.log/cos/sin, and the ziggurat), and a short LLC
 * estimate of the ARENA checkpoint (4 chains × 30 draws, its per-chain λ and traces).
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
  } finally {
    await runner.close();
  }
}
console.log(`${process.version} ${out.join(' ')}`);
