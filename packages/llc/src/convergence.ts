/**
 * Are the chains of one estimate at equilibrium? The numbers `llc` reports beside every λ̂ and the
 * rule that lengthens the chains until they are (docs/llc.md, "Converged chains").
 *
 * Each chain c leaves a series x_c[t], t = 0 … N − 1 (N draws): the quantity whose mean, times nβ,
 * is the chain's λ_c (the draw's loss increment over L(w0); estimate.ts). λ̂ uses the draws of the
 * last half, t ∈ [N/2, N) (`used`), so that the first half, whatever the burn-in, is never read.
 *
 *   running λ̂_c(t)  = nβ · mean x_c[⌊(t+1)/2⌋ … t]          the estimate had the chain stopped at t
 *   split-R̂         = sqrt( ((n−1)/n · W + B/n) / W )      over the 2C half-sequences of the used
 *                     draws (length n), W the mean within-sequence variance, B/n the variance of
 *                     their means (Gelman et al., Bayesian Data Analysis, 3rd ed., §11.4); ≈ 1 at
 *                     equilibrium, larger while the chains still drift apart or together
 *   ESS_c           = n / (1 + 2 Σ_k ρ_k)                  Geyer's initial monotone sequence
 *                     estimator on chain c's used draws; ESS = Σ_c ESS_c
 *   drift           = nβ · mean_c( mean x_c[3N/4, N) − mean x_c[N/2, 3N/4) )   the change of λ̂
 *                     between the third and fourth quarters, with its standard error over chains
 *
 * Stable: |drift| ≤ tolerance · max(|λ̂|, 1) + 2 · se(drift), split-R̂ ≤ RHAT_MAX, and no chain
 * trending over its used draws (`trending` below, the chain flag not_flat). A chain that
 * still relaxes (λ̂ climbing toward its equilibrium, or a descent that the localizer does not hold)
 * moves λ̂ between the quarters by more than its noise, or trends on its own.
 */


export const RHAT_MAX = 1.1;

export interface Convergence {
  /** draws per chain, and the first draw the estimate uses */
  draws: number;
  first_used: number;
  rhat: number;
  ess: number;
  /** nβ × the change of the chains' mean between the third and fourth quarters, and its standard error */
  drift: number;
  drift_se: number;
  /** drift / max(|λ̂|, 1) */
  relative_drift: number;
  /** chains whose used draws still trend (`trending`) */
  trending_chains: number;
  stable: boolean;
}

export function mean(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i];
  return s / (to - from);
}

function variance(x: ArrayLike<number>, from: number, to: number): number {
  const m = mean(x, from, to);
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] - m) ** 2;
  return s / (to - from - 1);
}

/** The first draw the estimate reads: the last half of N draws. */
export function firstUsed(draws: number): number {
  return Math.floor(draws / 2);
}

/** Running λ̂ of one chain: at each draw t, nβ × the mean of x over its last half [⌊(t+1)/2⌋, t]. */
export function runningLlc(x: ArrayLike<number>, nbeta: number): Float64Array {
  const n = x.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + x[i];
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const a = Math.floor((t + 1) / 2);
    out[t] = (nbeta * (prefix[t + 1] - prefix[a])) / (t + 1 - a);
  }
  return out;
}

/** Split-R̂ of chains' series over draws [from, to): each chain cut into two halves. NaN if undefined. */
export function splitRhat(chains: ArrayLike<number>[], from: number, to: number): number {
  const half = Math.floor((to - from) / 2);
  if (half < 2 || chains.length === 0) return NaN;
  const seqs: [ArrayLike<number>, number, number][] = chains.flatMap((x) => [
    [x, from, from + half] as [ArrayLike<number>, number, number],
    [x, from + half, from + 2 * half] as [ArrayLike<number>, number, number],
  ]);
  const means = seqs.map(([x, a, b]) => mean(x, a, b));
  const W = mean(seqs.map(([x, a, b]) => variance(x, a, b)));
  const grand = mean(means);
  const Bn = means.reduce((s, m) => s + (m - grand) ** 2, 0) / (means.length - 1);
  if (!(W > 0)) return Bn > 0 ? Infinity : 1;
  return Math.sqrt((((half - 1) / half) * W + Bn) / W);
}

/** Batches of a chain's used draws in the trend test, and the test's threshold: two-sided 5% of Student's t with 6 degrees of freedom. */
export const TREND_BATCHES = 8;
export const TREND_T = 2.45;
/** A trend must also move the chain's mean draw by this fraction of its level across the used draws. */
export const TREND_MIN_CHANGE = 0.15;

/** Least-squares slope of y on its index and the slope's t-statistic. */
export function slopeTest(y: ArrayLike<number>): { slope: number; t: number } {
  const n = y.length;
  if (n < 3) return { slope: 0, t: 0 };
  const xm = (n - 1) / 2;
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i] / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - xm) * (y[i] - ym);
    sxx += (i - xm) ** 2;
  }
  const slope = sxy / sxx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (y[i] - ym - slope * (i - xm)) ** 2;
  const se = Math.sqrt(rss / (n - 2) / sxx);
  return { slope, t: se > 0 ? slope / se : slope === 0 ? 0 : Infinity * Math.sign(slope) };
}

/**
 * Does chain x still trend over the draws the estimate reads (x[from …])? A least-squares line
 * through the means of TREND_BATCHES equal batches of those draws: |t| > TREND_T and a change along
 * the line of more than TREND_MIN_CHANGE of the draws' mean. Batch means, not the draws themselves:
 * a chain at equilibrium fluctuates slowly (a mode that relaxes over thousands of steps under a
 * draw-to-draw noise five times larger), and a t on the raw draws, even with its standard error
 * widened by an autocorrelation estimate, took those fluctuations for trends (30–50% of stationary
 * simulated chains of 12,000 draws; the estimator study's step 887 held at 12,000 draws by one
 * such chain while λ̂ stayed within 1%; docs/llc.md). The change it must also show (15%) is what
 * separates the two on this model: slow fluctuations of a chain at equilibrium move its batch means
 * by 5–10%, the chains that were still relaxing or descending by 17–28% (the estimator study).
 */
export function trending(x: ArrayLike<number>, from = 0): boolean {
  const b = Math.floor((x.length - from) / TREND_BATCHES);
  if (b < 4) return false;
  const means = Float64Array.from({ length: TREND_BATCHES }, (_, k) => mean(x, from + k * b, from + (k + 1) * b));
  const { slope, t } = slopeTest(means);
  return Math.abs(t) > TREND_T && Math.abs(slope * TREND_BATCHES) > TREND_MIN_CHANGE * Math.abs(mean(x, from));
}

/** Effective sample size of x[from, to) (Geyer's initial monotone sequence). */
export function effectiveSampleSize(x: ArrayLike<number>, from = 0, to = x.length): number {
  const n = to - from;
  if (n < 4) return n;
  const m = mean(x, from, to);
  const acov = (k: number) => {
    let s = 0;
    for (let i = from; i + k < to; i++) s += (x[i] - m) * (x[i + k] - m);
    return s / n;
  };
  const c0 = acov(0);
  if (!(c0 > 0)) return n;
  // Γ_k = ρ_{2k} + ρ_{2k+1}, summed while positive and made non-increasing
  let sum = 0;
  let prev = Infinity;
  for (let k = 0; 2 * k + 1 < n; k++) {
    let g = (acov(2 * k) + acov(2 * k + 1)) / c0;
    if (g <= 0) break;
    g = Math.min(g, prev);
    prev = g;
    sum += g;
  }
  // 1 + 2 Σ_{k≥1} ρ_k = 2 Σ_{k≥0} Γ_k − 1
  const tau = Math.max(2 * sum - 1, 1 / n);
  return n / tau;
}

/**
 * The convergence numbers of an estimate from its chains' series (equal lengths; chains stopped by a
 * NaN are left out by the caller) and whether they pass the stability rule at `tolerance`.
 */
export function assessConvergence(chains: ArrayLike<number>[], nbeta: number, tolerance: number): Convergence {
  const draws = chains[0]?.length ?? 0;
  const first = firstUsed(draws);
  const q = Math.floor((draws - first) / 2);
  const llc = chains.length ? nbeta * mean(chains.map((x) => mean(x, first, draws))) : NaN;
  const d = chains.map((x) => nbeta * (mean(x, first + q, draws) - mean(x, first, first + q)));
  const drift = chains.length && q > 0 ? mean(d) : NaN;
  const driftSe = d.length > 1 ? Math.sqrt(variance(d, 0, d.length) / d.length) : NaN;
  const rhat = splitRhat(chains, first, draws);
  const ess = chains.reduce((s, x) => s + effectiveSampleSize(x, first, draws), 0);
  const scale = Math.max(Math.abs(llc), 1);
  const trendingChains = chains.filter((x) => trending(x, first)).length;
  const stable = Number.isFinite(drift) && Number.isFinite(driftSe) && Math.abs(drift) <= tolerance * scale + 2 * driftSe && rhat <= RHAT_MAX && trendingChains === 0;
  return { draws, first_used: first, rhat, ess, drift, drift_se: driftSe, relative_drift: drift / scale, trending_chains: trendingChains, stable };
}
