/**
 * `sortscope llc diagnose`: is an LLC estimate of one checkpoint a measurement? (docs/llc.md)
 *
 *  - the estimate with its stationarity (the Newton decrement of the loss at w0, and whether the
 *    tilt removed it) and its convergence (split-R̂, ESS, the drift between the last quarters);
 *  - curvature at the prepared checkpoint (hessian.ts): λ_max, the drift-stability limit, Hutchinson's
 *    tr(H); the Gaussian-sharpness baseline nβ·E[L(w0 + ξ) − L(w0)], ξ ~ N(0, I/γ), and λ̂'s ratio to
 *    it (near 1: the chain only reports how sharp w0 is at the localizer's scale);
 *  - the reparametrization test: λ̂ again on the checkpoint transformed by every symmetry the model
 *    has (symmetries.ts) — the spread (max − min)/|median| must stay within INVARIANCE (10%);
 *  - with `sweep`: λ̂ against γ, the step's fraction of the stability limit, nβ (at fixed γ, and at
 *    fixed γ/nβ) and the chain length (fixed lengths, no lengthening), each point with its own
 *    converged chains; and each head's weight-restricted λ̂ against the whole model's at the same
 *    settings (at equilibrium a restriction cannot raise λ̂).
 */
import { ConfigError, Rng } from '@sortscope/core';
import { applySymmetry, type ModelConfig, SYMMETRIES, type Symmetry, symmetryApplies } from '@sortscope/model';
import { createEngine } from '@sortscope/engine';
import { INVARIANCE } from './calibrate.ts';
import { flaggedChains, flagList } from './diagnostics.ts';
import type { LlcEstimate } from './estimate.ts';
import { gaussianSharpness, hessianTrace, topEigenvalue } from './hessian.ts';
import { prepare, sampledFor } from './prepare.ts';
import { curvatureBatch, engineProblem, tokenStream } from './problem.ts';
import { CURVATURE_ROWS, type LlcRunner, type TrainingData } from './run.ts';
import { estimatorOptions, type LlcConfig, type Target, targetName } from './schema.ts';

/** One estimate, summarised. */
export interface EstimateSummary {
  mean: number;
  se: number;
  std: number;
  nbeta: number;
  gamma: number;
  epsilon: number;
  draws: number;
  rounds: number;
  rhat: number;
  drift: number;
  drift_se: number;
  converged: boolean;
  decrement: number;
  acceptance: number;
  /** chains with a flag that blocks reading, and every flag raised */
  flagged_chains: number;
  flags: string[];
}

export interface SweepPoint extends EstimateSummary {
  /** the swept value: γ, the fraction, nβ, or the draws per chain */
  value: number;
}

export interface Sweeps {
  gamma: SweepPoint[];
  epsilon_fraction: SweepPoint[];
  /** nβ at the config's γ */
  nbeta: SweepPoint[];
  /** nβ with γ scaled along, so that γ/nβ stays the config's */
  nbeta_fixed_resolution: SweepPoint[];
  /** fixed chain lengths (draws per chain, λ̂ from the last half), no lengthening */
  length: SweepPoint[];
  /** each head's restricted λ̂ at the config's settings, against the whole model's */
  restricted: (EstimateSummary & { target: string; below_full: boolean })[];
}

export interface Diagnosis {
  method: LlcConfig['method'];
  target: string;
  estimate: EstimateSummary & { tilt: boolean; resolution: number; gradient_norm: number; negative_curvature: boolean };
  curvature: { lambda_max: number; epsilon_limit: number; trace: number; trace_stderr: number; rows: number };
  sharpness: { value: number; stderr: number; ratio: number };
  reparametrization: { symmetry: string; mean: number; se: number }[];
  /** (max − min)/|median| of λ̂ over the checkpoint and its images (null: not checked) */
  spread: number | null;
  invariant: boolean | null;
  sweeps: Sweeps | null;
  /** one line per finding */
  verdict: string[];
}

/** the symmetric images checked: every symmetry the model has */
export function reparametrizations(cfg: ModelConfig): { label: string; symmetry: Symmetry; size: number; seed: number }[] {
  const out: { label: string; symmetry: Symmetry; size: number; seed: number }[] = [];
  for (const s of SYMMETRIES) {
    if (!symmetryApplies(s, cfg) || s === 'reader-shift') continue; // reader-shift needs LayerNorm biases of 0
    out.push({ label: s, symmetry: s, size: s === 'residual-gl' ? 0.3 : 0.5, seed: 0 });
  }
  return out;
}

/** the default sweep grids, relative to the config's resolved γ and nβ and its draws */
export const SWEEP_GRID = {
  gamma: [0.25, 0.5, 1, 2, 4],
  epsilon_fraction: [0.025, 0.05, 0.1, 0.2],
  nbeta: [0.3, 1, 3],
  length: [1, 2, 4],
} as const;

/** The parts of a sweep that can be chosen (`--only`): 'nbeta' runs both nβ sweeps, 'heads' the restricted estimates. */
export const SWEEP_PARTS = ['gamma', 'epsilon', 'nbeta', 'length', 'heads'] as const;
export type SweepPart = (typeof SWEEP_PARTS)[number];

/** `sweep` as given: false (no sweep), true (every part) or a list of parts */
export type SweepChoice = boolean | readonly SweepPart[];
const parts = (sweep: SweepChoice | undefined): readonly SweepPart[] => (sweep === true ? SWEEP_PARTS : sweep ? sweep : []);

/** The heads estimated one at a time with the 'heads' part (when the config's target is the whole model). */
function restrictedHeads(cfg: ModelConfig, config: LlcConfig, sweep: SweepChoice | undefined): Target[] {
  if (!parts(sweep).includes('heads') || config.targets[0].kind !== 'all') return [];
  return Array.from({ length: cfg.n_layers * cfg.n_heads }, (_, i) => ({ kind: 'head', layer: Math.floor(i / cfg.n_heads), head: i % cfg.n_heads }));
}

/** Parse `--only gamma,length`: every name must be one of SWEEP_PARTS. */
export function parseSweepParts(list: string): SweepPart[] {
  const names = list.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = names.filter((n) => !(SWEEP_PARTS as readonly string[]).includes(n));
  if (!names.length || bad.length) throw new ConfigError(`--only: expected a comma-separated list of ${SWEEP_PARTS.join(', ')}; got '${list}'`);
  return [...new Set(names)] as SweepPart[];
}

/** The configs a sweep estimates (keyed by sweep and value), besides the heads. */
export function sweepConfigs(config: LlcConfig, nbeta: number, sweep: SweepChoice = true): { sweep: keyof Omit<Sweeps, 'restricted'>; value: number; config: LlcConfig }[] {
  const o = estimatorOptions(config);
  const on = new Set(parts(sweep));
  const out: { sweep: keyof Omit<Sweeps, 'restricted'>; value: number; config: LlcConfig }[] = [];
  if (on.has('gamma')) for (const f of SWEEP_GRID.gamma) out.push({ sweep: 'gamma', value: o.gamma * f, config: { ...config, gamma: o.gamma * f } });
  if (on.has('epsilon') && config.epsilon === undefined) for (const f of SWEEP_GRID.epsilon_fraction) out.push({ sweep: 'epsilon_fraction', value: f, config: { ...config, epsilon_fraction: f } });
  if (on.has('nbeta'))
    for (const f of SWEEP_GRID.nbeta) {
      out.push({ sweep: 'nbeta', value: nbeta * f, config: { ...config, nbeta: nbeta * f } });
      out.push({ sweep: 'nbeta_fixed_resolution', value: nbeta * f, config: { ...config, nbeta: nbeta * f, gamma: o.gamma * f } });
    }
  if (on.has('length')) for (const f of SWEEP_GRID.length) out.push({ sweep: 'length', value: config.draws * f, config: { ...config, draws: config.draws * f, max_draws: config.draws * f } });
  return out;
}

/** How many estimates `diagnose` runs, and their draws before any lengthening (the progress total). */
export function diagnoseEstimates(cfg: ModelConfig, config: LlcConfig, opts: { sweep?: SweepChoice; invariance?: boolean } = {}): { estimates: number; draws: number } {
  const plain = 1 + (opts.invariance === false ? 0 : reparametrizations(cfg).length) + restrictedHeads(cfg, config, opts.sweep).length;
  const swept = sweepConfigs(config, 1, opts.sweep);
  return { estimates: plain + swept.length, draws: config.chains * (plain * config.draws + swept.reduce((s, g) => s + g.config.draws, 0)) };
}

export function summarise(e: LlcEstimate): EstimateSummary {
  const flags = [...new Set(e.chains.flatMap((c) => flagList(c.flags)))];
  return {
    mean: e.mean,
    se: e.se,
    std: e.std,
    nbeta: e.sampler?.nbeta ?? NaN,
    gamma: e.sampler?.gamma ?? NaN,
    epsilon: e.sampler?.epsilon ?? NaN,
    draws: e.convergence?.draws ?? NaN,
    rounds: e.rounds ?? 1,
    rhat: e.convergence?.rhat ?? NaN,
    drift: e.convergence?.drift ?? NaN,
    drift_se: e.convergence?.drift_se ?? NaN,
    converged: e.convergence?.stable ?? false,
    decrement: e.stationarity?.decrement ?? NaN,
    acceptance: e.acceptance_mean,
    flagged_chains: flaggedChains(e.chains),
    flags,
  };
}

export async function diagnose(runner: LlcRunner, cfg: ModelConfig, w0: Float32Array, data: TrainingData, config: LlcConfig, opts: { progress?: Parameters<LlcRunner['estimate']>[2]; sweep?: SweepChoice; invariance?: boolean; backend?: string } = {}): Promise<Diagnosis> {
  const target = config.targets[0];
  const heads = restrictedHeads(cfg, config, opts.sweep);
  const nbetaOf = (e: LlcEstimate) => e.sampler!.nbeta;
  // the checkpoint first (its nβ fixes the sweeps' grid), then every sweep point and head in one batch
  const est = (await runner.estimate(w0, [{ config, target }], opts.progress))[0];
  const s = est.sampler!;
  const grid = sweepConfigs(config, nbetaOf(est), opts.sweep);
  const batch = [...grid.map((g) => ({ config: g.config, target })), ...heads.map((h) => ({ config, target: h }))];
  const swept = batch.length ? await runner.estimate(w0, batch, opts.progress) : [];

  // curvature and sharpness, in this thread, on the prepared checkpoint
  const p = prepare(config.method, cfg, w0);
  const indices = sampledFor(target, p);
  const engine = await createEngine(p.cfg, { backend: opts.backend });
  let curvature: Diagnosis['curvature'];
  let sharp: { value: number; stderr: number };
  try {
    const problem = engineProblem(engine);
    const cb = curvatureBatch(data.tokens, data.rows, p.cfg.n_ctx, CURVATURE_ROWS, config.seed);
    const lambdaMax = s.preconditioner === 'none' && s.lambda_max !== null ? s.lambda_max : topEigenvalue(problem, p.w0, indices, cb, config.seed);
    const tr = hessianTrace(problem, p.w0, indices, cb, 16, config.seed);
    curvature = { lambda_max: lambdaMax, epsilon_limit: 4 / (s.nbeta * Math.max(0, lambdaMax) + s.gamma), trace: tr.trace, trace_stderr: tr.stderr, rows: cb.rows };
    const stream = tokenStream(data.tokens, data.rows, p.cfg.n_ctx, config.batch_size, (e) => Rng.derive(config.seed, 'llc', 'sharpness-data', e));
    sharp = gaussianSharpness(problem, p.w0, indices, stream, s.nbeta, s.gamma, 32, config.seed);
  } finally {
    engine.dispose();
  }

  // the reparametrization test
  const reparametrization: Diagnosis['reparametrization'] = [];
  if (opts.invariance !== false)
    for (const r of reparametrizations(cfg)) {
      const t = applySymmetry(r.symmetry, cfg, w0, Rng.derive(config.seed + r.seed, 'llc', 'diagnose', r.label), r.size);
      const e = (await runner.estimate(t.params, [{ config, target }], opts.progress, t.cfg))[0];
      reparametrization.push({ symmetry: r.label, mean: e.mean, se: e.se });
    }
  const all = [est.mean, ...reparametrization.map((r) => r.mean)];
  const median = [...all].sort((x, y) => x - y)[Math.floor(all.length / 2)];
  const spread = reparametrization.length ? (Math.max(...all) - Math.min(...all)) / Math.max(1e-12, Math.abs(median)) : null;
  const invariant = spread === null ? null : spread <= INVARIANCE;

  let sweeps: Sweeps | null = null;
  if (parts(opts.sweep).length) {
    const point = (i: number): SweepPoint => ({ value: grid[i].value, ...summarise(swept[i]) });
    const pick = (name: keyof Omit<Sweeps, 'restricted'>) => grid.flatMap((g, i) => (g.sweep === name ? [point(i)] : []));
    const restricted = heads.map((h, k) => {
      const e = summarise(swept[grid.length + k]);
      return { target: targetName(h), ...e, below_full: e.mean <= est.mean + 2 * Math.hypot(est.se, e.se) };
    });
    sweeps = { gamma: pick('gamma'), epsilon_fraction: pick('epsilon_fraction'), nbeta: pick('nbeta'), nbeta_fixed_resolution: pick('nbeta_fixed_resolution'), length: pick('length'), restricted };
  }
  const ratio = est.mean / sharp.value;
  const st = est.stationarity!;
  const cv = est.convergence!;
  const summary = summarise(est);
  const verdict = [
    st.relaxation
      ? `${st.relaxation.converged ? 'at a minimum' : 'NOT AT A MINIMUM'}: relaxed from the checkpoint in ${st.relaxation.iterations} step(s)${st.relaxation.gradient_steps ? ` (${st.relaxation.gradient_steps} gradient)` : ''}${st.relaxation.converged ? '' : ' without converging'} (U −${fmt(st.relaxation.drop)}, ${pct(st.relaxation.drop / Math.abs(est.mean))} of λ̂; ‖w* − w0‖ ${st.relaxation.distance.toPrecision(3)}; loss ${st.relaxation.loss0.toFixed(4)} → ${st.relaxation.loss.toFixed(4)}), the estimate taken there`
      : st.tilt
      ? `stationary by the tilt: the loss's Newton decrement at w0 is ${fmt(st.decrement)}${st.converged ? '' : ' (a lower bound)'}, ${pct(st.decrement / Math.abs(est.mean))} of λ̂, and was removed (untilted, λ̂ would be low by one to two times that in the quadratic approximation)`
      : `${st.negative_curvature || st.decrement > 0.1 * Math.abs(est.mean) ? 'NOT A MINIMUM' : 'near a minimum'}: the Newton decrement at w0 is ${fmt(st.decrement)}, ${pct(st.decrement / Math.abs(est.mean))} of λ̂ (untilted)`,
    `${cv.stable ? 'converged' : 'NOT CONVERGED'}: ${cv.draws} draws per chain in ${est.rounds} round(s), split-R̂ ${cv.rhat.toFixed(3)}, ESS ${cv.ess.toFixed(0)}, λ̂ moved ${cv.drift.toFixed(1)} ± ${cv.drift_se.toFixed(1)} (${pct(cv.relative_drift)}) between the last two quarters`,
    ...(invariant === null ? [] : [invariant ? `invariant: λ̂ moves by ${pct(spread!)} under the model's ${reparametrization.length} symmetries (≤ ${100 * INVARIANCE}%)` : `NOT invariant: λ̂ moves by ${pct(spread!)} under the model's symmetries (> ${100 * INVARIANCE}%): it measures the parametrization`]),
    `λ̂ / Gaussian sharpness at (γ ${s.gamma}, nβ ${s.nbeta.toPrecision(4)}): ${ratio.toFixed(3)}${Math.abs(ratio - 1) < 0.25 ? ' — the chain adds little to the sharpness of w0 at the localizer’s scale' : ''}`,
    `ε ${s.epsilon.toPrecision(3)} is ${(s.epsilon / curvature.epsilon_limit).toPrecision(2)} of the drift-stability limit 4/(nβ·λ_max + γ) = ${curvature.epsilon_limit.toPrecision(3)}${s.epsilon > curvature.epsilon_limit ? ' — ABOVE it: the chain is unstable' : ''}`,
    ...(sweeps ? sweepVerdicts(sweeps, summary) : []),
  ];
  return {
    method: config.method,
    target: targetName(target),
    estimate: { ...summary, tilt: st.tilt, resolution: s.resolution, gradient_norm: st.gradient_norm, negative_curvature: st.negative_curvature },
    curvature,
    sharpness: { ...sharp, ratio },
    reparametrization,
    spread,
    invariant,
    sweeps,
    verdict,
  };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '∞');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** log-log slope of λ̂ between the first and last readable points of a sweep */
export function slope(points: SweepPoint[]): number {
  const ok = points.filter((p) => p.converged && p.flagged_chains === 0 && p.mean > 0);
  if (ok.length < 2) return NaN;
  const [a, b] = [ok[0], ok.at(-1)!];
  return Math.log(b.mean / a.mean) / Math.log(b.value / a.value);
}

export function sweepVerdicts(s: Sweeps, base: EstimateSummary): string[] {
  const readable = (ps: SweepPoint[]) => ps.filter((p) => p.converged && p.flagged_chains === 0);
  const range = (ps: SweepPoint[]) => {
    const r = readable(ps);
    return r.length ? `${r[0].value.toPrecision(3)}–${r.at(-1)!.value.toPrecision(3)}` : 'none';
  };
  const lengths = s.length;
  const l4 = lengths.length ? lengths.find((p) => p.value === 4 * lengths[0].value) : undefined;
  const lengthLine = l4 ? `chain length: λ̂ ${lengths.map((p) => p.mean.toFixed(1)).join(' → ')} at ${lengths.map((p) => p.value).join(', ')} draws; 4× longer moves it by ${pct((l4.mean - lengths[0].mean) / Math.abs(lengths[0].mean))}` : '';
  const worst = s.restricted.filter((r) => !r.below_full);
  return [
    ...(s.gamma.length ? [`γ sweep: readable at γ ${range(s.gamma)}; log-log slope of λ̂ on γ ${slope(s.gamma).toFixed(2)} (0: flat in γ; λ̂ counts the directions with nβ·h ≳ γ)`] : []),
    ...(s.epsilon_fraction.length ? [`ε sweep: λ̂ ${s.epsilon_fraction.map((p) => `${p.mean.toFixed(1)} (${p.value})`).join(', ')} at fractions of the stability limit`] : []),
    ...(s.nbeta.length ? [`nβ sweep at γ ${base.gamma}: slope ${slope(s.nbeta).toFixed(2)}; at fixed γ/nβ: slope ${slope(s.nbeta_fixed_resolution).toFixed(2)} (0: λ̂ depends on γ/nβ only, as in the quadratic approximation)`] : []),
    lengthLine,
    ...(s.restricted.length ? [worst.length ? `RESTRICTION RAISES λ̂: ${worst.map((r) => `${r.target} ${r.mean.toFixed(1)}`).join(', ')} above the whole model's ${base.mean.toFixed(1)} (not at equilibrium)` : `restricted ≤ full: ${s.restricted.map((r) => `${r.target} ${r.mean.toFixed(1)}`).join(', ')} ≤ ${base.mean.toFixed(1)}`] : []),
  ].filter(Boolean);
}

export function diagnosisText(d: Diagnosis): string {
  const e = d.estimate;
  const row = (p: SweepPoint, label: (v: number) => string) => `  ${label(p.value).padStart(10)}  λ̂ ${p.mean.toFixed(2).padStart(9)} ± ${p.se.toFixed(2).padEnd(6)} ${String(p.draws).padStart(6)} draws  R̂ ${p.rhat.toFixed(3)}${p.flagged_chains ? `  flags ${p.flags.filter((f) => f !== 'acceptance_high').join(',')}` : ''}`;
  const lines = [
    `method ${d.method}, target ${d.target}: λ̂ = ${e.mean.toFixed(3)} ± ${e.se.toFixed(3)} (nβ ${e.nbeta.toPrecision(4)}, γ ${e.gamma}, γ/nβ ${e.resolution.toPrecision(3)}, ε ${e.epsilon.toPrecision(3)}, acceptance ${e.acceptance.toFixed(3)}, ${e.flagged_chains} flagged chains${e.flags.length ? `: ${e.flags.join(',')}` : ''})`,
    `curvature on ${d.curvature.rows} training rows: λ_max ${d.curvature.lambda_max.toPrecision(4)}, tr(H) ${d.curvature.trace.toPrecision(4)} ± ${d.curvature.trace_stderr.toPrecision(2)}; ‖∇L_n(w0)‖ ${e.gradient_norm.toPrecision(3)}`,
    `Gaussian sharpness nβ·E[L(w0+ξ) − L(w0)], ξ ~ N(0, I/γ): ${d.sharpness.value.toPrecision(4)} ± ${d.sharpness.stderr.toPrecision(2)}`,
  ];
  if (d.reparametrization.length) lines.push('reparametrizations (λ̂ on the transformed checkpoint):', `  ${'(none)'.padEnd(18)} ${e.mean.toFixed(3).padStart(10)}`, ...d.reparametrization.map((r) => `  ${r.symmetry.padEnd(18)} ${r.mean.toFixed(3).padStart(10)} ± ${r.se.toFixed(3)}`));
  if (d.sweeps) {
    const s = d.sweeps;
    const section = (header: string, points: SweepPoint[], label: (v: number) => string) => {
      if (points.length) lines.push(header, ...points.map((p) => row(p, label)));
    };
    section('γ sweep:', s.gamma, (v) => `γ ${v}`);
    section('ε sweep (fraction of the stability limit):', s.epsilon_fraction, (v) => `${v}`);
    section(`nβ sweep at γ ${e.gamma}:`, s.nbeta, (v) => `nβ ${v.toPrecision(4)}`);
    section(`nβ sweep at γ/nβ ${e.resolution.toPrecision(3)}:`, s.nbeta_fixed_resolution, (v) => `nβ ${v.toPrecision(4)}`);
    section('chain length (fixed, λ̂ from the last half):', s.length, (v) => `${v} draws`);
    if (s.restricted.length) lines.push('weight-restricted (one head) at the same settings:', ...s.restricted.map((r) => `  ${r.target.padStart(10)}  λ̂ ${r.mean.toFixed(2).padStart(9)} ± ${r.se.toFixed(2)}${r.below_full ? '' : '  ABOVE the whole model'}`));
  }
  lines.push(...d.verdict);
  return lines.join('\n');
}
