/**
 * Activations by hook name on the ARENA checkpoint: the values are the engine's own forward pass
 * (the same bytes whatever the batch size), shapes are TransformerLens', the attention pattern is a
 * causal probability distribution, the residual stream adds up (resid_post = resid_pre + attn_out),
 * and the two engines agree. Unknown hook names are refused with the valid ones listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activationBytes, collectActivations, resolveHooks } from './activations.ts';
import { allHooks, type Engine } from './engine.ts';
import { FusedEngine } from './fused/engine.ts';
import { loadWeights } from '@sortscope/model';
import { arenaEvalTokens, ARENA_WEIGHTS } from '@sortscope/model/testing';
import { TfjsEngine } from './tfjs/engine.ts';

const w = loadWeights(ARENA_WEIGHTS);
const ROWS = 37; // not a multiple of the batch sizes below
const tokens = arenaEvalTokens().subarray(0, ROWS * w.cfg.n_ctx);
let fused: Engine;
let tfjs: Engine;
beforeAll(async () => {
  fused = await FusedEngine.create(w.cfg, { threads: 2 });
  tfjs = await TfjsEngine.create(w.cfg, { backend: 'wasm' });
}, 600_000);
afterAll(() => {
  fused?.dispose();
  tfjs?.dispose();
});

describe('activations by hook name', () => {
  it('resolves names: all, a list (deduplicated), and refuses unknown ones naming the valid ones', () => {
    expect(resolveHooks(w.cfg, ['all'])).toEqual(allHooks(w.cfg));
    expect(resolveHooks(w.cfg, ['blocks.0.attn.hook_z', 'hook_embed', 'blocks.0.attn.hook_z'])).toEqual(['blocks.0.attn.hook_z', 'hook_embed']);
    expect(() => resolveHooks(w.cfg, ['blocks.1.attn.hook_z'])).toThrow(/unknown hook 'blocks.1.attn.hook_z'.*blocks\.0\.attn\.hook_pattern/);
    expect(() => resolveHooks(w.cfg, [])).toThrow(/no hook named/);
    expect(activationBytes(w.cfg, ['blocks.0.attn.hook_pattern'], 10)).toBe(4 * 10 * 2 * 20 * 20);
  });

  it('are the engine forward pass, in TransformerLens shapes, whatever the batch size', () => {
    const hooks = allHooks(w.cfg);
    const a = collectActivations(fused, w.params, tokens, ROWS, hooks, { batchSize: 16 });
    const whole = fused.forward(w.params, { tokens, rows: ROWS }, { hooks }).cache;
    expect(a['blocks.0.attn.hook_pattern'].shape).toEqual([ROWS, 2, 20, 20]);
    expect(a['blocks.0.attn.hook_z'].shape).toEqual([ROWS, 20, 2, 48]);
    expect(a['blocks.0.hook_resid_post'].shape).toEqual([ROWS, 20, 96]);
    for (const h of hooks) {
      expect(a[h].shape, h).toEqual(whole[h]!.shape);
      let diff = 0;
      a[h].data.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - whole[h]!.data[i]))));
      expect(diff, h).toBeLessThan(1e-5); // batch composition may change float32 summation order only
    }
  });

  it('the pattern is causal and sums to 1; resid_post = resid_pre + attn_out; the engines agree', () => {
    const hooks = resolveHooks(w.cfg, ['blocks.0.attn.hook_pattern', 'blocks.0.hook_resid_pre', 'blocks.0.hook_attn_out', 'blocks.0.hook_resid_post']);
    const a = collectActivations(fused, w.params, tokens, ROWS, hooks, { batchSize: 10 });
    const p = a['blocks.0.attn.hook_pattern'].data; // [rows, heads, q, k]
    for (let r = 0; r < ROWS; r++)
      for (let h = 0; h < 2; h++)
        for (let q = 0; q < 20; q++) {
          let s = 0;
          for (let k = 0; k < 20; k++) {
            const v = p[((r * 2 + h) * 20 + q) * 20 + k];
            if (k > q) expect(v).toBe(0);
            s += v;
          }
          expect(Math.abs(s - 1)).toBeLessThan(1e-5);
        }
    const [pre, out, post] = ['blocks.0.hook_resid_pre', 'blocks.0.hook_attn_out', 'blocks.0.hook_resid_post'].map((h) => a[h].data);
    let err = 0;
    post.forEach((v, i) => (err = Math.max(err, Math.abs(v - (pre[i] + out[i])))));
    expect(err).toBeLessThan(1e-5);
    const b = collectActivations(tfjs, w.params, tokens, ROWS, hooks, { batchSize: 500 });
    for (const h of hooks) {
      let d = 0;
      a[h].data.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[h].data[i]))));
      expect(d, h).toBeLessThan(1e-3);
    }
  });
});
