/**
 * The cross-engine sentinel: one evaluation (per-token losses, accuracies and, optionally, each
 * head's mean-ablation loss increase) on two engines, with the largest differences between them.
 * `sortscope eval --check-engines` runs it on the fused engine and on tfjs (the reference).
 *
 * Agreement, from what float32 with different summation orders gives on the ARENA checkpoint
 * (differences up to ~1e-5): every per-token loss within TOL.token_nll, the mean loss within
 * TOL.loss, every ablation increase within TOL.ablation. A wrong result from either engine
 * (the fused race gave loss 6.5 for 0.075) is many orders above these.
 */
import type { Engine } from './engine.ts';
import { evaluateTokens, headAblationLossIncrease, summarize } from './eval.ts';

export const ENGINE_TOLERANCE = { loss: 1e-4, token_nll: 1e-3, ablation: 1e-3 } as const;

export interface EngineComparison {
  engines: [string, string];
  rows: number;
  loss: [number, number];
  token_accuracy: [number, number];
  /** [layer][head] per engine, or null when not computed */
  head_ablation_loss_increase: [number[][], number[][]] | null;
  max_diff: { loss: number; token_nll: number; token_accuracy: number; ablation: number | null };
  tolerance: typeof ENGINE_TOLERANCE;
  agree: boolean;
}

export function compareEngines(a: Engine, b: Engine, params: Float32Array, tokens: Uint8Array, rows: number, opts: { ablation?: boolean; batchSize?: number } = {}): EngineComparison {
  const n = a.cfg.list_length;
  const ra = evaluateTokens(a, params, tokens, rows, { batchSize: opts.batchSize });
  const rb = evaluateTokens(b, params, tokens, rows, { batchSize: opts.batchSize });
  const sa = summarize(ra, n);
  const sb = summarize(rb, n);
  let tokenNll = 0;
  for (let i = 0; i < ra.nll.length; i++) tokenNll = Math.max(tokenNll, Math.abs(ra.nll[i] - rb.nll[i]) || (Number.isNaN(ra.nll[i]) !== Number.isNaN(rb.nll[i]) ? Infinity : 0));
  const abl = opts.ablation ? ([headAblationLossIncrease(a, params, tokens, rows, opts.batchSize), headAblationLossIncrease(b, params, tokens, rows, opts.batchSize)] as [number[][], number[][]]) : null;
  const ablDiff = abl ? Math.max(0, ...abl[0].flatMap((l, L) => l.map((x, h) => Math.abs(x - abl[1][L][h])))) : null;
  const max_diff = { loss: Math.abs(sa.loss - sb.loss), token_nll: tokenNll, token_accuracy: Math.abs(sa.token_accuracy - sb.token_accuracy), ablation: ablDiff };
  const agree =
    max_diff.loss <= ENGINE_TOLERANCE.loss && max_diff.token_nll <= ENGINE_TOLERANCE.token_nll && (ablDiff === null || ablDiff <= ENGINE_TOLERANCE.ablation);
  return {
    engines: [a.name, b.name],
    rows,
    loss: [sa.loss, sb.loss],
    token_accuracy: [sa.token_accuracy, sb.token_accuracy],
    head_ablation_loss_increase: abl,
    max_diff,
    tolerance: ENGINE_TOLERANCE,
    agree,
  };
}
