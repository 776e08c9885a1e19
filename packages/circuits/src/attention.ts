/**
 * Attention to the correct next token on a fixed probe set of sequences `a_1 … a_n SEP b_1 … b_n`.
 * The model is fed positions 0 … 2n − 1; the query at position q = n + k (k = 0 … n − 1, i.e. SEP,
 * b_1 … b_{n−1}) predicts the token at q + 1, b_{k+1}. For head h of layer L:
 *
 *   a_h(r, k) = Σ_{p < n : tokens[r, p] = tokens[r, q + 1]} pattern_h[r, q, p]
 *               (blocks.L.attn.hook_pattern [batch, head, query_pos, key_pos]: the attention from
 *                q to the key position(s) in the unsorted half that hold the correct next token)
 *   per_position[h][k] = mean over probe rows r of a_h(r, k)
 *   per_token[h][t]    = mean over (r, k) whose correct next token is t of a_h(r, k)  (NaN if none)
 *   token_count[t]     = how many (r, k) have correct next token t
 *   mean[h]            = mean over all (r, k)
 * (r, k) whose correct token is not a number or is absent from the unsorted half (possible only
 * in noisy data) are skipped; with repeated numbers the attention to every copy is summed.
 */
import { ShapeError } from '@sortscope/core';
import type { Engine, HookName } from '@sortscope/engine';
import type { ModelConfig } from '@sortscope/model';

export interface AttentionSummary {
  layer: number;
  head: number;
  mean: number;
  /** [n] by output position k (the query at n + k predicts b_{k+1}) */
  per_position: Float64Array;
  /** [n_num] by correct next token; NaN where the token never is one */
  per_token: Float64Array;
  /** [n_num] occurrences of each correct next token */
  token_count: Int32Array;
}

interface Sums {
  pos: Float64Array; // [head, n]
  posCount: Float64Array; // [n]
  tok: Float64Array; // [head, n_num]
  tokCount: Float64Array; // [n_num]
}

/** Add one batch's pattern [rows, head, 2n, 2n] to the sums of one layer. */
function accumulate(s: Sums, pattern: Float32Array, tokens: Uint8Array, rows: number, cfg: ModelConfig): void {
  const { n_heads: H, list_length: n, n_ctx } = cfg;
  const P = 2 * n;
  const nNum = cfg.d_vocab - 1;
  if (pattern.length !== rows * H * P * P) throw new ShapeError(`attention pattern has ${pattern.length} values; expected [${rows}, ${H}, ${P}, ${P}]`);
  for (let r = 0; r < rows; r++) {
    const seq = tokens.subarray(r * n_ctx, (r + 1) * n_ctx);
    for (let k = 0; k < n; k++) {
      const q = n + k;
      const target = seq[q + 1];
      if (target >= nNum) continue;
      let found = false;
      for (let p = 0; p < n; p++) found ||= seq[p] === target;
      if (!found) continue;
      s.posCount[k]++;
      s.tokCount[target]++;
      for (let h = 0; h < H; h++) {
        const row = ((r * H + h) * P + q) * P; // pattern[r, h, q, :]
        let a = 0;
        for (let p = 0; p < n; p++) if (seq[p] === target) a += pattern[row + p];
        s.pos[h * n + k] += a;
        s.tok[h * nNum + target] += a;
      }
    }
  }
}

function summaries(s: Sums, layer: number, cfg: ModelConfig): AttentionSummary[] {
  const { n_heads: H, list_length: n } = cfg;
  const nNum = cfg.d_vocab - 1;
  const total = s.posCount.reduce((a, b) => a + b, 0);
  return Array.from({ length: H }, (_, h) => {
    const pos = s.pos.subarray(h * n, (h + 1) * n);
    return {
      layer,
      head: h,
      mean: total ? pos.reduce((a, b) => a + b, 0) / total : NaN,
      per_position: Float64Array.from(pos, (x, k) => (s.posCount[k] ? x / s.posCount[k] : NaN)),
      per_token: Float64Array.from(s.tok.subarray(h * nNum, (h + 1) * nNum), (x, t) => (s.tokCount[t] ? x / s.tokCount[t] : NaN)),
      token_count: Int32Array.from(s.tokCount),
    };
  });
}

/** The summaries of one layer from a pattern [rows, head, 2n, 2n] and its sequences [rows, n_ctx]. */
export function summariseAttention(pattern: Float32Array, tokens: Uint8Array, rows: number, cfg: ModelConfig, layer = 0): AttentionSummary[] {
  const s = newSums(cfg);
  accumulate(s, pattern, tokens, rows, cfg);
  return summaries(s, layer, cfg);
}

function newSums(cfg: ModelConfig): Sums {
  const nNum = cfg.d_vocab - 1;
  return { pos: new Float64Array(cfg.n_heads * cfg.list_length), posCount: new Float64Array(cfg.list_length), tok: new Float64Array(cfg.n_heads * nNum), tokCount: new Float64Array(nNum) };
}

/** Every layer's summaries over the first `rows` probe sequences, in batches of `batchSize`. */
export function probeAttention(engine: Engine, params: Float32Array, tokens: Uint8Array, rows: number, batchSize: number): AttentionSummary[] {
  const { cfg } = engine;
  const hooks = Array.from({ length: cfg.n_layers }, (_, L) => `blocks.${L}.attn.hook_pattern` as HookName);
  const sums = hooks.map(() => newSums(cfg));
  for (let r = 0; r < rows; r += batchSize) {
    const b = Math.min(batchSize, rows - r);
    const batch = tokens.subarray(r * cfg.n_ctx, (r + b) * cfg.n_ctx);
    const { cache } = engine.forward(params, { tokens: batch, rows: b }, { hooks });
    hooks.forEach((hook, L) => accumulate(sums[L], cache[hook]!.data, batch, b, cfg));
  }
  return sums.flatMap((s, L) => summaries(s, L, cfg));
}
