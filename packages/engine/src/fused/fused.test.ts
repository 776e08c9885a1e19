/**
 * The fused engine against the tfjs engine (the reference) on random small models: heads 1–3,
 * LayerNorm on and off, 1 and 2 layers, odd widths (padding) and odd batch sizes. Compared:
 * the loss, every gradient entry, logits at every position, every hook, and evaluations with
 * zero- and mean-ablated heads. Then the fused engine's own guarantees: bitwise the same numbers
 * on 1 and 2 threads and through lossAndGradMany, and no memory growth across steps.
 *
 * Tolerances (float32 against float32, different summation orders): the engines agree to
 * ~1e-6 of each tensor's scale (measured up to 6e-7); we allow 2e-5 of the scale (the largest
 * |value| of the tfjs tensor, at least 1), 30× the observed error and still far below any
 * modelling effect. Attention patterns (in [0, 1]) to 2e-5 absolute.
 */
import { Rng } from '@sortscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allHooks, type Batch, type HeadAblation } from '../engine.ts';
import { paramLayout, IGNORE } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { TfjsEngine } from '../tfjs/engine.ts';
import { FusedEngine, fusedSupports } from './engine.ts';

const REL = 2e-5;

function config(over: Partial<ModelConfig>): ModelConfig {
  const n = over.list_length ?? 3;
  return { n_layers: 1, n_heads: 2, d_model: 8, d_head: 4, layer_norm: true, ln_eps: 1e-5, d_vocab: 8, list_length: n, ...over, n_ctx: 2 * n + 1 };
}

/** random parameters (LN weights around 1) and rows of sorted lists: a_1 … a_n SEP sorted(a) */
function setup(cfg: ModelConfig, seed: number, rows: number): { params: Float32Array; batch: Batch } {
  const rng = Rng.derive(seed, 'fused-test');
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.size);
  rng.fillNormal(params, 0.5);
  for (const p of layout.params) if (p.name.endsWith('.w')) for (let i = 0; i < p.size; i++) params[p.offset + i] += 1;
  const tokens = new Uint8Array(rows * cfg.n_ctx);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from({ length: cfg.list_length }, () => rng.int(cfg.d_vocab - 1));
    tokens.set([...nums, cfg.d_vocab - 1, ...nums.slice().sort((a, b) => a - b)], r * cfg.n_ctx);
  }
  return { params, batch: { tokens, rows } };
}

/** max |a − b| over the scale max(1, max |b|) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

const cases: [string, Partial<ModelConfig>, number][] = [
  ['1 head, LN', { n_heads: 1 }, 5],
  ['2 heads, LN, odd widths (d_model 10, d_head 5, d_vocab 11)', { d_model: 10, d_head: 5, d_vocab: 11, list_length: 4 }, 13],
  ['3 heads, no LN', { n_heads: 3, layer_norm: false, d_model: 12 }, 7],
  ['2 layers, 2 heads, LN', { n_layers: 2, d_model: 16, d_head: 8, d_vocab: 12, list_length: 5 }, 9],
  ['2 layers, 3 heads, no LN, d_head 3', { n_layers: 2, n_heads: 3, d_head: 3, layer_norm: false }, 1],
];

const engines = new Map<string, { tfjs: TfjsEngine; one: FusedEngine; two: FusedEngine }>();
beforeAll(async () => {
  for (const [name, over] of cases) {
    const cfg = config(over);
    engines.set(name, { tfjs: await TfjsEngine.create(cfg, { backend: 'wasm' }), one: await FusedEngine.create(cfg, { threads: 1 }), two: await FusedEngine.create(cfg, { threads: 2 }) });
  }
});
afterAll(() => {
  for (const e of engines.values()) e.one.dispose(), e.two.dispose();
});

describe('fused engine vs tfjs engine', () => {
  cases.forEach(([name, over, rows], k) => {
    const cfg = config(over);

    it(`${name}, ${rows} rows: loss and every gradient`, () => {
      const { tfjs, two } = engines.get(name)!;
      const { params, batch } = setup(cfg, 10 + k, rows);
      const ref = tfjs.lossAndGrad(params, batch);
      const got = two.lossAndGrad(params, batch);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThan(REL * Math.max(1, ref.loss));
      for (const p of paramLayout(cfg).params) {
        const err = relErr(got.grad.subarray(p.offset, p.offset + p.size), ref.grad.subarray(p.offset, p.offset + p.size));
        expect(err, p.name).toBeLessThan(REL);
      }
      expect(relErr(got.grad, ref.grad)).toBeLessThan(REL);
    });

    it(`${name}, ${rows} rows: logits at every position and every hook`, () => {
      const { tfjs, two } = engines.get(name)!;
      const { params, batch } = setup(cfg, 20 + k, rows);
      const hooks = allHooks(cfg);
      const ref = tfjs.forward(params, batch, { hooks });
      const got = two.forward(params, batch, { hooks });
      expect(relErr(got.logits, ref.logits)).toBeLessThan(REL);
      for (const h of hooks) {
        expect(got.cache[h]!.shape, h).toEqual(ref.cache[h]!.shape);
        if (h.endsWith('hook_attn_scores')) continue;
        const tol = h.endsWith('hook_pattern') ? 2e-5 : REL; // patterns: absolute (scale 1)
        expect(relErr(got.cache[h]!.data, ref.cache[h]!.data), h).toBeLessThan(tol);
      }
      // scores: as TransformerLens, masked entries are exactly IGNORE (tfjs adds IGNORE to the raw score)
      for (let L = 0; L < cfg.n_layers; L++) {
        const P = 2 * cfg.list_length;
        const a = got.cache[`blocks.${L}.attn.hook_attn_scores`]!.data;
        const b = ref.cache[`blocks.${L}.attn.hook_attn_scores`]!.data;
        let err = 0;
        let scale = 1;
        for (let i = 0; i < a.length; i++) {
          const q = Math.floor(i / P) % P;
          if (i % P > q) expect(a[i]).toBe(IGNORE);
          else (err = Math.max(err, Math.abs(a[i] - b[i]))), (scale = Math.max(scale, Math.abs(b[i])));
        }
        expect(err / scale).toBeLessThan(REL);
      }
    });

    it(`${name}, ${rows} rows: evaluate, clean and with zero- and mean-ablated heads`, () => {
      const { tfjs, two } = engines.get(name)!;
      const { params, batch } = setup(cfg, 30 + k, rows);
      const rng = Rng.derive(k, 'ablation-mean');
      const mean = new Float32Array(2 * cfg.list_length * cfg.d_head);
      rng.fillNormal(mean, 1);
      const L = cfg.n_layers - 1;
      const ablations: HeadAblation[][] = [[], [{ layer: 0, head: 0, kind: 'zero' }], [{ layer: L, head: cfg.n_heads - 1, kind: 'mean', mean }], [{ layer: 0, head: 0, kind: 'mean', mean }, { layer: L, head: cfg.n_heads - 1, kind: 'zero' }]];
      for (const ablate of ablations) {
        const ref = tfjs.evaluate(params, batch, { ablate });
        const got = two.evaluate(params, batch, { ablate });
        expect(relErr(got.nll, ref.nll), JSON.stringify(ablate.map((a) => [a.layer, a.head, a.kind]))).toBeLessThan(REL);
        expect(Array.from(got.correct)).toEqual(Array.from(ref.correct));
        const fwdRef = tfjs.forward(params, batch, { hooks: [`blocks.${L}.attn.hook_z`], ablate });
        const fwdGot = two.forward(params, batch, { hooks: [`blocks.${L}.attn.hook_z`], ablate });
        expect(relErr(fwdGot.logits, fwdRef.logits)).toBeLessThan(REL);
        expect(relErr(fwdGot.cache[`blocks.${L}.attn.hook_z`]!.data, fwdRef.cache[`blocks.${L}.attn.hook_z`]!.data)).toBeLessThan(REL);
      }
    });

    it(`${name}: bitwise the same numbers on 1 and 2 threads`, () => {
      const { one, two } = engines.get(name)!;
      const { params, batch } = setup(cfg, 40 + k, rows + 6);
      const a = one.lossAndGrad(params, batch);
      const b = two.lossAndGrad(params, batch);
      expect(b.loss).toBe(a.loss);
      expect(Buffer.from(b.grad.buffer).equals(Buffer.from(a.grad.buffer))).toBe(true);
      const ablate: HeadAblation[] = [{ layer: 0, head: 0, kind: 'zero' }];
      expect(Array.from(two.evaluate(params, batch, { ablate }).nll)).toEqual(Array.from(one.evaluate(params, batch, { ablate }).nll));
      const hooks = allHooks(cfg);
      const fa = one.forward(params, batch, { hooks });
      const fb = two.forward(params, batch, { hooks });
      expect(Array.from(fb.logits)).toEqual(Array.from(fa.logits));
      for (const h of hooks) expect(Array.from(fb.cache[h]!.data), h).toEqual(Array.from(fa.cache[h]!.data));
    });
  });
});

describe('fused engine', () => {
  const cfg = config({ n_heads: 2, d_model: 12, d_head: 6, d_vocab: 10, list_length: 4 });

  it('lossAndGradMany gives bitwise the results of separate calls (2, 3 and 5 chains, mixed batch sizes)', async () => {
    const engine = engines.get(cases[0][0])!.two;
    const c0 = config(cases[0][1]);
    for (const chains of [2, 3, 5]) {
      const setups = Array.from({ length: chains }, (_, i) => setup(c0, 50 + i, 3 + 2 * i));
      const many = engine.lossAndGradMany(
        setups.map((s) => s.params),
        setups.map((s) => s.batch),
      );
      setups.forEach((s, i) => {
        const one = engine.lossAndGrad(s.params, s.batch);
        expect(many[i].loss).toBe(one.loss);
        expect(Array.from(many[i].grad)).toEqual(Array.from(one.grad));
      });
    }
  });

  it('does not grow its memory across steps, evaluations and hooked forwards', async () => {
    const engine = await FusedEngine.create(cfg, { threads: 2 });
    const { params, batch } = setup(cfg, 60, 32);
    const step = () => {
      engine.lossAndGrad(params, batch);
      engine.lossAndGradMany([params, params], [batch, batch]);
      engine.evaluate(params, batch, { ablate: [{ layer: 0, head: 1, kind: 'zero' }] });
      engine.forward(params, batch, { hooks: allHooks(cfg) });
    };
    step();
    const before = engine.memoryBytes();
    for (let i = 0; i < 20; i++) step();
    expect(engine.memoryBytes()).toBe(before);
    engine.dispose();
    expect(() => engine.lossAndGrad(params, batch)).toThrow(/dispose/);
  });

  it('refuses bad inputs with the shape it expected', async () => {
    const engine = engines.get(cases[0][0])!.one;
    const c0 = config(cases[0][1]);
    const { params, batch } = setup(c0, 70, 2);
    expect(() => engine.lossAndGrad(params.subarray(1), batch)).toThrow(/params has \d+ values/);
    expect(() => engine.lossAndGrad(params, { tokens: batch.tokens, rows: 3 })).toThrow(/expected \[3, 7\]/);
    const bad = batch.tokens.slice();
    bad[4] = c0.d_vocab;
    expect(() => engine.evaluate(params, { tokens: bad, rows: 2 })).toThrow(/not a token/);
    expect(() => engine.evaluate(params, batch, { ablate: [{ layer: 0, head: 5, kind: 'zero' }] })).toThrow(/head 0\.5/);
  });

  it('supports the dataset format and bounded sizes only', () => {
    expect(fusedSupports(config({}))).toBe(true);
    expect(fusedSupports({ ...config({}), n_ctx: 8 })).toBe(false);
    expect(fusedSupports(config({ d_vocab: 300 }))).toBe(false);
    expect(fusedSupports(config({ n_layers: 13 }))).toBe(false);
  });
});
