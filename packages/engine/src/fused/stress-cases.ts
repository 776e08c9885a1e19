/**
 * The calls the fused engine's stress harness (stress.ts) repeats: every kind of engine call at
 * batch sizes 1, 7, 64 and 512, on two models (the baseline shape; and 2 layers × 3 heads without
 * LayerNorm, odd widths), each reduced to a digest of its exact bytes. The fused engine's results
 * do not depend on the thread count or on batching, so every repetition must give the digest of
 * the first computation, bit for bit.
 */
import { createHash } from 'node:crypto';
import { Rng } from '@sortscope/core';
import type { Batch, HeadAblation, HookName } from '../engine.ts';
import { allHooks } from '../engine.ts';
import { paramLayout } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import type { FusedEngine } from './engine.ts';

export interface StressModel {
  name: string;
  cfg: ModelConfig;
  params: Float32Array;
}

export interface StressCase {
  /** e.g. "baseline lossAndGrad B=64" */
  id: string;
  model: string;
  /** engine calls one run of the case makes */
  calls: number;
  run(engine: FusedEngine): string;
}

function cfgOf(over: Partial<ModelConfig>, n: number): ModelConfig {
  return { n_layers: 1, n_heads: 2, d_model: 96, d_head: 48, layer_norm: true, ln_eps: 1e-5, d_vocab: 52, list_length: n, n_ctx: 2 * n + 1, ...over };
}

export function stressModels(): StressModel[] {
  const models = [
    { name: 'baseline', cfg: cfgOf({}, 10) },
    { name: 'deep', cfg: cfgOf({ n_layers: 2, n_heads: 3, d_model: 30, d_head: 7, layer_norm: false, d_vocab: 21 }, 6) },
  ];
  return models.map(({ name, cfg }) => {
    const layout = paramLayout(cfg);
    const params = new Float32Array(layout.size);
    Rng.derive(11, 'stress', name).fillNormal(params, 0.3);
    for (const p of layout.params) if (p.name.endsWith('.w')) for (let i = 0; i < p.size; i++) params[p.offset + i] += 1;
    return { name, cfg, params };
  });
}

function batchOf(cfg: ModelConfig, rows: number, seed: number): Batch {
  const rng = Rng.derive(seed, 'stress-batch', rows);
  const n = cfg.list_length;
  const sep = cfg.d_vocab - 1;
  const tokens = new Uint8Array(rows * cfg.n_ctx);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from({ length: n }, () => rng.int(sep));
    tokens.set([...nums, sep, ...nums.slice().sort((a, b) => a - b)], r * cfg.n_ctx);
  }
  return { tokens, rows };
}

function digest(...parts: (ArrayBufferView | number)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    if (typeof p === 'number') h.update(new Uint8Array(new Float64Array([p]).buffer));
    else h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

export function stressCases(models: StressModel[]): StressCase[] {
  const cases: StressCase[] = [];
  for (const { name, cfg, params } of models) {
    const P = 2 * cfg.list_length;
    const meanZ = new Float32Array(P * cfg.d_head).map((_, i) => Math.sin(i) * 0.1);
    const ablate: HeadAblation[] = [
      { layer: 0, head: 0, kind: 'zero' },
      { layer: cfg.n_layers - 1, head: cfg.n_heads - 1, kind: 'mean', mean: meanZ },
    ];
    for (const B of [1, 7, 64, 512]) {
      const batch = batchOf(cfg, B, 1);
      cases.push({
        id: `${name} lossAndGrad B=${B}`,
        model: name,
        calls: 1,
        run: (e) => {
          const { loss, grad } = e.lossAndGrad(params, batch);
          return digest(loss, grad);
        },
      });
      cases.push({
        id: `${name} evaluate+ablation B=${B}`,
        model: name,
        calls: 2,
        run: (e) => {
          const clean = e.evaluate(params, batch);
          const abl = e.evaluate(params, batch, { ablate });
          return digest(clean.nll, clean.correct, abl.nll, abl.correct);
        },
      });
      const hooks: HookName[] = B >= 512 ? ['blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_z'] : allHooks(cfg);
      cases.push({
        id: `${name} forward(hooks) B=${B}`,
        model: name,
        calls: 1,
        run: (e) => {
          const { logits, cache } = e.forward(params, batch, { hooks, ablate: B === 7 ? ablate : undefined });
          return digest(logits, ...hooks.flatMap((h) => (cache[h] ? [cache[h]!.data] : [])));
        },
      });
    }
    for (const [chains, B] of [
      [4, 64],
      [3, 7],
      [5, 1],
    ] as const) {
      const ps = Array.from({ length: chains }, (_, c) => params.map((x, i) => x + (i % 97 === c ? 1e-3 : 0)));
      const bs = Array.from({ length: chains }, (_, c) => batchOf(cfg, B, 100 + c));
      cases.push({
        id: `${name} lossAndGradMany ${chains}×B=${B}`,
        model: name,
        calls: 1,
        run: (e) => digest(...e.lossAndGradMany(ps, bs).flatMap((r) => [r.loss, r.grad])),
      });
    }
    // the SGLD step (sgld-step.ts): three steps of a tilted, preconditioned chain on a third of the
    // coordinates (several sum blocks on the baseline), each stream, the MALA buffers kept
    const size = params.length;
    const tilt = params.map((_, i) => Math.cos(i) * 1e-3);
    const indices = Rng.derive(12, 'stress-idx', name).permutation(size).subarray(0, Math.ceil(size / 3));
    const p = Float64Array.from(indices, (_, k) => 0.5 + (k % 5) / 4);
    for (const stream of ['ziggurat', 'box-muller'] as const)
      for (const B of [7, 64]) {
        const batch = batchOf(cfg, B, 3);
        cases.push({
          id: `${name} sgldStep ${stream} B=${B}`,
          model: name,
          calls: 3,
          run: (e) => {
            const w = params.slice();
            const keep = { g: new Float64Array(indices.length), before: new Float64Array(indices.length) };
            const args = { w0: params, tilt, indices, precondition: { p, sqrt: p.map(Math.sqrt) }, nbeta: 500, gamma: 1e3, weightDecay: 1e-3, epsilon: 1e-4, noiseLevel: 1, noise: Rng.derive(13, 'stress-noise'), stream, keep };
            const sums = [0, 1, 2].flatMap(() => Object.values(e.sgldStep(w, batch, args)));
            return digest(w, keep.g, keep.before, ...sums);
          },
        });
      }
  }
  return cases;
}
