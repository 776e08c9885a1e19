/**
 * How far an estimate's chains had relaxed by the first draw λ̂ reads: `m`, and the bound e^{−2m} on
 * the fraction of the equilibrium λ̂ that is still missing.
 *
 * SGLD and MALA take the step (sgld.ts) w ← w − (ε/2)·∇U(w) + √ε·ξ, with
 * U(w) = nβ·L(w) + (γ/2)‖w − w0‖². Near the point the chains start from (the minimum w* the
 * relaxation found, or the tilted checkpoint), take a direction of curvature h ≥ 0. There U is
 * quadratic with k = nβ·h + γ. A chain started at the minimum has variance 0 along it, and after
 * S steps its variance is v(S) = (1 − e^{−εkS})/k. The direction's share of
 * λ̂ = nβ·E[L(w) − L(w*)] is (nβh/2)·v(S), and at equilibrium it is nβh/(2k). Since k ≥ γ for every
 * direction, each share, and hence λ̂, has reached at least the fraction 1 − e^{−2m} of its
 * equilibrium value, where
 *
 *   m = S·ε·γ/2     (`mixing`; calibrate.ts uses the same quantity over the whole chain)
 *   S = burnin + first_used(draws)·steps_between_draws   (window last-half: the canonical method)
 *     = burnin                                           (window all: devinterp's sgld)
 *
 * So the estimate is short of its equilibrium value by at most e^{−2m} (in the quadratic
 * approximation; later draws only shrink the gap). The directions that only the localization
 * holds are the slowest. Their shares are small but many, and a large curvature elsewhere makes ε
 * small (ε = 0.05 · 4/(nβ·λ_max + γ)), so m can be tiny: the chains then move only along the
 * stiffest directions, and λ̂ is stable and still far from its equilibrium value. The 4× check
 * cannot see this, because four times almost nothing is still almost nothing.
 *
 * The bound needs one ε for every coordinate. With a preconditioner (rmsprop) each coordinate has
 * its own step, so there is no m (null).
 */
import { firstUsed } from './convergence.ts';

export interface MixingInputs {
  epsilon: number;
  gamma: number;
  /** the draws per chain the estimate ended with (over every round) */
  draws: number;
  burnin: number;
  steps_between_draws: number;
  /** which draws λ̂ reads: the last half (canonical) or all (sgld) */
  window: 'last-half' | 'all';
  /** the sampler's preconditioner ('none', '' or undefined: plain SGLD/MALA) */
  preconditioner?: string | null;
}

/** m = S·εγ/2 at the first draw λ̂ reads; null where it is not defined (preconditioned, or unknown inputs). */
export function mixingAtFirstRead(c: MixingInputs): number | null {
  if (c.preconditioner && c.preconditioner !== 'none') return null;
  if (![c.epsilon, c.gamma, c.burnin, c.steps_between_draws].every(Number.isFinite) || c.epsilon <= 0 || c.gamma <= 0) return null;
  if (c.window === 'last-half' && !(c.draws > 0)) return null; // no draw count recorded (-1)
  const steps = c.burnin + (c.window === 'last-half' ? firstUsed(c.draws) * c.steps_between_draws : 0);
  return (steps * c.epsilon * c.gamma) / 2;
}

/** the most of the equilibrium λ̂ an estimate with this m can still be missing (quadratic approximation) */
export function mixingDeficitBound(m: number): number {
  return Math.exp(-2 * m);
}

/** the longest burn-in `min_mixing` may ask for, in units of max_draws · steps_between_draws */
export const MAX_BURNIN_FACTOR = 20;

export interface BurninConfig {
  method?: string;
  burnin: number;
  steps_between_draws: number;
  draws?: number;
  max_draws?: number;
  /** undefined (an artifact written before llc 7) or 0: the burn-in is fixed */
  min_mixing?: number;
  preconditioner?: string | null;
}

/**
 * The burn-in a chain runs: `burnin`, or with `min_mixing` (canonical, plain SGLD) the least
 * burn-in B ≥ burnin with (B + first_used(draws)·steps_between_draws)·εγ/2 ≥ min_mixing, capped at
 * MAX_BURNIN_FACTOR · max_draws · steps_between_draws steps. Later rounds only raise m. The llc
 * stage runs it (run.ts chainSettings), and readers recompute it from the recorded config, ε and γ
 * (mixingOfEstimate), so estimates.arrow needs no column for it.
 */
/** Whether `min_mixing` lengthens the burn-in: method canonical and min_mixing > 0 (undefined: a config recorded before llc 7; 0: off). */
export function lengthensBurnin<T extends { min_mixing?: number; method?: string }>(c: T): c is T & { min_mixing: number } {
  return !!c.min_mixing && (c.method ?? 'canonical') === 'canonical';
}

export function effectiveBurnin(c: BurninConfig, epsilon: number, gamma: number): number {
  if (!lengthensBurnin(c)) return c.burnin;
  if ((c.preconditioner && c.preconditioner !== 'none') || !(epsilon > 0) || !(gamma > 0) || !(c.draws! > 0)) return c.burnin;
  const need = Math.ceil((2 * c.min_mixing) / (epsilon * gamma)) - firstUsed(c.draws!) * c.steps_between_draws;
  const cap = MAX_BURNIN_FACTOR * Math.max(c.draws!, c.max_draws ?? 8 * c.draws!) * c.steps_between_draws;
  return Math.max(c.burnin, Math.min(need, cap));
}

/**
 * m of one row of `estimates.arrow`, given the llc config recorded in its metadata. The window is
 * the method's (schema.ts estimatorOptions: canonical reads the last half, sgld every draw).
 */
export function mixingOfEstimate(config: BurninConfig, row: { method?: string; epsilon: number; gamma: number; draws: number; preconditioner?: string | null }): number | null {
  const method = row.method || config.method || 'canonical';
  const window = method === 'canonical' ? 'last-half' : 'all';
  const burnin = effectiveBurnin({ ...config, method, preconditioner: row.preconditioner ?? config.preconditioner }, row.epsilon, row.gamma);
  return mixingAtFirstRead({ ...row, burnin, steps_between_draws: config.steps_between_draws, window });
}
