import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { allHooks, hookShape } from './engine.ts';
import { paramLayout, initParams } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { TfjsEngine } from './tfjs/engine.ts';

const cfg: ModelConfig = { n_layers: 2, n_heads: 2, d_model: 16, d_head: 8, layer_norm: true, ln_eps: 1e-5, d_vocab: 12, n_ctx: 9, list_length: 4 };

function batch(rows: number) {
  const tokens = new Uint8Array(rows * 9);
  for (let r = 0; r < rows; r++) tokens.set([3, 1, 7, 5, 11, 1, 3, 5, 7], r * 9);
  return { tokens, rows };
}

describe('tfjs engine', () => {
  it('leaks no tensors across steps, evaluations and hooked forwards', async () => {
    const engine = await TfjsEngine.create(cfg, { backend: 'wasm' });
    const params = initParams(cfg, paramLayout(cfg), 1);
    engine.lossAndGrad(params, batch(4)); // warm up: the backend allocates its own state once
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      engine.lossAndGrad(params, batch(4));
      engine.evaluate(params, batch(4), { ablate: [{ layer: 1, head: 0, kind: 'zero' }] });
      engine.forward(params, batch(4), { hooks: allHooks(cfg) });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns every hook in its TransformerLens shape', async () => {
    const engine = await TfjsEngine.create(cfg, { backend: 'wasm' });
    const params = initParams(cfg, paramLayout(cfg), 1);
    const { cache, logits } = engine.forward(params, batch(3), { hooks: allHooks(cfg) });
    expect(logits.length).toBe(3 * 8 * 12);
    for (const h of allHooks(cfg)) {
      expect(cache[h]!.shape).toEqual(hookShape(h, cfg, 3));
      expect(cache[h]!.data.length).toBe(hookShape(h, cfg, 3).reduce((a, b) => a * b, 1));
    }
    // attention patterns are causal and sum to one
    const pat = cache['blocks.0.attn.hook_pattern']!.data; // [batch, head, q, k]
    for (let q = 0; q < 8; q++) {
      let s = 0;
      for (let k = 0; k < 8; k++) s += pat[q * 8 + k];
      expect(s).toBeCloseTo(1, 5);
      for (let k = q + 1; k < 8; k++) expect(pat[q * 8 + k]).toBe(0);
    }
  });

  it('zero-ablating every head leaves only the direct path (embed → unembed)', async () => {
    const engine = await TfjsEngine.create({ ...cfg, n_layers: 1 }, { backend: 'wasm' });
    const c1 = { ...cfg, n_layers: 1 };
    const params = initParams(c1, paramLayout(c1), 2);
    const ablate = [0, 1].map((head) => ({ layer: 0, head, kind: 'zero' as const }));
    const a = engine.evaluate(params, batch(2), { ablate });
    // with W_O zeroed the same holds: ablating z = 0 is the same as removing the heads' output
    const zeroed = params.slice();
    const WO = paramLayout(c1).params.find((p) => p.name === 'blocks.0.attn.W_O')!;
    zeroed.fill(0, WO.offset, WO.offset + WO.size);
    const b = engine.evaluate(zeroed, batch(2));
    a.nll.forEach((v, i) => expect(v).toBeCloseTo(b.nll[i], 5));
  });
});
