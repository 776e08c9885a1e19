/**
 * Calibration of the sorted-output predictions, and what one head's copy suppression does to it.
 *
 * Calibration (at every scored position: the n outputs of each list; p = softmax(logits)):
 *   confidence c = max_t p_t,  prediction = argmax_t p_t,  correct = [prediction = target]
 *   ECE = Σ_b (N_b / N) · |acc_b − conf_b|    over B equal-width bins of c in [0, 1]
 *         (acc_b, conf_b: the bin's accuracy and mean confidence; `reliability` lists them)
 *   confidence_wrong = mean c over the wrong predictions;  overconfidence = mean c − accuracy
 *
 * Copy suppression, removed (one-layer models). Head h's direct effect on the logit of token s at
 * query position q, through source position k (whose token is s_k):
 *   e_h(q, k) = A_h[q, k] · ((u_k − mean(u_k)) ⊙ w_ln / σ_q) · W_U[:, s_k]        (with LayerNorm)
 *   e_h(q, k) = A_h[q, k] · u_k · W_U[:, s_k]                                        (without)
 * where u_k = v_k W_O^h (the head's output per unit attention on k, [d_model]), σ_q the final
 * LayerNorm's scale at q (frozen, as in direct logit attribution) and w_ln its weight. This is the
 * OV circuit's diagonal entry as realised on the input: e < 0 means that attending to a number
 * lowers that number's own logit (copy suppression). "Suppression removed" adds −e back to the
 * logit of s_k wherever e < 0 (sources holding numbers; the SEP token is left alone), and
 * changes nothing else: the head still copies, attends and writes everything else. It is done for
 * three sets of sources: all of them, the input list only (k < n), and the sorted outputs already
 * written only (k > n: suppressing a number that was already emitted keeps it from being repeated).
 */
import { ConfigError } from '@sortscope/core';
import { type ModelConfig, paramLayout, spec } from '@sortscope/model';

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  confidence: number;
  accuracy: number;
}

export interface Calibration {
  /** scored positions (rows × n) */
  tokens: number;
  loss: number;
  accuracy: number;
  mean_confidence: number;
  overconfidence: number;
  confidence_wrong: number | null;
  entropy: number;
  ece: number;
  reliability: ReliabilityBin[];
}

export const SUPPRESSION_SOURCES = ['all', 'inputs', 'outputs'] as const;
export type SuppressionSources = (typeof SUPPRESSION_SOURCES)[number];

export interface SuppressionRemoved {
  layer: number;
  head: number;
  /** whose suppression is removed: every source, the input list's, or the written outputs' */
  sources: SuppressionSources;
  /** mean over scored positions of the summed |e| that was added back */
  removed_logit: number;
  calibration: Calibration;
}

export interface CalibrationReport {
  clean: Calibration;
  suppression_removed: SuppressionRemoved[];
}

/** Accumulates (logits, target) pairs into a Calibration. */
export class CalibrationAccumulator {
  private n = 0;
  private nll = 0;
  private correct = 0;
  private conf = 0;
  private confWrong = 0;
  private wrong = 0;
  private ent = 0;
  private readonly binCount: number[];
  private readonly binConf: number[];
  private readonly binCorrect: number[];

  constructor(readonly bins = 15) {
    this.binCount = new Array(bins).fill(0);
    this.binConf = new Array(bins).fill(0);
    this.binCorrect = new Array(bins).fill(0);
  }

  add(logits: ArrayLike<number>, target: number): void {
    let max = -Infinity;
    let arg = 0;
    for (let t = 0; t < logits.length; t++) if (logits[t] > max) [max, arg] = [logits[t], t];
    let z = 0;
    for (let t = 0; t < logits.length; t++) z += Math.exp(logits[t] - max);
    const logZ = max + Math.log(z);
    let h = 0;
    for (let t = 0; t < logits.length; t++) {
      const lp = logits[t] - logZ;
      h -= Math.exp(lp) * lp;
    }
    const c = Math.exp(max - logZ);
    const ok = arg === target ? 1 : 0;
    this.n++;
    this.nll += logZ - logits[target];
    this.correct += ok;
    this.conf += c;
    this.ent += h;
    if (!ok) {
      this.wrong++;
      this.confWrong += c;
    }
    const b = Math.min(this.bins - 1, Math.floor(c * this.bins));
    this.binCount[b]++;
    this.binConf[b] += c;
    this.binCorrect[b] += ok;
  }

  result(): Calibration {
    const N = this.n;
    let ece = 0;
    const reliability: ReliabilityBin[] = [];
    for (let b = 0; b < this.bins; b++) {
      const k = this.binCount[b];
      const r = { lo: b / this.bins, hi: (b + 1) / this.bins, count: k, confidence: k ? this.binConf[b] / k : NaN, accuracy: k ? this.binCorrect[b] / k : NaN };
      if (k) ece += (k / N) * Math.abs(r.accuracy - r.confidence);
      reliability.push(r);
    }
    return {
      tokens: N,
      loss: this.nll / N,
      accuracy: this.correct / N,
      mean_confidence: this.conf / N,
      overconfidence: (this.conf - this.correct) / N,
      confidence_wrong: this.wrong ? this.confWrong / this.wrong : null,
      entropy: this.ent / N,
      ece,
      reliability,
    };
  }
}


/**
 * The calibration of the model on `rows` sequences [rows, n_ctx], clean and with each head's copy
 * suppression removed (float64 forward, as model/reference.ts).
 */
export function calibrationReport(cfg: ModelConfig, params: ArrayLike<number>, tokens: Uint8Array, rows: number, bins = 15): CalibrationReport {
  if (cfg.n_layers !== 1) throw new ConfigError(`calibration: the direct effects are defined here for one-layer models; this one has n_layers ${cfg.n_layers}`);
  if (tokens.length < rows * cfg.n_ctx) throw new ConfigError(`calibration: ${rows} rows need ${rows * cfg.n_ctx} tokens; got ${tokens.length}`);
  const { d_model: d, n_heads: H, d_head: dh, d_vocab: V, n_ctx, list_length: n } = cfg;
  const P = 2 * n;
  const SEP = V - 1;
  const layout = paramLayout(cfg);
  const g = (name: string): Float64Array => {
    const s = spec(layout, name);
    return Float64Array.from({ length: s.size }, (_, i) => params[s.offset + i]);
  };
  const [WE, Wpos, WQ, WK, WV, WO, bQ, bK, bV, bO, WU, bU] = ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V', 'blocks.0.attn.W_O', 'blocks.0.attn.b_Q', 'blocks.0.attn.b_K', 'blocks.0.attn.b_V', 'blocks.0.attn.b_O', 'unembed.W_U', 'unembed.b_U'].map(g);
  const ln = cfg.layer_norm;
  const [ln1w, ln1b, lnfw, lnfb] = ln ? ['blocks.0.ln1.w', 'blocks.0.ln1.b', 'ln_final.w', 'ln_final.b'].map(g) : [null, null, null, null];
  const clean = new CalibrationAccumulator(bins);
  const variants = Array.from({ length: H }, (_, h) => SUPPRESSION_SOURCES.map((sources) => ({ h, sources, acc: new CalibrationAccumulator(bins), added: 0 }))).flat();
  const inSources = (sources: SuppressionSources, kp: number) => sources === 'all' || (sources === 'inputs' ? kp < n : kp > n);
  const norm = (x: Float64Array, w: Float64Array | null, b: Float64Array | null): { y: Float64Array; sigma: number } => {
    if (!w || !b) return { y: x, sigma: 1 };
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[i] / d;
    let ms = 0;
    for (let i = 0; i < d; i++) ms += (x[i] - mean) ** 2 / d;
    const sigma = Math.sqrt(ms + cfg.ln_eps);
    return { y: Float64Array.from(x, (v, i) => ((v - mean) / sigma) * w[i] + b[i]), sigma };
  };
  for (let r = 0; r < rows; r++) {
    const tok = (p: number) => tokens[r * n_ctx + p];
    const resid = Array.from({ length: P }, (_, p) => Float64Array.from({ length: d }, (_, i) => WE[tok(p) * d + i] + Wpos[p * d + i])); // [pos][d_model]
    const x = resid.map((v) => norm(v, ln1w, ln1b).y);
    const out = Array.from({ length: P }, () => Float64Array.from(bO)); // [pos][d_model]
    const A: Float64Array[][] = []; // [head][query pos][key pos]
    const selfDla: Float64Array[] = []; // [head][key pos]: ((u_k − mean) ⊙ w_ln) · W_U[:, s_k], before 1/σ_q
    for (let h = 0; h < H; h++) {
      const proj = (W: Float64Array, b: Float64Array) => x.map((xp) => Float64Array.from({ length: dh }, (_, j) => { let s = b[h * dh + j]; for (let i = 0; i < d; i++) s += xp[i] * W[(h * d + i) * dh + j]; return s; })); // [pos][d_head]
      const q = proj(WQ, bQ);
      const k = proj(WK, bK);
      const v = proj(WV, bV);
      const u = v.map((vk) => Float64Array.from({ length: d }, (_, i) => { let s = 0; for (let j = 0; j < dh; j++) s += vk[j] * WO[(h * dh + j) * d + i]; return s; })); // [pos][d_model]
      const Ah: Float64Array[] = [];
      for (let qp = 0; qp < P; qp++) {
        const a = new Float64Array(P);
        let max = -Infinity;
        for (let kp = 0; kp <= qp; kp++) {
          let s = 0;
          for (let j = 0; j < dh; j++) s += q[qp][j] * k[kp][j];
          a[kp] = s / Math.sqrt(dh);
          max = Math.max(max, a[kp]);
        }
        let z = 0;
        for (let kp = 0; kp <= qp; kp++) z += a[kp] = Math.exp(a[kp] - max);
        for (let kp = 0; kp <= qp; kp++) {
          a[kp] /= z;
          for (let i = 0; i < d; i++) out[qp][i] += a[kp] * u[kp][i];
        }
        Ah.push(a);
      }
      A.push(Ah);
      selfDla.push(
        Float64Array.from({ length: P }, (_, kp) => {
          const s = tok(kp);
          let mean = 0;
          if (ln) for (let i = 0; i < d; i++) mean += u[kp][i] / d;
          let e = 0;
          for (let i = 0; i < d; i++) e += (u[kp][i] - mean) * (lnfw ? lnfw[i] : 1) * WU[i * V + s];
          return e;
        }),
      );
    }
    for (let t = 0; t < n; t++) {
      const qp = n + t; // predicts token n + 1 + t
      const target = tok(n + 1 + t);
      const final = Float64Array.from(resid[qp], (v, i) => v + out[qp][i]);
      const { y, sigma } = norm(final, lnfw, lnfb);
      const logits = Float64Array.from({ length: V }, (_, s) => { let z = bU[s]; for (let i = 0; i < d; i++) z += y[i] * WU[i * V + s]; return z; });
      clean.add(logits, target);
      for (const x of variants) {
        const mod = Float64Array.from(logits);
        let added = 0;
        for (let kp = 0; kp <= qp; kp++) {
          if (tok(kp) === SEP || !inSources(x.sources, kp)) continue;
          const e = (A[x.h][qp][kp] * selfDla[x.h][kp]) / sigma;
          if (e < 0) {
            mod[tok(kp)] -= e;
            added -= e;
          }
        }
        x.acc.add(mod, target);
        x.added += added;
      }
    }
  }
  const N = rows * n;
  return { clean: clean.result(), suppression_removed: variants.map((x) => ({ layer: 0, head: x.h, sources: x.sources, removed_logit: x.added / N, calibration: x.acc.result() })) };
}
