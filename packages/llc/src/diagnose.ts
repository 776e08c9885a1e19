/**
 * `sortscope llc diagnose`: the checks that tell an LLC estimate from a measurement of the weights'
 * scale (docs/llc.md), for one checkpoint and one llc config:
 *
 *  - curvature at the prepared checkpoint (hessian.ts): λ_max, so the drift-stability limit
 *    ε < 4/(nβ·λ_max + γ), and Hutchinson's tr(H);
 *  - the Gaussian-sharpness baseline nβ·E[L(w0 + ξ) − L(w0)], ξ ~ N(0, I/γ), at the same (γ, nβ),
 *    and λ̂'s ratio to it: near 1, the chain only reports how sharp w0 is at the localizer's scale;
 *  - an nβ sweep from B/ln B to n/ln n: a local learning coefficient saturates in nβ (slope of
 *    log λ̂ against log nβ well below 1); a sharpness grows in proportion (slope ≈ 1);
 *  - the reparametrization test: λ̂ again on the checkpoint transformed by every symmetry the model
 *    has (symmetries.ts) — the spread (max − min)/|median| must stay within INVARIANCE (10%).
 */
import { Rng } from '@sortscope/core';
import { applySymmetry, createEngine, type ModelConfig, SYMMETRIES, type Symmetry, symmetryApplies } from '@sortscope/train';
import { INVARIANCE } from './calibrate.ts';
import type { LlcEstimate } from './estimate.ts';
import { gaussianSharpness, hessianTrace, topEigenvalue } from './hessian.ts';
import { prepare, sampledFor } from './prepare.ts';
import { curvatureBatch, engineProblem, tokenStream } from './problem.ts';
import { CURVATURE_ROWS, type LlcRunner, type TrainingData } from './run.ts';
import type { LlcConfig } from './schema.ts';
import { defaultNbeta } from './sgld.ts';

export interface Diagnosis {
  method: LlcConfig['method'];
  target: string;
  estimate: { mean: number; std: number; acceptance: number; nbeta: number; epsilon: number; flagged_chains: number };
  curvature: { lambda_max: number; epsilon_limit: number; trace: number; trace_stderr: number; rows: number };
  sharpness: { value: number; stderr: number; ratio: number };
  nbeta_sweep: { nbeta: number; mean: number; std: number }[];
  /** slope of log λ̂ against log nβ over the two largest nβ */
  saturation_slope: number;
  saturation: 'saturating' | 'proportional' | 'in between';
  reparametrization: { symmetry: string; mean: number; std: number }[];
  spread: number;
  invariant: boolean;
  /** one line per finding */
  verdict: string[];
}

/** the symmetric images checked: every symmetry the model has; residual-scale at ×2 and ×½ */
export function reparametrizations(cfg: ModelConfig): { label: string; symmetry: Symmetry; size: number; seed: number }[] {
  const out: { label: string; symmetry: Symmetry; size: number; seed: number }[] = [];
  for (const s of SYMMETRIES) {
    if (!symmetryApplies(s, cfg) || s === 'reader-shift') continue; // reader-shift needs LayerNorm biases of 0
    out.push({ label: s, symmetry: s, size: s === 'residual-gl' ? 0.3 : 0.5, seed: 0 });
  }
  return out;
}

const DEFAULT_SWEEP = 5;

/** How many estimates `diagnose` runs: the checkpoint, the nβ sweep and one per reparametrization. */
export function diagnoseEstimates(cfg: ModelConfig, sweep = DEFAULT_SWEEP): number {
  return 1 + sweep + reparametrizations(cfg).length;
}

function summary(e: LlcEstimate) {
  return { mean: e.mean, std: e.std };
}

export async function diagnose(runner: LlcRunner, cfg: ModelConfig, w0: Float32Array, data: TrainingData, config: LlcConfig, opts: { progress?: Parameters<LlcRunner['estimate']>[2]; sweep?: number; backend?: string } = {}): Promise<Diagnosis> {
  const target = config.targets[0];
  const est = (await runner.estimate(w0, [{ config, target }], opts.progress))[0];
  const s = est.sampler!;

  // curvature and sharpness, in this thread, on the prepared checkpoint
  const p = prepare(config.method, cfg, w0);
  const indices = sampledFor(target, p);
  const engine = await createEngine(p.cfg, { backend: opts.backend });
  let curvature: Diagnosis['curvature'];
  let sharp: { value: number; stderr: number };
  try {
    const problem = engineProblem(engine);
    const batch = curvatureBatch(data.tokens, data.rows, p.cfg.n_ctx, CURVATURE_ROWS, config.seed);
    const lambdaMax = s.lambda_max ?? topEigenvalue(problem, p.w0, indices, batch, config.seed);
    const tr = hessianTrace(problem, p.w0, indices, batch, 16, config.seed);
    curvature = { lambda_max: lambdaMax, epsilon_limit: 4 / (s.nbeta * Math.max(0, lambdaMax) + config.gamma), trace: tr.trace, trace_stderr: tr.stderr, rows: batch.rows };
    const stream = tokenStream(data.tokens, data.rows, p.cfg.n_ctx, config.batch_size, (e) => Rng.derive(config.seed, 'llc', 'sharpness-data', e));
    sharp = gaussianSharpness(problem, p.w0, indices, stream, s.nbeta, config.gamma, 32, config.seed);
  } finally {
    engine.dispose();
  }

  // nβ sweep, geometric from B/ln B to n/ln n
  const lo = defaultNbeta(config.batch_size);
  const hi = data.rows / Math.log(data.rows);
  const k = opts.sweep ?? DEFAULT_SWEEP;
  const nbetas = Array.from({ length: k }, (_, i) => lo * (hi / lo) ** (i / (k - 1)));
  const sweep = await runner.estimate(w0, nbetas.map((nbeta) => ({ config: { ...config, nbeta }, target })), opts.progress);
  const nbeta_sweep = nbetas.map((nbeta, i) => ({ nbeta, ...summary(sweep[i]) }));
  const [a, b] = nbeta_sweep.slice(-2);
  const slope = Math.log(Math.max(b.mean, 1e-12) / Math.max(a.mean, 1e-12)) / Math.log(b.nbeta / a.nbeta);
  const saturation = slope <= 0.5 ? 'saturating' : slope >= 0.8 ? 'proportional' : 'in between';

  // the reparametrization test
  const reparametrization: Diagnosis['reparametrization'] = [];
  for (const r of reparametrizations(cfg)) {
    const t = applySymmetry(r.symmetry, cfg, w0, Rng.derive(config.seed + r.seed, 'llc', 'diagnose', r.label), r.size);
    const e = (await runner.estimate(t.params, [{ config, target }], opts.progress, t.cfg))[0];
    reparametrization.push({ symmetry: r.label, ...summary(e) });
  }
  const all = [est.mean, ...reparametrization.map((r) => r.mean)];
  const median = [...all].sort((x, y) => x - y)[Math.floor(all.length / 2)];
  const spread = (Math.max(...all) - Math.min(...all)) / Math.max(1e-12, Math.abs(median));
  const invariant = spread <= INVARIANCE;
  const ratio = est.mean / sharp.value;
  const verdict = [
    invariant
      ? `invariant: λ̂ moves by ${(100 * spread).toFixed(1)}% under the model's ${reparametrization.length} symmetries (≤ ${100 * INVARIANCE}%)`
      : `NOT invariant: λ̂ moves by ${(100 * spread).toFixed(0)}% under the model's symmetries (> ${100 * INVARIANCE}%): it measures the parametrization`,
    `nβ sweep: ${saturation} (slope of log λ̂ on log nβ over the two largest nβ: ${slope.toFixed(2)})`,
    `λ̂ / Gaussian sharpness at (γ ${config.gamma}, nβ ${s.nbeta.toPrecision(4)}): ${ratio.toFixed(2)}${Math.abs(ratio - 1) < 0.25 ? ' — the chain adds little to the sharpness of w0 at the localizer’s scale' : ''}`,
    `ε ${s.epsilon.toPrecision(3)} is ${(s.epsilon / curvature.epsilon_limit).toPrecision(2)} of the drift-stability limit 4/(nβ·λ_max + γ) = ${curvature.epsilon_limit.toPrecision(3)}${s.epsilon > curvature.epsilon_limit ? ' — ABOVE it: the chain is unstable' : ''}`,
  ];
  return {
    method: config.method,
    target: target.kind === 'all' ? 'all' : JSON.stringify(target),
    estimate: { mean: est.mean, std: est.std, acceptance: est.acceptance_mean, nbeta: s.nbeta, epsilon: s.epsilon, flagged_chains: est.chains.filter((c) => Object.values(c.flags).some(Boolean)).length },
    curvature,
    sharpness: { ...sharp, ratio },
    nbeta_sweep,
    saturation_slope: slope,
    saturation,
    reparametrization,
    spread,
    invariant,
    verdict,
  };
}

export function diagnosisText(d: Diagnosis): string {
  const lines = [
    `method ${d.method}, target ${d.target}: λ̂ = ${d.estimate.mean.toFixed(3)} ± ${d.estimate.std.toFixed(3)} (nβ ${d.estimate.nbeta.toPrecision(4)}, ε ${d.estimate.epsilon.toPrecision(3)}, acceptance ${d.estimate.acceptance.toFixed(3)}, ${d.estimate.flagged_chains} flagged chains)`,
    `curvature on ${d.curvature.rows} training rows: λ_max ${d.curvature.lambda_max.toPrecision(4)}, tr(H) ${d.curvature.trace.toPrecision(4)} ± ${d.curvature.trace_stderr.toPrecision(2)}`,
    `Gaussian sharpness nβ·E[L(w0+ξ) − L(w0)], ξ ~ N(0, I/γ): ${d.sharpness.value.toPrecision(4)} ± ${d.sharpness.stderr.toPrecision(2)}`,
    'nβ sweep:',
    ...d.nbeta_sweep.map((r) => `  nβ ${r.nbeta.toPrecision(4).padStart(9)}  λ̂ ${r.mean.toFixed(3).padStart(10)} ± ${r.std.toFixed(3)}`),
    'reparametrizations (λ̂ on the transformed checkpoint):',
    `  ${'(none)'.padEnd(18)} ${d.estimate.mean.toFixed(3).padStart(10)}`,
    ...d.reparametrization.map((r) => `  ${r.symmetry.padEnd(18)} ${r.mean.toFixed(3).padStart(10)} ± ${r.std.toFixed(3)}`),
    ...d.verdict,
  ];
  return lines.join('\n');
}
