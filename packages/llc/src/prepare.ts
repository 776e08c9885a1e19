/**
 * What the sampler runs on, per estimator (schema.ts, docs/llc.md), for one checkpoint:
 *
 *   canonical  the canonical form (train/canonical.ts): weights, model config (its ln_eps follows
 *              the residual scale) and the coordinates the form fixes, which are not sampled;
 *              nβ = n / ln n (n training sequences), ε = epsilon_fraction · 4 / (nβ·λ_max + γ)
 *   sgld       the raw weights, every coordinate; nβ = B / ln B, ε = 1e-4 (devinterp's defaults)
 *
 * Explicit epsilon / nbeta in the config override the rule. `resolveSampler` returns the values
 * actually used, recorded with every estimate.
 */
import { canonicalForm, type ModelConfig, paramLayout } from '@sortscope/train';
import { epsilonLimit } from './hessian.ts';
import type { LlcConfig, Target } from './schema.ts';
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
  epsilon: number;
  /** the drift-stability limit 4/(nβ·λ_max + γ), where λ_max was measured */
  epsilon_limit: number | null;
  lambda_max: number | null;
  residual_scale: number;
  /** how ε and nβ were set */
  rule: string;
}

/** whether the step size must come from the curvature (a λ_max measurement) */
export function needsCurvature(c: LlcConfig): boolean {
  return c.method === 'canonical' && c.epsilon === undefined;
}

export function resolveSampler(c: LlcConfig, trainRows: number, lambdaMax: number | null, residualScale: number): SamplerSettings {
  const nbeta = c.nbeta ?? (c.method === 'canonical' ? trainRows / Math.log(trainRows) : defaultNbeta(c.batch_size));
  const limit = lambdaMax === null ? null : epsilonLimit(nbeta, c.gamma, lambdaMax);
  let epsilon = c.epsilon;
  if (epsilon === undefined) epsilon = c.method === 'canonical' ? c.epsilon_fraction * limit! : 1e-4;
  const rule = [
    c.nbeta === undefined ? (c.method === 'canonical' ? `nβ = n/ln n (n = ${trainRows})` : `nβ = B/ln B (B = ${c.batch_size})`) : 'nβ given',
    c.epsilon === undefined ? (c.method === 'canonical' ? `ε = ${c.epsilon_fraction} × 4/(nβ·λ_max + γ)` : 'ε = 1e-4 (devinterp default)') : 'ε given',
  ].join('; ');
  return { method: c.method, nbeta, epsilon, epsilon_limit: limit, lambda_max: lambdaMax, residual_scale: residualScale, rule };
}
