/**
 * Gap-distribution control at a fixed vocabulary with exactly uniform token marginals: the
 * "circular-tilted" family of lists.
 *
 * The R numbers of the range are placed on a circle. A list is drawn as a cluster on the circle:
 *   span s ∈ [n − 1, R − 1] with P(s) ∝ C(s − 1, n − 2) · θ^s,
 *   start x₀ uniform on the R positions,
 *   the n − 2 interior offsets uniform among the s − 1 positions strictly inside (0, s),
 *   numbers (x₀ + offset) mod R, then sorted on the line as usual.
 * Because x₀ is uniform on the circle the process is invariant under rotation, so every number
 * is equally likely (the marginals are exactly uniform) whatever θ. θ = 1 is the uniform
 * distribution over sets (ARENA's data): each set arises from its n rotations alike. θ < 1
 * gives clustered lists (small gaps), θ > 1 evenly spread ones.
 *
 * The sorted list's mean adjacent gap ρ̄ = E[linear span] / (n − 1). A cluster whose arc crosses
 * the top of the range wraps: on the line it has one large gap. With the cluster's n cyclic gaps
 * g₀ = R − s (outside the arc) and g₁ … g_{n−1} (inside, a uniform composition of s into n − 1
 * positive parts), the line's cut falls in gap i with probability g_i / R and then the linear
 * span is R − g_i, so
 *   E[linear span | s] = R − (E[Σ_{i≥1} g_i² | s] + (R − s)²) / R,
 *   E[Σ_{i≥1} g_i² | s] = (n − 1) Σ_k k² P(g₁ = k | s),  P(g₁ = k | s) = C(s − k − 1, n − 3) / C(s − 1, n − 2).
 * ρ̄ rises with θ up to its maximum at θ = 1, the uniform sets (4.727 for 10 of 0..50: at a fixed range, lists
 * whose gaps are larger than uniform sets' on average cannot keep every number equally likely in
 * this family); θ is found by bisection on ln θ on the rising branch, and sampling is exact.
 */
import type { Rng } from '@sortscope/core';
import { bisectLnTheta, drawSpanIndex, interiorOffsets, lnChoose } from './gaps.ts';

export interface CircularTilt {
  n: number;
  range: number;
  lnTheta: number;
  /** probs[i] = P(span = n − 1 + i) */
  probs: Float64Array;
  /** the sorted lists' mean adjacent gap ρ̄ */
  meanGap: number;
}

/** E[Σ g_i²] over a uniform composition of s into m positive parts. */
function sumSquaresInside(s: number, m: number): number {
  if (m === 1) return s * s;
  const lnTotal = lnChoose(s - 1, m - 1);
  let e = 0;
  for (let k = 1; k <= s - m + 1; k++) e += k * k * Math.exp(lnChoose(s - k - 1, m - 2) - lnTotal);
  return m * e;
}

export function circularTilt(n: number, range: number, lnTheta: number): CircularTilt {
  if (n < 2 || n > range) throw new RangeError(`circularTilt: needs 2 ≤ n ≤ range (n ${n}, range ${range})`);
  const sMin = n - 1;
  const count = range - sMin; // spans n − 1 … R − 1
  const logw = new Float64Array(count);
  let maxLog = -Infinity;
  for (let i = 0; i < count; i++) {
    const s = sMin + i;
    logw[i] = lnChoose(s - 1, n - 2) + s * lnTheta;
    if (logw[i] > maxLog) maxLog = logw[i];
  }
  const probs = new Float64Array(count);
  let z = 0;
  for (let i = 0; i < count; i++) z += probs[i] = Math.exp(logw[i] - maxLog);
  let linearSpan = 0;
  for (let i = 0; i < count; i++) {
    probs[i] /= z;
    const s = sMin + i;
    linearSpan += probs[i] * (range - (sumSquaresInside(s, n - 1) + (range - s) ** 2) / range);
  }
  return { n, range, lnTheta, probs, meanGap: linearSpan / (n - 1) };
}

/**
 * The ln θ at which ρ̄ is largest. ρ̄ rises from the tightest clusters (θ → 0) to its maximum at
 * θ = 1 (the uniform sets), then falls slightly (θ → ∞ spreads the cluster over the whole circle,
 * and its one wide gap, which is where the line is usually cut, vanishes). Golden-section search.
 */
export function lnThetaOfLargestGap(n: number, range: number): number {
  let a = -2;
  let b = 2;
  const phi = (Math.sqrt(5) - 1) / 2;
  while (b - a > 1e-10) {
    const c = b - phi * (b - a);
    const d = a + phi * (b - a);
    if (circularTilt(n, range, c).meanGap > circularTilt(n, range, d).meanGap) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

/** The reachable ρ̄ for n of R numbers: from the tightest clusters (θ → 0) to the largest. */
export function circularGapRange(n: number, range: number): [number, number] {
  return [circularTilt(n, range, -60).meanGap, circularTilt(n, range, lnThetaOfLargestGap(n, range)).meanGap];
}

/** The tilt whose ρ̄ equals `meanGap` (bisection on ln θ on the rising branch, θ → 0 up to the largest ρ̄). */
export function circularTiltForMeanGap(n: number, range: number, meanGap: number): CircularTilt {
  return circularTilt(n, range, bisectLnTheta((l) => circularTilt(n, range, l).meanGap, meanGap, -60, lnThetaOfLargestGap(n, range)));
}

/** Draw one list's n distinct numbers (unsorted order: cluster order) into `out`. */
export function sampleCircular(dist: CircularTilt, min_number: number, rng: Rng, out: Uint8Array): void {
  const { n, range, probs } = dist;
  const s = n - 1 + drawSpanIndex(probs, rng);
  const start = rng.int(range);
  const at = (offset: number) => min_number + ((start + offset) % range);
  out[0] = at(0);
  out[n - 1] = at(s);
  interiorOffsets(rng, s, n - 2).forEach((o, k) => (out[k + 1] = at(o)));
}
