/**
 * What the sampler runs on, per estimator (schema.ts, docs/llc.md), for one checkpoint:
 *
 *   canonical  the canonical form (train/canonical.ts): weights, model config (its ln_eps follows
 *              the residual scale) and the coordinates the form fixes, which are not sampled;
 *              nβ = T·n / ln n (n training sequences of T scored tokens), γ = 10,000,
 *              ε = epsilon_fraction · 4 / (nβ·λ_max + γ) — with a preconditioner P,
 *              ε = epsilon_fraction · 4 / λ_max(P^½ (nβH + γ) P^½)
 *   sgld       the raw weights, every coordinate; nβ = B / ln B, γ = 100, ε = 1e-4 (devinterp's defaults)
 *
 * Explicit epsilon / nbeta in the config override the rule. `resolveSampler` returns the values
 * actually used, recorded with every estimate.
 */
import { canonicalForm, type ModelConfig, paramLayout } from '@sortscope/model';
import { epsilonLimit } from './hessian.ts';
import { estimatorOptions, type LlcConfig, type Target } from './schema.ts';
import { defaultNbeta } from './sgld.ts';
import { targetIndices } from './targets.ts';

export interface Prepared {
  method: LlcConfig['method'];
  cfg: ModelConfig;
  w0: Float32Array;
  /** coordinates never sampled (the canonical form's fixed ones); null for sgld */
  frozen: Uint32Array | null;
  /** factor applied to the residual-stream writers (1 for sgld) */
  residualScale: number;
}

export function prepare(method: LlcConfig['method'], cfg: ModelConfig, w0: Float32Array): Prepared {
  if (method === 'sgld') return { method, cfg, w0, frozen: null, residualScale: 1 };
  const c = canonicalForm(cfg, w0);
  return { method, cfg: c.cfg, w0: c.params, frozen: c.frozen, residualScale: c.residualScale };
}

/** the coordinates a target samples under this preparation (null: all) */
export function sampledFor(target: Target, p: Prepared): Uint32Array | null {
  const layout = paramLayout(p.cfg);
  const chosen = targetIndices(target, layout, p.cfg);
  if (!p.frozen) return chosen;
  const skip = new Uint8Array(layout.size);
  for (const i of p.frozen) skip[i] = 1;
  const base = chosen ?? Uint32Array.from({ length: layout.size }, (_, i) => i);
  return base.filter((i) => !skip[i]);
}

export interface SamplerSettings {
  method: LlcConfig['method'];
  nbeta: number;
  gamma: number;
  /** γ/nβ: in the quadratic approximation a direction of curvature h counts ½·h/(h + γ/nβ) */
  resolution: number;
  epsilon: number;
  /** the drift-stability limit 4/(nβ·λ_max + γ) (with a preconditioner: 4/λ_max of P^½(nβH + γ)P^½), where measured */
  epsilon_limit: number | null;
  /** the top eigenvalue of the Hessian (without a preconditioner) or of P^½(nβH + γ)P^½ (with one) */
  lambda_max: number | null;
  residual_scale: number;
  preconditioner: LlcConfig['preconditioner'];
  tilt: boolean;
  control_variate: boolean;
  /** how ε and nβ were set */
  rule: string;
}

/** The canonical method's inverse temperature: the per-sequence likelihood (T tokens) at β = 1/ln n. */
export function likelihoodNbeta(rows: number, tokensPerRow: number): number {
  return (tokensPerRow * rows) / Math.log(rows);
}

/** whether the step size must come from the curvature (a λ_max measurement) */
export function needsCurvature(c: LlcConfig): boolean {
  return c.method === 'canonical' && c.epsilon === undefined;
}

/** nβ before any measurement (it does not depend on the curvature). */
export function resolveNbeta(c: LlcConfig, trainRows: number, tokensPerRow: number): number {
  return c.nbeta ?? (c.method === 'canonical' ? likelihoodNbeta(trainRows, tokensPerRow) : defaultNbeta(c.batch_size));
}

/**
 * The sampler's settings. `lambdaMax` is the Hessian's top eigenvalue, or, with a preconditioner,
 * the top eigenvalue of P^½(nβH + γ)P^½ (whose stability limit is 4/λ_max).
 */
export function resolveSampler(c: LlcConfig, trainRows: number, tokensPerRow: number, lambdaMax: number | null, residualScale: number): SamplerSettings {
  const o = estimatorOptions(c);
  const nbeta = resolveNbeta(c, trainRows, tokensPerRow);
  const pre = c.preconditioner !== 'none';
  const limit = lambdaMax === null ? null : pre ? 4 / Math.max(lambdaMax, 1e-300) : epsilonLimit(nbeta, o.gamma, lambdaMax);
  let epsilon = c.epsilon;
  if (epsilon === undefined) epsilon = c.method === 'canonical' ? c.epsilon_fraction * limit! : 1e-4;
  const rule = [
    c.nbeta === undefined ? (c.method === 'canonical' ? `nβ = T·n/ln n (T = ${tokensPerRow}, n = ${trainRows})` : `nβ = B/ln B (B = ${c.batch_size})`) : 'nβ given',
    c.epsilon === undefined ? (c.method === 'canonical' ? (pre ? `ε = ${c.epsilon_fraction} × 4/λ_max(P^½(nβH + γ)P^½)` : `ε = ${c.epsilon_fraction} × 4/(nβ·λ_max + γ)`) : 'ε = 1e-4 (devinterp default)') : 'ε given',
  ].join('; ');
  return { method: c.method, nbeta, gamma: o.gamma, resolution: o.gamma / nbeta, epsilon, epsilon_limit: limit, lambda_max: lambdaMax, residual_scale: residualScale, preconditioner: c.preconditioner, tilt: o.tilt, control_variate: o.control_variate, rule };
}
