/**
 * The ARENA checkpoint (fixtures/arena-sorted-list) through the float64 reference and
 * both engines (tfjs on wasm, fused on 2 threads): golden logits, mean loss and accuracies on the
 * 10,000 evaluation sequences, and the per-head mean-ablation loss increases, all computed in
 * float64 by the fixture's author. Same tolerances for both engines, except the ablation golden:
 * fused on all 10,000 sequences, tfjs against fused on the first 1,000 (30 s → 3 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from './engine.ts';
import { evaluateTokens, headAblationLossIncrease, summarize } from './eval.ts';
import { FusedEngine } from './fused/engine.ts';
import { referenceLogits, loadWeights } from '@sortscope/model';
import { arenaEvalTokens, ARENA_WEIGHTS, golden } from '@sortscope/model/testing';
import { TfjsEngine } from './tfjs/engine.ts';

const g = golden();
const w = loadWeights(ARENA_WEIGHTS);
const first4 = Uint8Array.from(g.eval_sequences_first4.flat());

function maxGoldenError(logits: ArrayLike<number>): number {
  let err = 0;
  for (let r = 0; r < 4; r++)
    for (let p = 0; p < 10; p++)
      for (let v = 0; v < 52; v++) err = Math.max(err, Math.abs(logits[(r * 20 + 10 + p) * 52 + v] - g.logits_first4_positions_10_to_19[r][p][v]));
  return err;
}

describe('ARENA fixture', () => {
  it('infers the model from the state_dict: 1 layer, 2 heads, d_model 96, 49,684 parameters', () => {
    expect(w.cfg).toMatchObject({ n_layers: 1, n_heads: 2, d_model: 96, d_head: 48, d_vocab: 52, n_ctx: 21, layer_norm: true });
    expect(w.layout.size).toBe(49_684);
  });

  it('the float64 reference reproduces the golden logits to 1e-9', () => {
    expect(maxGoldenError(referenceLogits(w.cfg, w.params, first4, 4))).toBeLessThan(1e-9);
  });
});

const ENGINES: [string, () => Promise<Engine>][] = [
  ['tfjs-wasm', () => TfjsEngine.create(w.cfg, { backend: 'wasm' })],
  ['fused-wasm', () => FusedEngine.create(w.cfg, { threads: 2 })],
];

describe.each(ENGINES)('ARENA fixture through the %s engine', (name, create) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(() => engine.dispose());

  it('reproduces the golden logits to 1e-4 (float32)', () => {
    expect(engine.name).toBe(name);
    expect(maxGoldenError(engine.forward(w.params, { tokens: first4, rows: 4 }).logits)).toBeLessThan(1e-4);
  });

  it('reproduces mean loss and accuracies on the 10,000 evaluation sequences to 4 decimals', () => {
    const s = summarize(evaluateTokens(engine, w.params, arenaEvalTokens(), 10_000), 10);
    expect(Math.abs(s.loss - g.eval_10000.mean_loss)).toBeLessThan(5e-5);
    expect(Math.abs(s.token_accuracy - g.eval_10000.token_accuracy)).toBeLessThan(5e-5);
    expect(Math.abs(s.sequence_accuracy - g.eval_10000.sequence_accuracy)).toBeLessThan(5e-5);
    s.loss_per_position.forEach((l, t) => expect(Math.abs(l - g.eval_10000.loss_per_output_position[t])).toBeLessThan(5e-5));
  });

  // the golden on all 10,000 sequences through the fused engine (1 s); tfjs (30 s there) against the
  // fused engine on the first 1,000, where the ablation path is the same code
  if (name === 'fused-wasm')
    it("reproduces each head's mean-ablation loss increase (0.918, 4.998) to 5e-4", () => {
      const inc = headAblationLossIncrease(engine, w.params, arenaEvalTokens(), 10_000);
      expect(inc).toHaveLength(1);
      inc[0].forEach((x, h) => expect(Math.abs(x - g.mean_ablation_loss_increase_per_head[h])).toBeLessThan(5e-4));
    });

  if (name === 'tfjs-wasm')
    it("gives the fused engine's mean-ablation loss increases on 1,000 sequences to 1e-4", async () => {
      const fused = await FusedEngine.create(w.cfg, { threads: 1 });
      try {
        const tokens = arenaEvalTokens().subarray(0, 1000 * w.cfg.n_ctx);
        const [a, b] = [engine, fused].map((e) => headAblationLossIncrease(e, w.params, tokens, 1000));
        expect(a[0]).toHaveLength(2);
        a[0].forEach((x, h) => expect(Math.abs(x - b[0][h])).toBeLessThan(1e-4));
        expect(b[0][1]).toBeGreaterThan(1); // the subset still shows head 1's large effect (4.998 on all 10,000)
      } finally {
        fused.dispose();
      }
    });

  it('gives the loss of a training batch as evaluate does', () => {
    const tokens = arenaEvalTokens().subarray(0, 512 * 21);
    const { loss, grad } = engine.lossAndGrad(w.params, { tokens, rows: 512 });
    const s = summarize(engine.evaluate(w.params, { tokens, rows: 512 }), 10);
    expect(Math.abs(loss - s.loss)).toBeLessThan(1e-5);
    expect(grad.every(Number.isFinite)).toBe(true);
  });
});
