/**
 * The ARENA fixture (../../../shared/fixtures/arena-sorted-list) through the fused engine, with
 * the golden numbers its author computed in float64 and the same tolerances as ../golden.test.ts
 * applies to the tfjs engine: logits to 1e-4, loss and accuracies on the 10,000 evaluation
 * sequences to 5e-5, the per-head mean-ablation loss increases (0.918, 4.998) to 5e-4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateTokens, headAblationLossIncrease, summarize } from '../eval.ts';
import { arenaEvalTokens, ARENA_WEIGHTS, golden } from '../testing.ts';
import { loadWeights } from '../weights.ts';
import { FusedEngine } from './engine.ts';

const g = golden();
const w = loadWeights(ARENA_WEIGHTS);
let engine: FusedEngine;
beforeAll(async () => {
  engine = await FusedEngine.create(w.cfg, { threads: 2 });
});
afterAll(() => engine.dispose());

describe('ARENA fixture through the fused engine', () => {
  it('reproduces the golden logits to 1e-4', () => {
    const { logits } = engine.forward(w.params, { tokens: Uint8Array.from(g.eval_sequences_first4.flat()), rows: 4 });
    let err = 0;
    for (let r = 0; r < 4; r++)
      for (let p = 0; p < 10; p++)
        for (let v = 0; v < 52; v++) err = Math.max(err, Math.abs(logits[(r * 20 + 10 + p) * 52 + v] - g.logits_first4_positions_10_to_19[r][p][v]));
    expect(err).toBeLessThan(1e-4);
  });

  it('reproduces mean loss and accuracies on the 10,000 evaluation sequences to 5e-5', () => {
    const s = summarize(evaluateTokens(engine, w.params, arenaEvalTokens(), 10_000), 10);
    expect(Math.abs(s.loss - g.eval_10000.mean_loss)).toBeLessThan(5e-5);
    expect(Math.abs(s.token_accuracy - g.eval_10000.token_accuracy)).toBeLessThan(5e-5);
    expect(Math.abs(s.sequence_accuracy - g.eval_10000.sequence_accuracy)).toBeLessThan(5e-5);
    s.loss_per_position.forEach((l, t) => expect(Math.abs(l - g.eval_10000.loss_per_output_position[t])).toBeLessThan(5e-5));
  });

  it("reproduces each head's mean-ablation loss increase (0.918, 4.998) to 5e-4", () => {
    const inc = headAblationLossIncrease(engine, w.params, arenaEvalTokens(), 10_000);
    expect(inc).toHaveLength(1);
    inc[0].forEach((x, h) => expect(Math.abs(x - g.mean_ablation_loss_increase_per_head[h])).toBeLessThan(5e-4));
  });

  it('gives the loss of a training batch as evaluate does', () => {
    const tokens = arenaEvalTokens().subarray(0, 512 * 21);
    const { loss, grad } = engine.lossAndGrad(w.params, { tokens, rows: 512 });
    const s = summarize(engine.evaluate(w.params, { tokens, rows: 512 }), 10);
    expect(Math.abs(loss - s.loss)).toBeLessThan(1e-6);
    expect(grad.every(Number.isFinite)).toBe(true);
  });
});
