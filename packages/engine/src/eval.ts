/**
 * Evaluation on token arrays, in batches, through any Engine: mean loss, token and sequence
 * accuracy, loss per output position, and per-head mean-ablation loss increases.
 *
 * Mean-ablation (the fixture's definition): for head h, replace its z (attention-weighted values
 * before W_O, [pos, d_head]) at every position by the mean of z over the evaluation sequences at
 * that position; report loss(ablated) − loss(clean).
 */
import type { Engine, HeadAblation } from './engine.ts';

export interface EvalSummary {
  rows: number;
  loss: number;
  token_accuracy: number;
  sequence_accuracy: number;
  /** mean loss at each output position (predicting b_1 … b_n) */
  loss_per_position: number[];
}

export interface TokenResults {
  /** [rows, n] */
  nll: Float32Array;
  /** [rows, n] */
  correct: Uint8Array;
}

export function evaluateTokens(engine: Engine, params: Float32Array, tokens: Uint8Array, rows: number, opts: { batchSize?: number; ablate?: HeadAblation[] } = {}): TokenResults {
  const n = engine.cfg.list_length;
  const ctx = engine.cfg.n_ctx;
  const bs = opts.batchSize ?? 1000;
  const nll = new Float32Array(rows * n);
  const correct = new Uint8Array(rows * n);
  for (let r = 0; r < rows; r += bs) {
    const b = Math.min(bs, rows - r);
    const out = engine.evaluate(params, { tokens: tokens.subarray(r * ctx, (r + b) * ctx), rows: b }, { ablate: opts.ablate });
    nll.set(out.nll, r * n);
    correct.set(out.correct, r * n);
  }
  return { nll, correct };
}

/** Summary over all rows, or over the rows where `select[r]` is 1. */
export function summarize(res: TokenResults, n: number, select?: Uint8Array): EvalSummary {
  const rows = res.nll.length / n;
  const perPos = new Float64Array(n);
  let used = 0;
  let tokensRight = 0;
  let seqRight = 0;
  for (let r = 0; r < rows; r++) {
    if (select && !select[r]) continue;
    used++;
    let all = 1;
    for (let t = 0; t < n; t++) {
      perPos[t] += res.nll[r * n + t];
      tokensRight += res.correct[r * n + t];
      all &= res.correct[r * n + t];
    }
    seqRight += all;
  }
  const loss_per_position = Array.from(perPos, (s) => (used ? s / used : NaN));
  return {
    rows: used,
    loss: used ? loss_per_position.reduce((a, b) => a + b, 0) / n : NaN,
    token_accuracy: used ? tokensRight / (used * n) : NaN,
    sequence_accuracy: used ? seqRight / used : NaN,
    loss_per_position,
  };
}

/** Mean of each head's z over the rows: per layer, [n_pos, n_heads, d_head] flattened. */
export function meanHeadZ(engine: Engine, params: Float32Array, tokens: Uint8Array, rows: number, batchSize = 1000): Float64Array[] {
  const { n_layers, n_heads: H, d_head: dh, n_ctx } = engine.cfg;
  const P = 2 * engine.cfg.list_length;
  const sums = Array.from({ length: n_layers }, () => new Float64Array(P * H * dh));
  const hooks = Array.from({ length: n_layers }, (_, L) => `blocks.${L}.attn.hook_z` as const);
  for (let r = 0; r < rows; r += batchSize) {
    const b = Math.min(batchSize, rows - r);
    const { cache } = engine.forward(params, { tokens: tokens.subarray(r * n_ctx, (r + b) * n_ctx), rows: b }, { hooks });
    hooks.forEach((h, L) => {
      const z = cache[h]!.data; // [batch, pos, head, d_head]
      const s = sums[L];
      for (let i = 0; i < z.length; i++) s[i % s.length] += z[i];
    });
  }
  for (const s of sums) for (let i = 0; i < s.length; i++) s[i] /= rows;
  return sums;
}

/** The mean z of one head as [n_pos, d_head] (from meanHeadZ's [n_pos, n_heads, d_head]). */
export function headMean(meanZ: Float64Array, head: number, nHeads: number, dHead: number): Float32Array {
  const P = meanZ.length / (nHeads * dHead);
  const out = new Float32Array(P * dHead);
  for (let p = 0; p < P; p++) for (let j = 0; j < dHead; j++) out[p * dHead + j] = meanZ[(p * nHeads + head) * dHead + j];
  return out;
}

/** loss(head mean-ablated) − loss(clean), [layer][head]. */
export function headAblationLossIncrease(engine: Engine, params: Float32Array, tokens: Uint8Array, rows: number, batchSize = 1000): number[][] {
  const n = engine.cfg.list_length;
  const clean = summarize(evaluateTokens(engine, params, tokens, rows, { batchSize }), n).loss;
  const means = meanHeadZ(engine, params, tokens, rows, batchSize);
  return means.map((meanZ, layer) =>
    Array.from({ length: engine.cfg.n_heads }, (_, head) => {
      const ablate: HeadAblation[] = [{ layer, head, kind: 'mean', mean: headMean(meanZ, head, engine.cfg.n_heads, engine.cfg.d_head) }];
      return summarize(evaluateTokens(engine, params, tokens, rows, { batchSize, ablate }), n).loss - clean;
    }),
  );
}
