/**
 * Whether an estimate λ̂ = (1/C) Σ_c λ_c (the mean over its C chains) can be read as a measurement
 * of its checkpoint. It can when all of these hold:
 *
 * - λ̂ is finite and λ̂ > 0 (a non-positive λ̂ means the chains kept descending: no basin measured);
 * - no chain carries a blocking flag (diagnostics.ts `blocksReading`; the caller counts them as
 *   `flagged`, so each reader keeps its own count of flagged chains and this rule stays the same);
 * - the chains agree: s ≤ CHAIN_SPREAD · λ̂, where s = the standard deviation of λ_c over the
 *   chains (`std`, the llc stage's `llc_std`);
 * - the chains had relaxed when λ̂ started reading them: m ≥ MIN_MIXING_READ, where m = S·εγ/2 at the
 *   first draw read (mixing.ts). Then, in the quadratic approximation, λ̂ is short of its
 *   equilibrium value by at most e^{−2m} ≤ 10%, the same tolerance as `not_minimum`'s;
 * - the checkpoint lies near the point measured: h ≤ MAX_RELAX_HEIGHT, where
 *   h = nβ·(L(w0) − L(w*)) / λ̂_all (`relaxHeight`) is how far the relaxation (relax.ts) lowered the
 *   loss, in units of the whole model's λ̂ at that step and γ. λ̂ is nβ·(E[L] − L(w*)) at w*; once
 *   the checkpoint sits hundreds of λ̂ above w*, the estimate describes a minimum the checkpoint has
 *   not reached, not the checkpoint.
 *
 * The last rule is about the estimate, not about any one chain. Each chain can pass every trace
 * check (flat, converged, in its basin) and still settle at a level far from its neighbours'.
 * This happens where the loss is flat around w0, as at the no-weight-decay runs' ~3·10⁻⁴ loss.
 * There, λ̂ depends on which chains were drawn. Measured under llc 6 (docs/llc.md, "Chain
 * agreement"): of the 184 unflagged estimates with λ̂ > 0 in the claims study, 182 have
 * s / λ̂ ≤ 0.067. The other two are the long no-weight-decay runs: 0.38 (λ̂ 1.9) and 0.85
 * (λ̂ 1,157, chains 136 to 2,301). 0.2 lies between the two groups. At 0.2 the standard error of a
 * 4-chain mean is already 10% of λ̂, larger than the differences the claims turn on.
 *
 * Why 30 (docs/llc.md, "Relaxation height"): a trained checkpoint sits above its relaxed minimum
 * because weight decay and SGD's noise hold it there. Of the 176 relaxed whole-model estimates with
 * λ̂ > 0 whose artifacts were at hand (the claims study and the quick study, llc 6.1 and 7, γ 10⁴ and
 * 10⁵), the 162 at steps 92 and later have h ≤ 14.3 wherever the relaxation converged (132; of the
 * 30 that did not, already refused as not_minimum, one has 35). The 14 at steps 0–59, in initial learning, have h
 * from 92 to 785: their relaxation lowered the loss by 4–57% (4.28 → 3.88 at step 0, 0.86 → 0.37 at
 * step 59). 30 lies between: twice the largest trained value, a third of the smallest early one.
 * The quick study under llc 7 (relaxed up to 13 steps) reads 42–652 at steps 0–59, 2.8–10.1 after.
 *
 * An estimate with fewer than 2 chains, or no finite std, has no spread to judge; one with no m
 * (preconditioned chains, or compact results saved before m was recorded) has no mixing to judge:
 * only the other rules apply.
 */

/** the chains disagree when the std of λ_c over chains exceeds this fraction of λ̂ */
export const CHAIN_SPREAD = 0.2;

/** a checkpoint more than this many λ̂ above the relaxed point (h = nβ·ΔL/λ̂) is not what was measured */
export const MAX_RELAX_HEIGHT = 30;

/** the least m = S·εγ/2 at the first draw read: e^{−2m} = 10% (mixing.ts) */
export const MIN_MIXING_READ = Math.log(10) / 2;

export interface EstimateReading {
  /** λ̂, the mean of λ_c over chains */
  mean: number;
  /** std of λ_c over chains (null or NaN: unknown) */
  std?: number | null;
  /** chains whose flags block reading (diagnostics.ts blocksReading) */
  flagged: number;
  /** m at the first draw read (mixing.ts mixingAtFirstRead; null or absent: unknown, not judged) */
  mixing?: number | null;
  /** h = nβ·(L(w0) − L(w*)) / λ̂_all (relaxHeight; null or absent: not relaxed or unknown, not judged) */
  height?: number | null;
}

/**
 * h = nβ·(L(w0) − L(w*)) / λ̂_all: the loss the relaxation removed, in units of the whole model's λ̂
 * at the same step and γ (`lambdaAll`). The relaxation is shared by every target at a step and γ
 * (run.ts phase 0), so a head's estimate is judged by the whole model's h, not by its own smaller
 * λ̂. null when the estimate was not relaxed or there is no readable-signed whole-model λ̂.
 */
export function relaxHeight(nbeta: number, lossCheckpoint: number | null | undefined, lossRelaxed: number | null | undefined, lambdaAll: number | null | undefined): number | null {
  if (lossCheckpoint == null || lossRelaxed == null || lambdaAll == null) return null;
  const h = (nbeta * (lossCheckpoint - lossRelaxed)) / lambdaAll;
  return Number.isFinite(h) && lambdaAll > 0 ? h : null;
}

/** Why an estimate cannot be read, in words; null when it can. */
export function unreadableReason(e: EstimateReading): string | null {
  if (!Number.isFinite(e.mean)) return 'λ̂ not finite';
  if (e.flagged > 0) return `${e.flagged} chain${e.flagged === 1 ? '' : 's'} flagged`;
  if (e.mean <= 0) return `λ̂ ${e.mean.toPrecision(4)} ≤ 0`;
  const s = e.std ?? NaN;
  if (Number.isFinite(s) && s > CHAIN_SPREAD * e.mean) {
    return `chains disagree (std ${s.toPrecision(3)} = ${((100 * s) / e.mean).toFixed(0)}% of λ̂ > ${100 * CHAIN_SPREAD}%)`;
  }
  const h = e.height ?? NaN;
  if (Number.isFinite(h) && h > MAX_RELAX_HEIGHT) {
    return `checkpoint far above the point measured (the relaxation lowered nβ·L by ${h.toPrecision(3)} λ̂ > ${MAX_RELAX_HEIGHT} λ̂: a minimum the checkpoint has not reached)`;
  }
  const m = e.mixing ?? NaN;
  if (Number.isFinite(m) && m < MIN_MIXING_READ) {
    return `chains not relaxed (m = S·εγ/2 ${m.toPrecision(2)} < ${MIN_MIXING_READ.toFixed(2)}: up to ${pct(Math.exp(-2 * m))} of λ̂ may be missing)`;
  }
  return null;
}

/** Whether an estimate can be read as a measurement of its checkpoint (unreadableReason). */
export function readableEstimate(e: EstimateReading): boolean {
  return unreadableReason(e) === null;
}

const pct = (x: number) => `${100 * x >= 10 ? (100 * x).toFixed(0) : (100 * x).toPrecision(2)}%`;

/** the columns of an estimates.arrow row (io.ts EstimateRow) that relaxHeight reads */
export interface HeightRow {
  step: number;
  target: string;
  gamma: number;
  nbeta: number;
  llc_mean: number;
  loss_checkpoint: number | null;
  loss_relaxed: number | null;
}

/** relaxHeight of each row, the whole model's λ̂ taken from the `all` row at the same step and γ */
export function relaxHeights<R extends HeightRow>(rows: R[]): (row: R) => number | null {
  const all = new Map(rows.filter((r) => r.target === 'all').map((r) => [`${r.step}|${r.gamma}`, r.llc_mean]));
  return (r) => relaxHeight(r.nbeta, r.loss_checkpoint, r.loss_relaxed, all.get(`${r.step}|${r.gamma}`));
}
