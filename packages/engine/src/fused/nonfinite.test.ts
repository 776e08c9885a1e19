/**
 * Non-finite weights are reported, never hidden. The fused engine flushes tiny values
 * (|x| < 2^-63) to zero for speed; that flush used to turn NaN into 0 too (|NaN| ≥ TINY is false),
 * so a NaN in W_Q evaluated to a plausible loss (3.02) on the fused engine and NaN on tfjs. Both
 * engines must now give NaN for NaN or ±Inf weights, and keep giving the same finite numbers
 * for tiny ones.
 */
import { Rng } from '@sortscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch, Engine } from '../engine.ts';
import { paramLayout, spec } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { TfjsEngine } from '../tfjs/engine.ts';
import { FusedEngine } from './engine.ts';

const cfg: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 8, d_head: 4, layer_norm: true, ln_eps: 1e-5, d_vocab: 8, list_length: 3, n_ctx: 7 };

function setup(): { params: Float32Array; batch: Batch } {
  const rng = Rng.derive(7, 'nonfinite-test');
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.size);
  rng.fillNormal(params, 0.5);
  for (const p of layout.params) if (p.name.endsWith('.w')) for (let i = 0; i < p.size; i++) params[p.offset + i] += 1;
  const rows = 5;
  const tokens = new Uint8Array(rows * cfg.n_ctx);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from({ length: 3 }, () => rng.int(7));
    tokens.set([...nums, 7, ...nums.slice().sort((a, b) => a - b)], r * cfg.n_ctx);
  }
  return { params, batch: { tokens, rows } };
}

function withValue(params: Float32Array, name: string, index: number, value: number): Float32Array {
  const p = params.slice();
  p[spec(paramLayout(cfg), name).offset + index] = value;
  return p;
}

const engines: Engine[] = [];
beforeAll(async () => {
  engines.push(await FusedEngine.create(cfg, { threads: 2 }), await TfjsEngine.create(cfg, { backend: 'wasm' }));
});
afterAll(() => engines.forEach((e) => e.dispose()));

describe.each(['fused-wasm', 'tfjs'])('%s engine', (which) => {
  const engine = () => engines[which === 'tfjs' ? 1 : 0];
  const { params, batch } = setup();

  for (const [label, value] of [['NaN', NaN], ['+Inf', Infinity], ['-Inf', -Infinity]] as const) {
    for (const name of ['blocks.0.attn.W_Q', 'embed.W_E', 'unembed.W_U']) {
      it(`${label} in ${name}: loss and gradient are not finite`, () => {
        const bad = withValue(params, name, 3, value);
        const { loss, grad } = engine().lossAndGrad(bad, batch);
        expect(Number.isFinite(loss)).toBe(false);
        expect(grad.some((g) => !Number.isFinite(g))).toBe(true);
        const ev = engine().evaluate(bad, batch);
        expect(ev.nll.some((x) => !Number.isFinite(x))).toBe(true);
      });
    }
  }

  it('a tiny weight (1e-25) still gives a finite loss equal to the one without it to 1e-6', () => {
    const base = engine().lossAndGrad(params, batch).loss;
    const tiny = engine().lossAndGrad(withValue(params, 'blocks.0.attn.W_Q', 3, 1e-25), batch).loss;
    expect(Number.isFinite(tiny)).toBe(true);
    expect(Math.abs(tiny - engine().lossAndGrad(withValue(params, 'blocks.0.attn.W_Q', 3, 0), batch).loss)).toBeLessThan(1e-6);
    expect(Number.isFinite(base)).toBe(true);
  });
});
