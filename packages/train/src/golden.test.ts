/**
 * The ARENA checkpoint (../shared/fixtures/arena-sorted-list) through the tfjs engine and the
 * float64 reference: golden logits, mean loss and accuracies on the 10,000 evaluation sequences,
 * and the per-head mean-ablation loss increases, all computed in float64 by the fixture's author.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateTokens, headAblationLossIncrease, summarize } from './eval.ts';
import { referenceLogits } from './reference.ts';
import { arenaEvalTokens, ARENA_WEIGHTS, golden } from './testing.ts';
import { TfjsEngine } from './tfjs/engine.ts';
import { loadWeights } from './weights.ts';

const g = golden();
const w = loadWeights(ARENA_WEIGHTS);
let engine: TfjsEngine;
beforeAll(async () => {
  engine = await TfjsEngine.create(w.cfg, { backend: 'wasm' });
});

function maxGoldenError(logits: ArrayLike<number>): number {
  let err = 0;
  for (let r = 0; r < 4; r++)
    for (let p = 0; p < 10; p++)
      for (let v = 0; v < 52; v++) err = Math.max(err, Math.abs(logits[(r * 20 + 10 + p) * 52 + v] - g.logits_first4_positions_10_to_19[r][p][v]));
  return err;
}

describe('ARENA fixture', () => {
  const first4 = Uint8Array.from(g.eval_sequences_first4.flat());

  it('infers the model from the state_dict: 1 layer, 2 heads, d_model 96, 49,684 parameters', () => {
    expect(w.cfg).toMatchObject({ n_layers: 1, n_heads: 2, d_model: 96, d_head: 48, d_vocab: 52, n_ctx: 21, layer_norm: true });
    expect(w.layout.size).toBe(49_684);
  });

  it('the float64 reference reproduces the golden logits to 1e-9', () => {
    expect(maxGoldenError(referenceLogits(w.cfg, w.params, first4, 4))).toBeLessThan(1e-9);
  });

  it('the tfjs engine reproduces the golden logits to 1e-4 (float32)', () => {
    expect(engine.name).toBe('tfjs-wasm');
    expect(maxGoldenError(engine.forward(w.params, { tokens: first4, rows: 4 }).logits)).toBeLessThan(1e-4);
  });

  it('reproduces mean loss and accuracies on the 10,000 evaluation sequences to 4 decimals', () => {
    const s = summarize(evaluateTokens(engine, w.params, arenaEvalTokens(), 10_000), 10);
    expect(Math.abs(s.loss - g.eval_10000.mean_loss)).toBeLessThan(5e-5);
    expect(Math.abs(s.token_accuracy - g.eval_10000.token_accuracy)).toBeLessThan(5e-5);
    expect(Math.abs(s.sequence_accuracy - g.eval_10000.sequence_accuracy)).toBeLessThan(5e-5);
    s.loss_per_position.forEach((l, t) => expect(Math.abs(l - g.eval_10000.loss_per_output_position[t])).toBeLessThan(5e-5));
  });

  it("reproduces each head's mean-ablation loss increase (0.918, 4.998)", () => {
    const inc = headAblationLossIncrease(engine, w.params, arenaEvalTokens(), 10_000);
    expect(inc).toHaveLength(1);
    inc[0].forEach((x, h) => expect(Math.abs(x - g.mean_ablation_loss_increase_per_head[h])).toBeLessThan(5e-4));
  });
});
