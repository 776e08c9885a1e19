/**
 * Head specialisation of one layer at one checkpoint (docs/science.md §3), from the OV diagonals and the
 * QK rows of its heads on the number tokens t = 0 … n_num − 1 (SEP excluded):
 *
 *   copier[t]   = argmax_h OV_h[t, t] if that value is > 0, else −1   (ties: the lower head index)
 *   copies_h    = {t : copier[t] = h};   n_copied_h = |copies_h|
 *   regions_h   = number of maximal runs of consecutive tokens in copies_h
 *   range_h     = {t : OV_h[t, t] > 0}   (every token h copies at all, not only where it wins)
 *   overlap_hg  = |range_h ∩ range_g| / |range_h ∪ range_g|   (Jaccard; NaN when both are empty)
 *   cs_h        = max_{g ≠ h} mean_t 1[OV_h[t, t] < 0 < OV_g[t, t]] · max(0, ρ(QK_h[t, :], QK_g[t, :]))
 *
 * ρ is the Pearson correlation of the two heads' QK rows for query token t over the number-token
 * keys (0 when either row is constant). cs_h ∈ [0, 1] is the fraction of tokens on which h
 * suppresses (negative OV diagonal) a token that g copies, weighted by how much the two heads
 * attend alike from that query: 1 = h suppresses everything g copies while looking where g looks
 * (copy suppression), 0 = never. copy_suppression_partner is the g attaining the maximum (−1 when
 * cs_h = 0).
 */
import { ShapeError } from '@sortscope/core';
import type { Matrix } from './matrix.ts';

export interface HeadSpecialisation {
  head: number;
  /** OV_h[t, t] on the number tokens [n_num] */
  ov_diagonal: Float64Array;
  /** 1 where copier[t] = h [n_num] */
  copies: Uint8Array;
  /** 1 where OV_h[t, t] > 0 [n_num] */
  copy_range: Uint8Array;
  n_copied: number;
  regions: number;
  /** Jaccard overlap of range_h with each head's range [n_heads] (1 with itself unless empty) */
  overlap: Float64Array;
  copy_suppression: number;
  copy_suppression_partner: number;
}

/** copier[t]: the head with the largest positive OV diagonal at t, or −1. */
export function copierOf(diagonals: readonly Float64Array[]): Int32Array {
  const n = diagonals[0]?.length ?? 0;
  const out = new Int32Array(n).fill(-1);
  for (let t = 0; t < n; t++) {
    let best = 0;
    diagonals.forEach((d, h) => {
      if (d[t] > best) {
        best = d[t];
        out[t] = h;
      }
    });
  }
  return out;
}

/** Maximal runs of consecutive 1s. */
export function countRuns(mask: ArrayLike<number>): number {
  let runs = 0;
  for (let t = 0; t < mask.length; t++) if (mask[t] && (t === 0 || !mask[t - 1])) runs++;
  return runs;
}

export function jaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let t = 0; t < a.length; t++) {
    inter += a[t] && b[t] ? 1 : 0;
    union += a[t] || b[t] ? 1 : 0;
  }
  return union === 0 ? NaN : inter / union;
}

/** Pearson correlation; 0 when either vector is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/**
 * @param diagonals per head, OV_h[t, t] on the number tokens [n_num]
 * @param qk per head, QK_h on the number tokens [n_num, n_num]
 */
export function specialise(diagonals: readonly Float64Array[], qk: readonly Matrix[]): HeadSpecialisation[] {
  const H = diagonals.length;
  const n = diagonals[0]?.length ?? 0;
  if (qk.length !== H) throw new ShapeError(`specialise: ${H} OV diagonals but ${qk.length} QK circuits`);
  for (const [h, m] of qk.entries()) if (m.rows !== n || m.cols !== n) throw new ShapeError(`specialise: QK of head ${h} must be [${n}, ${n}], got [${m.rows}, ${m.cols}]`);
  for (const [h, d] of diagonals.entries()) if (d.length !== n) throw new ShapeError(`specialise: OV diagonal of head ${h} has ${d.length} values, expected ${n}`);
  const copier = copierOf(diagonals);
  const ranges = diagonals.map((d) => Uint8Array.from(d, (x) => (x > 0 ? 1 : 0)));
  // ρ_t(h, g): correlation of the two heads' QK rows for query token t
  const rho = (h: number, g: number, t: number) => pearson(qk[h].data.subarray(t * n, (t + 1) * n), qk[g].data.subarray(t * n, (t + 1) * n));
  return diagonals.map((d, h) => {
    const copies = Uint8Array.from(copier, (c) => (c === h ? 1 : 0));
    let best = 0;
    let partner = -1;
    for (let g = 0; g < H; g++) {
      if (g === h) continue;
      let s = 0;
      for (let t = 0; t < n; t++) if (d[t] < 0 && diagonals[g][t] > 0) s += Math.max(0, rho(h, g, t));
      const score = n ? s / n : 0;
      if (score > best) [best, partner] = [score, g];
    }
    return {
      head: h,
      ov_diagonal: Float64Array.from(d),
      copies,
      copy_range: ranges[h],
      n_copied: copies.reduce((a, b) => a + b, 0),
      regions: countRuns(copies),
      overlap: Float64Array.from(ranges, (r) => jaccard(ranges[h], r)),
      copy_suppression: best,
      copy_suppression_partner: partner,
    };
  });
}
