/**
 * Trace-health flags for one chain (docs/science.md §4: a healthy chain's loss rises from init_loss,
 * then levels off above it; a negative LLC means the chain kept training):
 *
 * - `negative`:      λ_c < 0.
 * - `not_flat`:      a line through 8 batch means of the draws the estimate reads has |t| > 2.45
 *                    AND moves by more than 15% of their mean: the chain is still climbing or still
 *                    descending (convergence.ts `trending`; the chains are lengthened while one trends).
 * - `left_basin`:    at the last draw ‖w − w0‖ > ½‖w0‖ (over the sampled coordinates, when w0 ≠ 0):
 *                    the chain moved the weights by more than half their own size, so it is not
 *                    sampling a neighbourhood of the checkpoint (the LayerNorm + weight-decay
 *                    pitfall of docs/science.md §4: ε too large or γ too weak for weights this small).
 * - `acceptance_low` / `acceptance_high`: mean MALA acceptance (each transition checked on its own
 *   minibatch, chain.ts) outside [0.5, 0.999]: steps too large for the posterior, or so small that
 *   the chain barely moves. The canonical estimator's default step (5% of the stability limit)
 *   accepts ~0.99.
 * - `nan`:           a NaN loss stopped the chain (with its draw and step).
 *
 * Two flags describe the whole estimate and are set on each of its chains (estimate.ts):
 * - `not_converged`: the chains reached max_draws without λ̂ becoming stable (convergence.ts).
 * - `not_minimum`:   the checkpoint is not a minimum of the sampled potential: the loss was not
 *                    tilted and its Newton decrement exceeds NOT_MINIMUM (10%) of |λ̂| (decrement.ts).
 *                    A tilted potential is stationary at w0 by construction; a descent it still
 *                    has shows as a chain that does not settle (not_converged) or a negative λ̂.
 */
import type { ChainTrace } from './chain.ts';
import { trending } from './convergence.ts';

export interface ChainFlags {
  negative: boolean;
  not_flat: boolean;
  left_basin: boolean;
  acceptance_low: boolean;
  acceptance_high: boolean;
  nan: boolean;
  not_converged: boolean;
  not_minimum: boolean;
}

/** `not_minimum` when an untilted estimate's Newton decrement exceeds this fraction of |λ̂| */
export const NOT_MINIMUM = 0.1;

export const ACCEPTANCE_RANGE = [0.5, 0.999] as const;

/**
 * Flags that describe a chain without making its λ_c unusable: acceptance above the range says
 * the step is small (the canonical method's ε is 0.05 of the stability limit by design), not that
 * the estimate is wrong; slow mixing shows as not_flat. Readers (report, findings) leave out
 * estimates with any other flag and only show these.
 */
export const ADVISORY_FLAGS: readonly string[] = ['acceptance_high'];

/** whether a chain with these flags counts as flagged (its λ_c should not be read) */
export function blocksReading(flags: readonly string[]): boolean {
  return flags.some((f) => !ADVISORY_FLAGS.includes(f));
}

export const LEFT_BASIN_RATIO = 0.5;

/**
 * @param x the chain's per-draw loss increments over w0 (estimator.ts `increments`)
 * @param w0Norm ‖w0‖ over the sampled coordinates
 * @param from the first draw the estimate reads
 */
export function chainFlags(trace: ChainTrace, llc: number, x: Float64Array, w0Norm: number, from = 0): ChainFlags {
  const flags: ChainFlags = { negative: false, not_flat: false, left_basin: false, acceptance_low: false, acceptance_high: false, nan: trace.nan !== null, not_converged: false, not_minimum: false };
  if (flags.nan) return flags;
  flags.negative = llc < 0;
  flags.not_flat = trending(x, from);
  flags.left_basin = w0Norm > 0 && trace.distance[trace.distance.length - 1] > LEFT_BASIN_RATIO * w0Norm;
  flags.acceptance_low = trace.acceptanceMean < ACCEPTANCE_RANGE[0];
  flags.acceptance_high = trace.acceptanceMean > ACCEPTANCE_RANGE[1];
  return flags;
}

export function flagList(f: ChainFlags): string[] {
  return (Object.keys(f) as (keyof ChainFlags)[]).filter((k) => f[k]);
}

/** how many of an estimate's chains are flagged (a blocking flag: `flagged_chains` in estimates.arrow) */
export function flaggedChains(chains: readonly { flags: ChainFlags }[]): number {
  return chains.filter((c) => blocksReading(flagList(c.flags))).length;
}

export { CHAIN_SPREAD, type EstimateReading, type HeightRow, MAX_RELAX_HEIGHT, MIN_MIXING_READ, readableEstimate, relaxHeight, relaxHeights, unreadableReason } from './readable.ts';
export { type BurninConfig, effectiveBurnin, lengthensBurnin, MAX_BURNIN_FACTOR, mixingAtFirstRead, mixingDeficitBound, mixingOfEstimate, type MixingInputs } from './mixing.ts';
