/*
 * Row kernels: LayerNorm (TransformerLens: x ← x − mean(x); y = x / sqrt(mean(x²) + eps) · w + b)
 * and its backward, and one sequence's causal attention, forward and backward, for all heads.
 *
 * Attention of row r in layer L, head h, query position qp = qs + i (keys 0 … qp):
 *   s_j = (q · k_j) · scale,  p = softmax(s),  z = Σ_j p_j v_j
 * backward:  dp_j = dz · v_j,  ds_j = p_j (dp_j − Σ_l p_l dp_l) · scale,
 *            dq = Σ_j ds_j k_j,  dk_j += ds_j q,  dv_j += p_j dz.
 * Masked keys (j > qp) are skipped: their weight is exactly 0, as exp(IGNORE − max) is in float32.
 */
#pragma once
#include "pack.h"

/* lanes < n set, for the last partial vector of a row of length d */
static inline V lane_mask(int n) {
  return wasm_i32x4_gt(wasm_i32x4_splat(n), wasm_i32x4_make(0, 1, 2, 3));
}

/* y = LN(x) over the first d of dp entries (y's padding = 0); records mean and 1/sqrt(var + eps) */
static void ln_row(const float *x, float *y, const float *w, const float *b, int d, int dp, float eps, float *mean_out, float *rstd_out) {
  V s = VZ;
  for (int c = 0; c < dp; c += 4) s = VADD(s, LD(x + c)); /* padding is 0 */
  float mean = hsum(s) / (float)d;
  V mv = VS(mean), q = VZ;
  int c = 0;
  for (; c + 4 <= d; c += 4) {
    V xc = VSUB(LD(x + c), mv);
    q = VMA(q, xc, xc);
  }
  if (c < d) {
    V xc = wasm_v128_and(VSUB(LD(x + c), mv), lane_mask(d - c));
    q = VMA(q, xc, xc);
  }
  float rstd = 1.0f / __builtin_sqrtf(hsum(q) / (float)d + eps);
  V rv = VS(rstd);
  for (c = 0; c < dp; c += 4) ST(y + c, VMA(LD(b + c), VMUL(VSUB(LD(x + c), mv), rv), LD(w + c)));
  *mean_out = mean, *rstd_out = rstd;
}

/*
 * dx = LN backward of dy at input x (+ skip, which may alias dx): with g = dy·w and
 * x̂ = (x − mean)·rstd:  dx = rstd·(g − mean(g) − x̂·mean(g·x̂)). Padding of dx = 0 (+ skip).
 */
static void ln_bwd_row(const float *dy, const float *x, float mean, float rstd, const float *w, int d, int dp, float *dx, const float *skip) {
  V mv = VS(mean), rv = VS(rstd), sg = VZ, sgx = VZ;
  for (int c = 0; c < dp; c += 4) { /* padding: dy·w = 0 */
    V g = VMUL(LD(dy + c), LD(w + c));
    sg = VADD(sg, g);
    sgx = VMA(sgx, g, VMUL(VSUB(LD(x + c), mv), rv));
  }
  V mg = VS(hsum(sg) / (float)d), mgx = VS(hsum(sgx) / (float)d);
  int c = 0;
  for (; c < dp; c += 4) {
    V g = VMUL(LD(dy + c), LD(w + c));
    V xh = VMUL(VSUB(LD(x + c), mv), rv);
    V r = VMUL(rv, VSUB(VSUB(g, mg), VMUL(xh, mgx)));
    if (c + 4 > d) r = wasm_v128_and(r, lane_mask(d - c));
    ST(dx + c, skip ? VADD(r, LD(skip + c)) : r);
  }
}

/* dw[c] = Σ_m dy[m, c]·x̂[m, c], db[c] = Σ_m dy[m, c] for c in [c0, c1), over M contiguous rows */
NOINLINE static void ln_param_grad(int c0, int c1, int M, const float *dy, const float *x, const float *mean, const float *rstd, int dp, float *dw,
                          float *db) {
  for (int c = c0; c < c1; c += 4) {
    V sw = VZ, sb = VZ;
    for (int m = 0; m < M; m++) {
      V g = LD(dy + m * dp + c);
      sb = VADD(sb, g);
      sw = VMA(sw, g, VMUL(VSUB(LD(x + m * dp + c), VS(mean[m])), VS(rstd[m])));
    }
    ST(dw + c, sw), ST(db + c, sb);
  }
}

/* the [Q | K | V] row of (r, p) in layer L: a combo row of T0 in layer 0 */
static inline const float *qkv_row(const Ctx *c, int L, int r, int p) {
  return L ? c->T[L] + (r * c->P + p) * c->T3 : c->T0 + c->cid[r * c->P + p] * c->T3;
}

/* s[j] = (q · k_j)·scale for j < nk, with k_j = kv[j] + off */
static void scores(const float *q, const float *const *kv, int off, int nk, int hp, float scale, float *s) {
  int j = 0;
  for (; j + 4 <= nk; j += 4) dot4(q, kv[j] + off, kv[j + 1] + off, kv[j + 2] + off, kv[j + 3] + off, hp, s + j);
  for (; j < nk; j++) s[j] = dot(q, kv[j] + off, hp);
  for (j = 0; j < nk; j++) s[j] *= scale;
}

/* out = Σ_{j < nk} w[j·ws]·(kv[j] + off)  (hp floats), summed in increasing j */
static void weighted_sum(const float *w, int ws, const float *const *kv, int off, int nk, int hp, float *out) {
  int c = 0;
  for (; c + 16 <= hp; c += 16) {
    V a0 = VZ, a1 = VZ, a2 = VZ, a3 = VZ;
    for (int j = 0; j < nk; j++) {
      const float *v = kv[j] + off + c;
      V wj = SPL(w + j * ws);
      a0 = VMA(a0, wj, LD(v)), a1 = VMA(a1, wj, LD(v + 4)), a2 = VMA(a2, wj, LD(v + 8)), a3 = VMA(a3, wj, LD(v + 12));
    }
    ST(out + c, a0), ST(out + c + 4, a1), ST(out + c + 8, a2), ST(out + c + 12, a3);
  }
  for (; c < hp; c += 4) {
    V a = VZ;
    for (int j = 0; j < nk; j++) a = VMA(a, SPL(w + j * ws), LD(kv[j] + off + c));
    ST(out + c, a);
  }
}

/* scratch of a thread (ctx.h): scores [r4(P) + 4], a [P, P] matrix, then 2P row pointers */
static inline float *scratch_mat(const Ctx *c, float *scr) { return scr + r4(c->P) + 4; }
static inline const float **row_ptrs(const Ctx *c, float *scr) { return (const float **)(scr + r4(c->P) + 4 + c->P * c->P); }

NOINLINE static void attn_fwd_row(const Ctx *c, int L, int r, float *s) {
  const int P = c->P, H = c->H, hp = c->hp, HP = c->HP, qs = c->qs[L], Qn = P - qs;
  const float **kv = row_ptrs(c, s);
  for (int p = 0; p < P; p++) kv[p] = qkv_row(c, L, r, p);
  for (int h = 0; h < H; h++)
    for (int i = 0; i < Qn; i++) {
      const int qp = qs + i, nk = qp + 1, nk4 = r4(nk);
      scores(kv[qp] + h * hp, kv, HP + h * hp, nk, hp, c->scale, s);
      for (int j = nk; j < nk4; j++) s[j] = -1e30f;
      V mx = LD(s);
      for (int j = 4; j < nk4; j += 4) mx = wasm_f32x4_max(mx, LD(s + j));
      mx = VS(hmax(mx));
      V sum = VZ;
      for (int j = 0; j < nk4; j += 4) {
        V e = vexp(VSUB(LD(s + j), mx));
        ST(s + j, e);
        sum = VADD(sum, e);
      }
      V tot = VS(hsum(sum));
      for (int j = 0; j < nk4; j += 4) ST(s + j, vflush(wasm_f32x4_div(LD(s + j), tot)));
      float *pat = c->PAT[L] + ((r * H + h) * Qn + i) * P;
      for (int j = 0; j < P; j++) pat[j] = j < nk ? s[j] : 0.0f;
      weighted_sum(s, 1, kv, 2 * HP + h * hp, nk, hp, c->Z[L] + (r * Qn + i) * HP + h * hp);
    }
  if (c->mode == MODE_TRAIN) return; /* ablations apply to evaluations and hooked forwards */
  for (int h = 0; h < H; h++)
    if (c->abl_on[L * H + h])
      for (int i = 0; i < Qn; i++) vcopy(c->Z[L] + (r * Qn + i) * HP + h * hp, c->abl_z + ((L * H + h) * P + qs + i) * hp, hp);
}

/*
 * From dZ[L] of row r: dT[L] rows (r, ·) = [dq | dk | dv] (dq only at query positions). Per head,
 * first ds (and the pattern) for every (query, key), then each key's dk and dv as one sum over
 * its queries kept in registers.
 */
NOINLINE static void attn_bwd_row(const Ctx *c, int L, int r, float *s) {
  const int P = c->P, H = c->H, hp = c->hp, HP = c->HP, T3 = c->T3, qs = c->qs[L], Qn = P - qs;
  const float **kv = row_ptrs(c, s), **dz = kv + P;
  float *DS = scratch_mat(c, s); /* [Qn, P]: ds of query i, key j */
  for (int p = 0; p < P; p++) kv[p] = qkv_row(c, L, r, p);
  for (int i = 0; i < Qn; i++) dz[i] = c->dZ[L] + (r * Qn + i) * HP;
  float *dT = c->dT[L] + r * P * T3;
  for (int h = 0; h < H; h++) {
    const float *pat = c->PAT[L] + (r * H + h) * Qn * P;
    for (int i = 0; i < Qn; i++) {
      const int nk = qs + i + 1;
      float *ds = DS + i * P;
      const float *pi = pat + i * P;
      scores(dz[i] + h * hp, kv, 2 * HP + h * hp, nk, hp, 1.0f, ds); /* dp_j = dz · v_j */
      float tot = 0;
      for (int j = 0; j < nk; j++) tot += pi[j] * ds[j];
      for (int j = 0; j < nk; j++) ds[j] = pi[j] * (ds[j] - tot) * c->scale;
      weighted_sum(ds, 1, kv, HP + h * hp, nk, hp, dT + (qs + i) * T3 + h * hp); /* dq_i = Σ_j ds_j k_j */
    }
    for (int j = 0; j < P; j++) {
      const int i0 = j > qs ? j - qs : 0; /* the queries that see key j */
      weighted_sum(DS + i0 * P + j, P, kv + qs + i0, h * hp, Qn - i0, hp, dT + j * T3 + HP + h * hp);       /* dk_j = Σ_i ds_ij q_i */
      weighted_sum(pat + i0 * P + j, P, dz + i0, h * hp, Qn - i0, hp, dT + j * T3 + 2 * HP + h * hp); /* dv_j = Σ_i p_ij dz_i */
    }
  }
}
