/**
 * The two conventions. raw-normalised reproduces the ARENA fixture's OV split; folded is
 * TransformerLens' weight processing, checked by running the processed weights through the model
 * (same log-probabilities as the original) and by its invariants (centred writing weights and
 * unembedding) and its exact relation to raw-normalised for QK.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWeights, type ModelConfig, paramLayout, processWeights, spec } from '@sortscope/model';
import { TfjsEngine } from '@sortscope/engine';
import { ARENA_WEIGHTS, arenaEvalTokens, golden } from '@sortscope/model/testing';
import { headCircuits } from './circuits.ts';
import { circuitInputs } from './conventions.ts';
import { matmul, transpose } from './matrix.ts';
import { randomParams, SMALL_CFG } from './testing.ts';

const arena = loadWeights(ARENA_WEIGHTS);

/** log-softmax over the vocabulary of logits [rows·pos, d_vocab]. */
function logSoftmax(logits: Float32Array, V: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / V; r++) {
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[r * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[r * V + v] - max);
    for (let v = 0; v < V; v++) out[r * V + v] = logits[r * V + v] - max - Math.log(s);
  }
  return out;
}

async function maxLogProbDiff(cfg: ModelConfig, params: Float32Array, tokens: Uint8Array, rows: number): Promise<number> {
  const engine = await TfjsEngine.create(cfg, { backend: 'wasm' });
  const a = logSoftmax(engine.forward(params, { tokens, rows }).logits, cfg.d_vocab);
  const b = logSoftmax(engine.forward(Float32Array.from(processWeights(cfg, params)), { tokens, rows }).logits, cfg.d_vocab);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

function smallTokens(rows: number, cfg = SMALL_CFG): Uint8Array {
  const seqs = [
    [3, 1, 7, 5, 11, 1, 3, 5, 7],
    [0, 10, 4, 2, 11, 0, 2, 4, 10],
  ];
  return Uint8Array.from({ length: rows * cfg.n_ctx }, (_, i) => seqs[Math.floor(i / cfg.n_ctx) % 2][i % cfg.n_ctx]);
}

describe('raw-normalised convention', () => {
  it("reproduces the fixture's OV split: head 0's diagonal exceeds head 1's on exactly tokens 28..36", () => {
    const [layer] = circuitInputs(arena.cfg, arena.params, 'raw-normalised');
    const d0 = headCircuits(layer, 0).OV.diagonal();
    const d1 = headCircuits(layer, 1).OV.diagonal();
    const wins = Array.from({ length: 51 }, (_, t) => t).filter((t) => d0[t] > d1[t]);
    expect(wins).toEqual(golden().ov_diagonal_head0_exceeds_head1_tokens);
    expect(wins).toEqual([28, 29, 30, 31, 32, 33, 34, 35, 36]);
  });

  it('without LayerNorm uses the raw matrices', () => {
    const cfg = { ...SMALL_CFG, layer_norm: false };
    const params = randomParams(cfg, 4);
    const layout = paramLayout(cfg);
    const [inp] = circuitInputs(cfg, params, 'raw-normalised');
    const WE = spec(layout, 'embed.W_E');
    expect(Array.from(inp.E.data)).toEqual(Array.from(params.subarray(WE.offset, WE.offset + WE.size)));
    const WU = spec(layout, 'unembed.W_U');
    expect(Array.from(inp.U.data)).toEqual(Array.from(params.subarray(WU.offset, WU.offset + WU.size)));
  });
});

describe('folded convention (TransformerLens process_weights)', () => {
  let tokens: Uint8Array;
  beforeAll(() => {
    tokens = arenaEvalTokens().subarray(0, 50 * 21);
  });

  // float32 forward passes of two different parameterisations: 1e-4 on log-probabilities
  it('the processed ARENA model gives the same log-probabilities as the original', async () => {
    expect(await maxLogProbDiff(arena.cfg, arena.params, tokens, 50)).toBeLessThan(1e-4);
  });

  it('so does a random model with non-trivial LayerNorm weights and biases: 1 and 2 layers, and without LayerNorm', async () => {
    expect(await maxLogProbDiff(SMALL_CFG, randomParams(SMALL_CFG, 1), smallTokens(6), 6)).toBeLessThan(1e-4);
    const twoLayers = { ...SMALL_CFG, n_layers: 2 };
    expect(await maxLogProbDiff(twoLayers, randomParams(twoLayers, 5), smallTokens(6), 6)).toBeLessThan(1e-4);
    const noLn = { ...SMALL_CFG, layer_norm: false };
    expect(await maxLogProbDiff(noLn, randomParams(noLn, 2), smallTokens(6), 6)).toBeLessThan(1e-4);
  });

  it('centres the writing weights and the unembedding; LayerNorms become weight 1, bias 0', () => {
    const cfg = arena.cfg;
    const [inp] = circuitInputs(cfg, arena.params, 'folded');
    const rowMeans = (data: Float64Array, cols: number) => Array.from({ length: data.length / cols }, (_, r) => data.subarray(r * cols, (r + 1) * cols).reduce((a, b) => a + b, 0) / cols);
    for (const m of rowMeans(inp.E.data, cfg.d_model)) expect(Math.abs(m)).toBeLessThan(1e-9);
    for (const m of rowMeans(inp.P.data, cfg.d_model)) expect(Math.abs(m)).toBeLessThan(1e-9);
    for (const m of rowMeans(inp.U.data, cfg.d_vocab)) expect(Math.abs(m)).toBeLessThan(1e-9); // over the vocabulary
    for (const m of rowMeans(transpose(inp.U).data, cfg.d_model)) expect(Math.abs(m)).toBeLessThan(1e-9); // over d_model
    for (const h of inp.heads) for (const m of rowMeans(h.W_O.data, cfg.d_model)) expect(Math.abs(m)).toBeLessThan(1e-9);
    // every OV row sums to 0 over the output logits (center_unembed)
    const ov = headCircuits(inp, 0).OV.dense();
    for (const m of rowMeans(ov.data, cfg.d_vocab)) expect(Math.abs(m)).toBeLessThan(1e-9);
    const p = processWeights(cfg, arena.params);
    const layout = paramLayout(cfg);
    for (const name of ['blocks.0.ln1.w', 'ln_final.w']) expect(new Set(p.subarray(spec(layout, name).offset, spec(layout, name).offset + cfg.d_model))).toEqual(new Set([1]));
    for (const name of ['blocks.0.ln1.b', 'ln_final.b']) expect(new Set(p.subarray(spec(layout, name).offset, spec(layout, name).offset + cfg.d_model))).toEqual(new Set([0]));
  });

  it('QK differs from raw-normalised only by the LayerNorm scales: folded[i, j] = raw[i, j] · σ_i · σ_j', () => {
    const cfg = arena.cfg;
    const [raw] = circuitInputs(cfg, arena.params, 'raw-normalised');
    const [fold] = circuitInputs(cfg, arena.params, 'folded');
    // σ_t = sqrt(var(W_E[t]) + eps), the LayerNorm scale of token t alone
    const sigma = Array.from({ length: cfg.d_vocab }, (_, t) => {
      const row = fold.E.data.subarray(t * cfg.d_model, (t + 1) * cfg.d_model); // centred W_E[t]
      return Math.sqrt(row.reduce((a, x) => a + x * x, 0) / cfg.d_model + cfg.ln_eps);
    });
    for (const h of [0, 1]) {
      const r = headCircuits(raw, h).QK.dense();
      const f = headCircuits(fold, h).QK.dense();
      let err = 0;
      let scale = 0;
      for (let i = 0; i < cfg.d_vocab; i++)
        for (let j = 0; j < cfg.d_vocab; j++) {
          err = Math.max(err, Math.abs(r.data[i * cfg.d_vocab + j] * sigma[i] * sigma[j] - f.data[i * cfg.d_vocab + j]));
          scale = Math.max(scale, Math.abs(f.data[i * cfg.d_vocab + j]));
        }
      expect(err / scale).toBeLessThan(1e-12);
    }
  });

  it('without LayerNorm only centres the unembedding over the vocabulary', () => {
    const cfg = { ...SMALL_CFG, layer_norm: false };
    const params = randomParams(cfg, 3);
    const [raw] = circuitInputs(cfg, params, 'raw-normalised');
    const [fold] = circuitInputs(cfg, params, 'folded');
    expect(fold.E.data).toEqual(raw.E.data);
    expect(fold.heads[1].W_O.data).toEqual(raw.heads[1].W_O.data);
    const V = cfg.d_vocab;
    for (let k = 0; k < cfg.d_model; k++) {
      const mean = raw.U.data.subarray(k * V, (k + 1) * V).reduce((a, b) => a + b, 0) / V;
      for (let v = 0; v < V; v++) expect(Math.abs(fold.U.data[k * V + v] - (raw.U.data[k * V + v] - mean))).toBeLessThan(1e-12);
    }
    // OV_folded = OV_raw with each row's mean removed
    const a = matmul(raw.E, matmul(raw.heads[0].W_V, matmul(raw.heads[0].W_O, raw.U)));
    const b = headCircuits(fold, 0).OV.dense();
    for (let t = 0; t < V; t++) {
      const mean = a.data.subarray(t * V, (t + 1) * V).reduce((x, y) => x + y, 0) / V;
      for (let v = 0; v < V; v++) expect(Math.abs(b.data[t * V + v] - (a.data[t * V + v] - mean))).toBeLessThan(1e-10);
    }
  });
});
