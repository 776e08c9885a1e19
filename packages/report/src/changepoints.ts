/**
 * Stage boundaries: where the trend of the LLC over training changes.
 *
 * Developmental interpretability reads "stages" off the LLC curve plotted against log(step):
 * within a stage the estimate moves steadily, at a boundary its trend changes (Hoogland et al.,
 * "The developmental landscape of in-context learning", 2024). We make that reading explicit:
 *
 *   x_i = ln(1 + step_i)   (the report's symlog time axis; step 0 is kept), y_i = λ̂_i (target `all`)
 *
 * and fit a piecewise-linear function with m pieces, each an ordinary least-squares line on a run
 * of ≥ `min_points` consecutive estimates (the pieces are not forced to meet). For each m the
 * best split minimises the total residual sum of squares RSS_m, found exactly by dynamic
 * programming over the split points (O(m·n²), each piece's RSS in O(1) from prefix sums). The
 * number of pieces minimises a BIC-style criterion
 *
 *   BIC_m = n·ln(RSS_m / n) + penalty · (3m − 1) · ln n
 *
 * (2 parameters per line and 1 per boundary; `penalty` = 1 is the usual BIC). RSS is floored at
 * n·1e-12·var(y) so that an exactly linear curve does not reach −∞ and choose extra pieces.
 * A boundary lies between the last estimate of one piece and the first of the next; it is drawn
 * halfway between them on the log axis (`step_mid`). Estimates that are not finite are left out.
 * Fewer than 2·min_points estimates: no boundary can be detected and the result says so.
 */

export interface ChangepointOptions {
  max_segments: number;
  min_points: number;
  penalty: number;
}

export interface Segment {
  /** indices into the (finite) input points, inclusive */
  from: number;
  to: number;
  slope: number;
  intercept: number;
}

export interface StageBoundary {
  /** the last step of the previous piece and the first step of the next */
  step_before: number;
  step_after: number;
  /** halfway between them in ln(1 + step) */
  step_mid: number;
  /** change of slope (dλ̂ / d ln(1 + step)) across the boundary */
  slope_change: number;
}

export interface ChangepointResult {
  n: number;
  segments: Segment[];
  boundaries: StageBoundary[];
  /** BIC for m = 1 … (the largest m tried) */
  bic: number[];
  /** why no boundary could be looked for, when that is the case */
  note: string | null;
}

/** Least-squares line through points from..to (inclusive) given prefix sums; RSS ≥ 0. */
function fitFromSums(p: PrefixSums, from: number, to: number): { slope: number; intercept: number; rss: number } {
  const k = to - from + 1;
  const sx = p.x[to + 1] - p.x[from];
  const sy = p.y[to + 1] - p.y[from];
  const sxx = p.xx[to + 1] - p.xx[from] - (sx * sx) / k;
  const sxy = p.xy[to + 1] - p.xy[from] - (sx * sy) / k;
  const syy = p.yy[to + 1] - p.yy[from] - (sy * sy) / k;
  const slope = sxx > 0 ? sxy / sxx : 0;
  const rss = Math.max(0, syy - slope * sxy);
  return { slope, intercept: (sy - slope * sx) / k, rss };
}

interface PrefixSums {
  x: Float64Array;
  y: Float64Array;
  xx: Float64Array;
  xy: Float64Array;
  yy: Float64Array;
}

function prefixSums(x: number[], y: number[]): PrefixSums {
  const n = x.length;
  const p = { x: new Float64Array(n + 1), y: new Float64Array(n + 1), xx: new Float64Array(n + 1), xy: new Float64Array(n + 1), yy: new Float64Array(n + 1) };
  for (let i = 0; i < n; i++) {
    p.x[i + 1] = p.x[i] + x[i];
    p.y[i + 1] = p.y[i] + y[i];
    p.xx[i + 1] = p.xx[i] + x[i] * x[i];
    p.xy[i + 1] = p.xy[i] + x[i] * y[i];
    p.yy[i + 1] = p.yy[i] + y[i] * y[i];
  }
  return p;
}

/** The best split of points [0, n) into m pieces for every m ≤ maxM: RSS and the piece starts. */
function bestSplits(p: PrefixSums, n: number, maxM: number, minPts: number): { rss: number; starts: number[] }[] {
  // cost[m][j]: least RSS of points [0, j) in m pieces; from[m][j]: start of the last piece
  const cost = Array.from({ length: maxM + 1 }, () => new Float64Array(n + 1).fill(Infinity));
  const from = Array.from({ length: maxM + 1 }, () => new Int32Array(n + 1).fill(-1));
  cost[0][0] = 0;
  for (let m = 1; m <= maxM; m++) {
    for (let j = m * minPts; j <= n; j++) {
      for (let s = (m - 1) * minPts; s <= j - minPts; s++) {
        if (!Number.isFinite(cost[m - 1][s])) continue;
        const c = cost[m - 1][s] + fitFromSums(p, s, j - 1).rss;
        if (c < cost[m][j]) {
          cost[m][j] = c;
          from[m][j] = s;
        }
      }
    }
  }
  const out: { rss: number; starts: number[] }[] = [];
  for (let m = 1; m <= maxM; m++) {
    const starts: number[] = [];
    for (let j = n, k = m; k > 0; k--) {
      const s = from[k][j];
      starts.unshift(s);
      j = s;
    }
    out.push({ rss: cost[m][n], starts });
  }
  return out;
}

/**
 * Stage boundaries of an LLC curve. `steps` ascending; `llc` the estimates at those steps, NaN
 * where one cannot be read (llc readable.ts; the caller passes NaN and the fit leaves it out).
 */
export function detectStages(steps: number[], llc: number[], opts: ChangepointOptions): ChangepointResult {
  const pts = steps.map((s, i) => ({ s, x: Math.log1p(s), y: llc[i] })).filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x));
  for (let i = 1; i < pts.length; i++) {
    if (!(pts[i].s > pts[i - 1].s)) throw new RangeError(`detectStages: steps must be strictly increasing; got ${pts[i - 1].s} then ${pts[i].s}`);
  }
  const n = pts.length;
  const minPts = Math.max(2, opts.min_points);
  if (n < minPts) return { n, segments: [], boundaries: [], bic: [], note: `${n} readable LLC estimate${n === 1 ? '' : 's'}: too few to fit a trend` };
  // centre globally: the prefix sums then lose little to cancellation
  const mx = pts.reduce((a, p) => a + p.x, 0) / n;
  const my = pts.reduce((a, p) => a + p.y, 0) / n;
  const x = pts.map((p) => p.x - mx);
  const y = pts.map((p) => p.y - my);
  const p = prefixSums(x, y);
  const maxM = Math.max(1, Math.min(opts.max_segments, Math.floor(n / minPts)));
  const splits = bestSplits(p, n, maxM, minPts);
  const varY = y.reduce((a, v) => a + v * v, 0) / n;
  const floor = n * 1e-12 * varY + Number.MIN_VALUE;
  const bic = splits.map((sp, k) => n * Math.log(Math.max(sp.rss, floor) / n) + opts.penalty * (3 * (k + 1) - 1) * Math.log(n));
  let best = 0;
  for (let k = 1; k < bic.length; k++) if (bic[k] < bic[best] - 1e-9) best = k;
  const starts = splits[best].starts;
  const segments = starts.map((s, k) => {
    const to = (starts[k + 1] ?? n) - 1;
    const fit = fitFromSums(p, s, to);
    // back to the original coordinates: y = my + slope·(x − mx) + c
    return { from: s, to, slope: fit.slope, intercept: my + fit.intercept - fit.slope * mx };
  });
  const boundaries = segments.slice(1).map((seg, k) => {
    const a = pts[seg.from - 1];
    const b = pts[seg.from];
    return { step_before: a.s, step_after: b.s, step_mid: Math.expm1((a.x + b.x) / 2), slope_change: seg.slope - segments[k].slope };
  });
  const note = n < 2 * minPts ? `${n} readable LLC estimates: at least ${2 * minPts} are needed to detect a stage boundary` : null;
  return { n, segments, boundaries, bic, note };
}
