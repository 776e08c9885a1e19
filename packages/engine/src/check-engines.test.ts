/**
 * The cross-engine sentinel: identical engines agree with zero differences; an engine whose
 * per-token losses are off by 0.01 on a single row is caught.
 */
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { compareEngines } from './check-engines.ts';
import type { Engine } from './engine.ts';
import { FusedEngine } from './fused/engine.ts';
import { paramLayout } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { TfjsEngine } from './tfjs/engine.ts';

const cfg: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 16, d_head: 8, layer_norm: true, ln_eps: 1e-5, d_vocab: 12, list_length: 4, n_ctx: 9 };

function data(rows: number) {
  const rng = Rng.derive(3, 'check-engines');
  const params = new Float32Array(paramLayout(cfg).size);
  rng.fillNormal(params, 0.3);
  const tokens = new Uint8Array(rows * 9);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from({ length: 4 }, () => rng.int(11));
    tokens.set([...nums, 11, ...nums.slice().sort((a, b) => a - b)], r * 9);
  }
  return { params, tokens };
}

/** an engine that returns another engine's evaluation with row `row`'s losses shifted by `delta` */
function skewed(inner: Engine, row: number, delta: number): Engine {
  return new Proxy(inner, {
    get(target, prop, recv) {
      if (prop === 'name') return 'skewed';
      if (prop !== 'evaluate') return Reflect.get(target, prop, recv);
      return (...args: Parameters<Engine['evaluate']>) => {
        const out = target.evaluate(...args);
        const nll = out.nll.slice();
        for (let i = 0; i < 4; i++) if (row < args[1].rows) nll[row * 4 + i] += delta;
        return { ...out, nll };
      };
    },
  });
}

describe('compareEngines', () => {
  it('fused and tfjs agree within the tolerances; a skew of 0.01 on one row of 200 is caught', async () => {
    const { params, tokens } = data(200);
    const fused = await FusedEngine.create(cfg, { threads: 2 });
    const tfjs = await TfjsEngine.create(cfg, { backend: 'wasm' });
    try {
      const ok = compareEngines(fused, tfjs, params, tokens, 200, { ablation: true });
      expect(ok.agree).toBe(true);
      expect(ok.max_diff.token_nll).toBeLessThan(1e-5);
      expect(ok.max_diff.ablation!).toBeLessThan(1e-5);
      const same = compareEngines(fused, fused, params, tokens, 200);
      expect(same.max_diff).toEqual({ loss: 0, token_nll: 0, token_accuracy: 0, ablation: null });
      const bad = compareEngines(fused, skewed(fused, 17, 0.01), params, tokens, 200);
      expect(bad.agree).toBe(false);
      expect(bad.max_diff.token_nll).toBeCloseTo(0.01, 6);
    } finally {
      fused.dispose();
      tfjs.dispose();
    }
  });
});
