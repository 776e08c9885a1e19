/**
 * Gradients of the tfjs engine against central finite differences of the float64 reference loss,
 * on tiny models covering heads 1–3, LayerNorm on/off and two layers; plus forward parity.
 */
import { Rng } from '@sortscope/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { paramLayout, referenceLogits, referenceLoss } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { TfjsEngine } from './tfjs/engine.ts';

function tinyConfig(over: Partial<ModelConfig>): ModelConfig {
  return { n_layers: 1, n_heads: 2, d_model: 8, d_head: 4, layer_norm: true, ln_eps: 1e-5, d_vocab: 8, n_ctx: 7, list_length: 3, ...over };
}

function randomSetup(cfg: ModelConfig, seed: number, rows = 3) {
  const rng = Rng.derive(seed, 'grad-test');
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.size);
  rng.fillNormal(params, 0.5);
  for (const p of layout.params) if (p.name.endsWith('.w')) for (let i = 0; i < p.size; i++) params[p.offset + i] += 1;
  const tokens = new Uint8Array(rows * cfg.n_ctx);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from(rng.permutation(cfg.d_vocab - 1).subarray(0, cfg.list_length));
    tokens.set([...nums, cfg.d_vocab - 1, ...nums.slice().sort((a, b) => a - b)], r * cfg.n_ctx);
  }
  return { layout, params, tokens, rows };
}

const cases: [string, Partial<ModelConfig>][] = [
  ['1 head, LayerNorm', { n_heads: 1 }],
  ['2 heads, LayerNorm', {}],
  ['3 heads, no LayerNorm', { n_heads: 3, layer_norm: false }],
  ['2 layers, 2 heads', { n_layers: 2 }],
];

let engines: Map<string, TfjsEngine>;
beforeAll(async () => {
  engines = new Map();
  for (const [name, over] of cases) engines.set(name, await TfjsEngine.create(tinyConfig(over), { backend: 'wasm' }));
});

describe('tfjs engine vs float64 reference', () => {
  for (const [name, over] of cases) {
    it(`${name}: logits, loss and every gradient`, () => {
      const cfg = tinyConfig(over);
      const engine = engines.get(name)!;
      const { params, tokens, rows, layout } = randomSetup(cfg, 7);
      const ref = referenceLogits(cfg, params, tokens, rows);
      const { logits } = engine.forward(params, { tokens, rows });
      let maxErr = 0;
      ref.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - logits[i]))));
      expect(maxErr).toBeLessThan(1e-4);

      const { loss, grad } = engine.lossAndGrad(params, { tokens, rows });
      expect(Math.abs(loss - referenceLoss(cfg, params, tokens, rows))).toBeLessThan(1e-5);
      const p64 = Float64Array.from(params);
      const h = 1e-5;
      let worst = 0;
      for (let i = 0; i < layout.size; i++) {
        const keep = p64[i];
        p64[i] = keep + h;
        const up = referenceLoss(cfg, p64, tokens, rows);
        p64[i] = keep - h;
        const down = referenceLoss(cfg, p64, tokens, rows);
        p64[i] = keep;
        const fd = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - grad[i]) / (1e-3 + Math.abs(fd)));
      }
      // float32 gradients vs float64 central differences: relative error well under 1%
      expect(worst).toBeLessThan(2e-3);
    });
  }
});
