/**
 * The floating-point work of one fused-engine call (`engine.c`): `fusedFlops(cfg, batch, mode)`
 * counts the FLOP a loss-and-gradient call (`'train'`, `lossAndGrad`) or an evaluation
 * (`'forward'`, `evaluate`) must do on that batch, with the work the engine skips left out — a
 * lower bound for the engine as designed, whatever its kernels' speed.
 *
 * What is counted: the unpadded math (d_model, d_head, d_vocab as configured; the engine pads
 * them to multiples of 4 with zeros and computes on the padding too: not counted), i.e. the true
 * work. Each quantity the engine computes is counted once, with these conventions:
 *   - multiply, add, subtract, divide, max, exp, log, sqrt: 1 FLOP each (a·b + c = 2 FLOP);
 *   - a sum of m terms costs m adds (accumulated from zero, as the engine does; so a dot product
 *     of length k costs 2k and an [m × k]·[k × n] product 2mkn — "matmul" below);
 *   - a bias adds 1 per output element, on top of the product;
 *   - LayerNorm's x̂ = (x − μ)·rstd is counted once, in the forward; the engine recomputes it in
 *     the LayerNorm backward and parameter gradient (2 FLOP per element each): not counted;
 *   - not counted: copies, packing, padding, comparisons for argmax (accuracy) and for the
 *     subnormal flush, integer work (finding the combos), the JS side.
 *
 * Notation: d = d_model, H = n_heads, dh = d_head, HD = H·dh, V = d_vocab, n = list_length,
 * P = 2n fed positions, B rows, L layers (NL of them). In the last layer of a train or evaluate
 * call, queries and everything after them run only at the n scored positions: qs_L = n for
 * L = NL − 1, else 0, and Qn_L = P − qs_L query positions per row. Causal attention counts only
 * unmasked (key ≤ query) pairs: pairs_L = Σ_{q = qs_L}^{P−1} (q + 1) per row and head.
 * Layer 0 runs per combo (distinct (position, token) pair of the batch; U of them), queries only
 * for the Uq combos at positions ≥ qs_0.
 * LN(m) = m·(7d + 5): mean d + 1, x − μ d, variance 2d + 1, + eps, sqrt, 1/x, x̂ d, x̂·w + b 2d.
 * LNb(m) = m·(8d + 2): g = dy·w d, mean(g) d + 1, mean(g·x̂) 2d + 1, dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) 4d.
 * LNp(m) = m·3d: dw += dy·x̂ 2d, db += dy d. (LN terms are 0 without layer_norm.)
 *
 * Forward (train and forward):
 *   layer0_fwd   U·(d + LN + 2·2d·HD + 2HD) + Uq·(2d·HD + HD)   embedding add, LN1, K and V, Q
 *   layers_fwd   Σ_{L≥1} LN(B·P) + B·P·(4d·HD + 2HD) + B·Qn_L·(2d·HD + HD)
 *   attn_fwd     Σ_L B·H·pairs_L·(4dh + 6)    per pair: q·k 2dh, scale 1, softmax 5 (max, −, exp, Σ, ÷), p·v 2dh
 *   W_O_fwd      Σ_L B·Qn_L·(2HD·d + 2d)      z·W_O, b_O, residual add
 *   ln_final_fwd LN(B·n)
 *   unembed_fwd  B·n·(2d·V + V)
 *   loss         per scored position: max V, − V, exp V, Σ V, log 1, nll 2 = 4V + 3;
 *                train adds the gradient (softmax − onehot)/(B·n): ÷ 1, × V, − 1 = V + 2,
 *                and the mean loss B·n + 1
 * Backward (train):
 *   unembed_bwd  B·n·2V·d                      dLG·W_Uᵀ
 *   ln_final_bwd LNb(B·n)
 *   W_O_bwd      Σ_L B·Qn_L·2d·HD              dRes·W_Oᵀ
 *   attn_bwd     Σ_L B·H·pairs_L·(8dh + 5)    per pair: dz·v 2dh, Σ p·dp 2, ds 3, dq 2dh, dk 2dh, dv 2dh
 *   layers_bwd   Σ_{L≥1} B·P·2·2HD·d + B·Qn_L·2HD·d + LNb(B·P) + B·Qn_L·d (residual)
 *   layer0_bwd   B·Qn_0·(3HD + d) + B·qs_0·2HD (per-combo sums of q/k/v and residual gradients)
 *                + U·2·2HD·d + Uq·2HD·d (dT·Wᵀ) + LNb(U) + U·d (into the embedding gradient)
 * Weight gradients (train):
 *   grad_W_U      B·n·(2d·V + V)
 *   grad_ln_final LNp(B·n)
 *   grad_W_O      Σ_L B·Qn_L·(2HD·d + d)
 *   grad_layers   Σ_{L≥1} LNp(B·P) + B·P·(2d·2HD + 2HD) + B·Qn_L·(2d·HD + HD)
 *   grad_layer0   U·(2d·2HD + 2HD) + Uq·(2d·HD + HD) + LNp(U)
 *   grad_embed    U·2d                         W_E[tok] and W_pos[pos] += the combo's gradient
 *
 * `matmul` sums the matrix products (2mkn terms, attention's q·k, p·v and their backward
 * included); `gemm` only those run by gemm.h (projections, W_O, unembedding, weight gradients:
 * the 32–40 GFLOP/s kernels), so `matmul − gemm` is attention's.
 * `evaluate` runs in chunks of 512 rows (engine.ts), each with its own combos: 'forward' sums the
 * chunks; a train call is one chunk.
 */
import { BASELINE, benchBatch } from './bench-batch.ts';
import type { ModelConfig } from '@sortscope/model';

export type FlopMode = 'train' | 'forward';

export const FLOP_PARTS = [
  'layer0_fwd', 'layers_fwd', 'attn_fwd', 'W_O_fwd', 'ln_final_fwd', 'unembed_fwd', 'loss',
  'unembed_bwd', 'ln_final_bwd', 'W_O_bwd', 'attn_bwd', 'layers_bwd', 'layer0_bwd',
  'grad_W_U', 'grad_ln_final', 'grad_W_O', 'grad_layers', 'grad_layer0', 'grad_embed',
] as const;
export type FlopPart = (typeof FLOP_PARTS)[number];

export interface FusedFlops {
  /** FLOP per part (0 where the mode or model has none) */
  parts: Record<FlopPart, number>;
  /** all matrix products (2mkn), attention's included */
  matmul: number;
  /** the products run by gemm.h (everything in matmul but attention) */
  gemm: number;
  total: number;
  /** distinct (position, token) pairs, summed over evaluation chunks */
  combos: number;
  /** of which at layer 0's query positions */
  queryCombos: number;
}

/** rows per evaluate call of the engine (engine.ts EVAL_CHUNK) */
const EVAL_CHUNK = 512;

/** combos of rows [r0, r1): U distinct (position, token) pairs over the P fed positions, Uq of them at positions ≥ qs */
export function countCombos(cfg: Pick<ModelConfig, 'list_length' | 'd_vocab'>, tokens: Uint8Array, r0: number, r1: number, qs: number): { U: number; Uq: number } {
  const P = 2 * cfg.list_length, nctx = P + 1, V = cfg.d_vocab;
  const seen = new Uint8Array(P * V);
  let U = 0, Uq = 0;
  for (let r = r0; r < r1; r++)
    for (let p = 0; p < P; p++) {
      const t = tokens[r * nctx + p];
      if (t >= V) throw new RangeError(`token ${t} at row ${r}, position ${p} is ≥ d_vocab ${V}`);
      if (!seen[p * V + t]) {
        seen[p * V + t] = 1;
        U++;
        if (p >= qs) Uq++;
      }
    }
  return { U, Uq };
}

/** FLOP of one fused-engine call on `batch` (see the top of this file) */
export function fusedFlops(cfg: ModelConfig, batch: { tokens: Uint8Array; rows: number }, mode: FlopMode): FusedFlops {
  const P = 2 * cfg.list_length;
  if (batch.tokens.length < batch.rows * (P + 1)) throw new RangeError(`batch of ${batch.rows} rows needs ${batch.rows * (P + 1)} tokens, has ${batch.tokens.length}`);
  const chunk = mode === 'forward' ? EVAL_CHUNK : Math.max(1, batch.rows);
  const out: FusedFlops = { parts: Object.fromEntries(FLOP_PARTS.map((k) => [k, 0])) as Record<FlopPart, number>, matmul: 0, gemm: 0, total: 0, combos: 0, queryCombos: 0 };
  for (let r0 = 0; r0 < batch.rows; r0 += chunk) {
    const r1 = Math.min(batch.rows, r0 + chunk);
    const qs0 = cfg.n_layers === 1 ? cfg.list_length : 0;
    const { U, Uq } = countCombos(cfg, batch.tokens, r0, r1, qs0);
    out.combos += U;
    out.queryCombos += Uq;
    callFlops(cfg, r1 - r0, U, Uq, mode, out);
  }
  return out;
}

/** the FLOP of one call of B rows with U combos (Uq at query positions), added into out */
function callFlops(cfg: ModelConfig, B: number, U: number, Uq: number, mode: FlopMode, out: FusedFlops): void {
  const { d_model: d, n_heads: H, d_head: dh, d_vocab: V, list_length: n, n_layers: NL } = cfg;
  const HD = H * dh, P = 2 * n, train = mode === 'train';
  const ln = cfg.layer_norm ? 1 : 0;
  const LN = (m: number) => ln * m * (7 * d + 5);
  const LNb = (m: number) => ln * m * (8 * d + 2);
  const LNp = (m: number) => ln * m * 3 * d;
  const qs = (L: number) => (L === NL - 1 ? n : 0);
  const Qn = (L: number) => P - qs(L);
  const pairs = (L: number) => (P * (P + 1) - qs(L) * (qs(L) + 1)) / 2;
  /** add `other` FLOP plus the products `mm` (gemm.h unless attention) to part k */
  const add = (k: FlopPart, mm: number, other: number, attention = false) => {
    out.parts[k] += mm + other;
    out.matmul += mm;
    if (!attention) out.gemm += mm;
    out.total += mm + other;
  };

  // forward
  add('layer0_fwd', U * 2 * d * 2 * HD + Uq * 2 * d * HD, U * d + LN(U) + U * 2 * HD + Uq * HD);
  for (let L = 1; L < NL; L++) add('layers_fwd', B * P * 2 * d * 2 * HD + B * Qn(L) * 2 * d * HD, LN(B * P) + B * P * 2 * HD + B * Qn(L) * HD);
  for (let L = 0; L < NL; L++) {
    add('attn_fwd', B * H * pairs(L) * 4 * dh, B * H * pairs(L) * 6, true);
    add('W_O_fwd', B * Qn(L) * 2 * HD * d, B * Qn(L) * 2 * d);
  }
  add('ln_final_fwd', 0, LN(B * n));
  add('unembed_fwd', B * n * 2 * d * V, B * n * V);
  add('loss', 0, B * n * (4 * V + 3) + (train ? B * n * (V + 2) + B * n + 1 : 0));
  if (!train) return;

  // backward
  add('unembed_bwd', B * n * 2 * V * d, 0);
  add('ln_final_bwd', 0, LNb(B * n));
  for (let L = NL - 1; L >= 0; L--) {
    add('W_O_bwd', B * Qn(L) * 2 * d * HD, 0);
    add('attn_bwd', B * H * pairs(L) * 8 * dh, B * H * pairs(L) * 5, true);
    if (L > 0) add('layers_bwd', B * P * 2 * 2 * HD * d + B * Qn(L) * 2 * HD * d, LNb(B * P) + B * Qn(L) * d);
  }
  add('layer0_bwd', U * 2 * 2 * HD * d + Uq * 2 * HD * d, B * Qn(0) * (3 * HD + d) + B * qs(0) * 2 * HD + LNb(U) + U * d);

  // weight gradients
  add('grad_W_U', B * n * 2 * d * V, B * n * V);
  add('grad_ln_final', 0, LNp(B * n));
  for (let L = NL - 1; L >= 0; L--) {
    add('grad_W_O', B * Qn(L) * 2 * HD * d, B * Qn(L) * d);
    if (L > 0) add('grad_layers', B * P * 2 * d * 2 * HD + B * Qn(L) * 2 * d * HD, LNp(B * P) + B * P * 2 * HD + B * Qn(L) * HD);
  }
  add('grad_layer0', U * 2 * d * 2 * HD + Uq * 2 * d * HD, U * 2 * HD + Uq * HD + LNp(U));
  add('grad_embed', 0, U * 2 * d);
}

/** FLOP of the bench's calls on the baseline model, per batch size and mode */
export function benchFlops(batches: number[] = [64, 512]): { rows: number; mode: FlopMode; flops: FusedFlops }[] {
  return batches.flatMap((rows) => (['train', 'forward'] as const).map((mode) => ({ rows, mode, flops: fusedFlops(BASELINE, benchBatch(rows), mode) })));
}

const mf = (x: number) => (x / 1e6).toFixed(2);

/** markdown tables: the bench's FLOP by part (MFLOP), combos, totals */
export function printBenchFlops(print: (line: string) => void = console.log, batches: number[] = [64, 512]): ReturnType<typeof benchFlops> {
  const rows = benchFlops(batches);
  print(`| MFLOP | ${rows.map((r) => `${r.mode} ${r.rows}`).join(' | ')} |`);
  print(`|---|${rows.map(() => '---:').join('|')}|`);
  for (const k of FLOP_PARTS) if (rows.some((r) => r.flops.parts[k])) print(`| ${k} | ${rows.map((r) => mf(r.flops.parts[k])).join(' | ')} |`);
  print(`| **matmul** (all products) | ${rows.map((r) => mf(r.flops.matmul)).join(' | ')} |`);
  print(`| of which gemm.h | ${rows.map((r) => mf(r.flops.gemm)).join(' | ')} |`);
  print(`| **total** | ${rows.map((r) => `**${mf(r.flops.total)}**`).join(' | ')} |`);
  print(`| combos (query combos) | ${rows.map((r) => `${r.flops.combos} (${r.flops.queryCombos})`).join(' | ')} |`);
  return rows;
}
