/**
 * What a training run does, from its checkpoints on fixed clean validation rows — an LLC-free view
 * of development, and the functional test of copy suppression.
 *
 * Essential dynamics (PCA of the trajectory of the model's outputs):
 *   x_t        = log-softmax of the logits at the scored positions of the first `probeRows`
 *                validation rows at checkpoint t, flattened   [rows · n · d_vocab]
 *   X          = x_t − mean_t x_t (rows of X: checkpoints)     [T, rows · n · d_vocab]
 *   K = X Xᵀ   = U Λ Uᵀ (Jacobi, linalg.svdSquare)             [T, T]
 *   scores     = U √Λ, the first 3 columns: the trajectory in its principal axes
 *   explained  = λ_i / Σ λ
 *   turning    = per PC, the steps where its score turns back by at least TURN_PROMINENCE of that
 *                PC's range (a zig-zag filter; the ends excluded)
 *
 * Confidence under ablation (the last checkpoint, `ablationRows` validation rows): for the clean
 * model and with each head mean-ablated (its z replaced by its mean over the rows, as the train
 * stage's ablation), over every scored position:
 *   entropy    = mean H(p),  p = softmax(logits)
 *   confidence = mean max_v p_v
 *   p_target   = mean p_target
 *   loss       = mean −ln p_target
 *
 * Calibration along training (`calibrationSteps`, e.g. the checkpoints with an LLC estimate, on
 * `calibrationRows` validation rows; one-layer models): ECE, overconfidence, confidence on wrong
 * tokens, entropy, loss and accuracy, clean and with each head's copy suppression removed (from
 * all sources, the input list's, the written outputs'): circuits/calibration.ts.
 */
import { join } from 'node:path';
import { readSplit, splitFile } from '@sortscope/dataset';
import { checkpointParams, readCheckpoints, TRAIN_FILES } from '@sortscope/train';
import { createEngine, type Engine, type HeadAblation, headMean, meanHeadZ } from '@sortscope/engine';
import { type ModelConfig, svdSquare } from '@sortscope/model';
import { type Calibration, type CalibrationReport, calibrationReport, type SuppressionSources } from '@sortscope/circuits';

export const TURN_PROMINENCE = 0.1;

export interface OutputStats {
  entropy: number;
  confidence: number;
  p_target: number;
  loss: number;
}

export interface CalibrationPoint {
  loss: number;
  accuracy: number;
  ece: number;
  overconfidence: number;
  confidence_wrong: number | null;
  entropy: number;
  /** the logit added back per scored token (suppression removed only) */
  removed_logit?: number;
}

export interface CalibrationCurve {
  rows: number;
  steps: number[];
  clean: CalibrationPoint[];
  suppression_removed: { head: number; sources: SuppressionSources; points: CalibrationPoint[] }[];
}

export interface Behaviour {
  ed: { steps: number[]; scores: number[][]; explained: number[]; turning: number[][] };
  /** at the last checkpoint: clean, and with head h (layer 0) mean-ablated */
  confidence: { step: number; clean: OutputStats; heads: OutputStats[] };
  /** calibration at the chosen checkpoints; null for models of more than one layer */
  calibration?: CalibrationCurve | null;
}

const point = (c: Calibration, removed?: number): CalibrationPoint => ({
  loss: r6(c.loss),
  accuracy: r6(c.accuracy),
  ece: r6(c.ece),
  overconfidence: r6(c.overconfidence),
  confidence_wrong: c.confidence_wrong === null ? null : r6(c.confidence_wrong),
  entropy: r6(c.entropy),
  ...(removed === undefined ? {} : { removed_logit: r6(removed) }),
});

/** Calibration at `steps` (those that are checkpoints), clean and with each head's suppression removed. */
export function calibrationCurve(cfg: ModelConfig, steps: readonly number[], paramsAt: (step: number) => Float32Array | null, tokens: Uint8Array, rows: number): CalibrationCurve | null {
  if (cfg.n_layers !== 1) return null;
  const used: number[] = [];
  const reports: CalibrationReport[] = [];
  for (const s of steps) {
    const p = paramsAt(s);
    if (!p) continue;
    used.push(s);
    reports.push(calibrationReport(cfg, p, tokens, rows));
  }
  const variants = reports[0]?.suppression_removed ?? [];
  return {
    rows,
    steps: used,
    clean: reports.map((r) => point(r.clean)),
    suppression_removed: variants.map((v, i) => ({ head: v.head, sources: v.sources, points: reports.map((r) => point(r.suppression_removed[i].calibration, r.suppression_removed[i].removed_logit)) })),
  };
}

const r6 = (v: number) => Number(v.toPrecision(6));

/** Log-softmax outputs and their statistics at the scored positions of `rows` rows. */
function outputs(engine: Engine, params: Float32Array, tokens: Uint8Array, rows: number, ablate?: HeadAblation[]): { logp: Float32Array; stats: OutputStats } {
  const { list_length: n, n_ctx: ctx, d_vocab: V } = engine.cfg;
  const { logits } = engine.forward(params, { tokens: tokens.subarray(0, rows * ctx), rows }, { ablate }); // [rows, 2n, V]
  const P = 2 * n;
  const logp = new Float32Array(rows * n * V); // [rows, n, V]
  let entropy = 0;
  let confidence = 0;
  let pTarget = 0;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < n; t++) {
      const at = (r * P + n + t) * V; // scored position n + t predicts token n + t + 1
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[at + v]);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(logits[at + v] - max);
      const lz = max + Math.log(z);
      const out = (r * n + t) * V;
      let h = 0;
      let best = 0;
      for (let v = 0; v < V; v++) {
        const lp = logits[at + v] - lz;
        logp[out + v] = lp;
        const p = Math.exp(lp);
        h -= p > 0 ? p * lp : 0;
        best = Math.max(best, p);
      }
      const target = tokens[r * ctx + n + t + 1];
      entropy += h;
      confidence += best;
      pTarget += Math.exp(logp[out + target]);
      loss -= logp[out + target];
    }
  }
  const m = rows * n;
  return { logp, stats: { entropy: r6(entropy / m), confidence: r6(confidence / m), p_target: r6(pTarget / m), loss: r6(loss / m) } };
}

/**
 * Steps where `y` turns: a zig-zag filter that accepts an extremum once `y` has moved back from it
 * by at least frac · range (so wiggles smaller than that are ignored; the ends never count).
 */
export function turningPoints(steps: readonly number[], y: readonly number[], frac = TURN_PROMINENCE): number[] {
  const range = Math.max(...y) - Math.min(...y);
  if (!(range > 0)) return [];
  const th = frac * range;
  const out: number[] = [];
  let trend = 0; // +1 rising, −1 falling, 0 not yet moved by th
  let ext = 0; // index of the running extreme of the current trend
  for (let i = 1; i < y.length; i++) {
    if (trend === 0) {
      if (Math.abs(y[i] - y[0]) >= th) {
        trend = y[i] > y[0] ? 1 : -1;
        ext = i;
      }
    } else if (trend * (y[i] - y[ext]) >= 0) ext = i;
    else if (Math.abs(y[ext] - y[i]) >= th) {
      out.push(steps[ext]);
      trend = -trend;
      ext = i;
    }
  }
  return out;
}

export function essentialDynamics(steps: number[], xs: Float32Array[], k = 3): Behaviour['ed'] {
  const T = xs.length;
  const D = xs[0].length;
  const mean = new Float64Array(D);
  for (const x of xs) for (let i = 0; i < D; i++) mean[i] += x[i] / T;
  const K = new Float64Array(T * T);
  for (let a = 0; a < T; a++)
    for (let b = a; b < T; b++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += (xs[a][i] - mean[i]) * (xs[b][i] - mean[i]);
      K[a * T + b] = s;
      K[b * T + a] = s;
    }
  const { u, s } = svdSquare(K, T); // K symmetric PSD: singular values = eigenvalues
  const order = Array.from(s.keys()).sort((i, j) => s[j] - s[i]);
  const total = s.reduce((a, b) => a + b, 0);
  const top = order.slice(0, Math.min(k, T));
  const scores = steps.map((_, t) => top.map((c) => r6(u[t * T + c] * Math.sqrt(Math.max(0, s[c])))));
  // fix each axis' sign: the trajectory ends on the positive side
  for (let c = 0; c < top.length; c++) if (scores[T - 1][c] < 0) for (const row of scores) row[c] = -row[c] || 0;
  return {
    steps,
    scores,
    explained: top.map((c) => r6(s[c] / total)),
    turning: top.map((_, c) => turningPoints(steps, scores.map((row) => row[c]))),
  };
}

export async function runBehaviour(
  trainDir: string,
  datasetDir: string,
  opts: { probeRows?: number; ablationRows?: number; backend?: string; calibrationSteps?: readonly number[]; calibrationRows?: number } = {},
): Promise<Behaviour> {
  const ck = readCheckpoints(join(trainDir, TRAIN_FILES.checkpoints));
  const validation = readSplit(splitFile(datasetDir, 'validation'));
  const probe = Math.min(opts.probeRows ?? 64, validation.rows);
  const rows = Math.min(opts.ablationRows ?? 1000, validation.rows);
  const engine = await createEngine(ck.cfg, { backend: opts.backend });
  try {
    const xs = ck.steps.map((_, i) => outputs(engine, checkpointParams(ck, i), validation.tokens, probe).logp);
    const last = checkpointParams(ck, ck.steps.length - 1);
    const clean = outputs(engine, last, validation.tokens, rows).stats;
    const meanZ = meanHeadZ(engine, last, validation.tokens, rows)[0];
    const heads = Array.from({ length: ck.cfg.n_heads }, (_, h) => {
      const ablate: HeadAblation[] = [{ layer: 0, head: h, kind: 'mean', mean: headMean(meanZ, h, ck.cfg.n_heads, ck.cfg.d_head) }];
      return outputs(engine, last, validation.tokens, rows, ablate).stats;
    });
    const calSteps = [...new Set([...(opts.calibrationSteps ?? []), ck.steps.at(-1)!])].sort((a, b) => a - b);
    const calRows = Math.min(opts.calibrationRows ?? 500, validation.rows);
    const calibration = calibrationCurve(ck.cfg, calSteps, (s) => { const i = ck.steps.indexOf(s); return i < 0 ? null : checkpointParams(ck, i); }, validation.tokens, calRows);
    return { ed: essentialDynamics(ck.steps, xs), confidence: { step: ck.steps.at(-1)!, clean, heads }, calibration };
  } finally {
    engine.dispose();
  }
}
