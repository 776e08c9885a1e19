/*
 * Between the flat parameter vector of layout.ts and the padded copies of ctx.h, and the
 * combos (distinct (position, token) pairs) of a batch.
 *
 * Flat order (TransformerLens names and shapes): embed.W_E [V, d], pos_embed.W_pos [n_ctx, d],
 * per layer [ln1.w, ln1.b [d]], W_Q, W_K, W_V [H, d, dh], W_O [H, dh, d], b_Q, b_K, b_V [H, dh],
 * b_O [d]; [ln_final.w, ln_final.b [d]], unembed.W_U [d, V], unembed.b_U [V].
 */
#pragma once
#include "ctx.h"

static const float *xfer_vec(float *dst, const float *src, int n) {
  for (int i = 0; i < n; i++) dst[i] = src[i];
  return src + n;
}

static float *put_vec(float *dst, const float *src, int n) {
  for (int i = 0; i < n; i++) dst[i] = src[i];
  return dst + n;
}

/* flat params → packed copies, their transposes */
NOINLINE static void pack_params(Ctx *c, const float *p) {
  const int d = c->d, dp = c->dp, dh = c->dh, hp = c->hp, H = c->H, HP = c->HP, T3 = c->T3, V = c->V, Vp = c->Vp;
  for (int t = 0; t < V; t++) p = xfer_vec(c->WE + t * dp, p, d);
  for (int q = 0; q < c->nctx; q++) p = q < c->P ? xfer_vec(c->Wpos + q * dp, p, d) : p + d;
  for (int L = 0; L < c->NL; L++) {
    if (c->ln) p = xfer_vec(c->ln1w[L], p, d), p = xfer_vec(c->ln1b[L], p, d);
    float *W = c->Wqkv[L];
    for (int which = 0; which < 3; which++) /* W_Q, W_K, W_V [H, d, dh] */
      for (int h = 0; h < H; h++)
        for (int i = 0; i < d; i++) p = xfer_vec(W + i * T3 + which * HP + h * hp, p, dh);
    for (int h = 0; h < H; h++) /* W_O [H, dh, d] */
      for (int j = 0; j < dh; j++) p = xfer_vec(c->WO[L] + (h * hp + j) * dp, p, d);
    for (int which = 0; which < 3; which++)
      for (int h = 0; h < H; h++) p = xfer_vec(c->bqkv[L] + which * HP + h * hp, p, dh);
    p = xfer_vec(c->bO[L], p, d);
    if (c->ln) flush_tiny(c->ln1w[L], dp), flush_tiny(c->ln1b[L], dp);
    flush_tiny(W, dp * T3), flush_tiny(c->WO[L], HP * dp), flush_tiny(c->bqkv[L], T3), flush_tiny(c->bO[L], dp);
    for (int i = 0; i < dp; i++)
      for (int j = 0; j < T3; j++) c->WqkvT[L][j * dp + i] = W[i * T3 + j];
    for (int i = 0; i < HP; i++)
      for (int j = 0; j < dp; j++) c->WOT[L][j * HP + i] = c->WO[L][i * dp + j];
  }
  if (c->ln) p = xfer_vec(c->lnfw, p, d), p = xfer_vec(c->lnfb, p, d);
  for (int i = 0; i < d; i++) p = xfer_vec(c->WU + i * Vp, p, V);
  p = xfer_vec(c->bU, p, V);
  flush_tiny(c->WE, V * dp), flush_tiny(c->Wpos, c->P * dp), flush_tiny(c->WU, dp * Vp), flush_tiny(c->bU, Vp);
  if (c->ln) flush_tiny(c->lnfw, dp), flush_tiny(c->lnfb, dp);
  for (int i = 0; i < dp; i++)
    for (int t = 0; t < Vp; t++) c->WUT[t * dp + i] = c->WU[i * Vp + t];
}

/* packed gradients → flat gradient (W_pos rows ≥ 2n, never fed, get 0) */
NOINLINE static void unpack_grads(const Ctx *c, float *g) {
  const int d = c->d, dp = c->dp, dh = c->dh, hp = c->hp, H = c->H, HP = c->HP, T3 = c->T3, V = c->V, Vp = c->Vp;
  for (int t = 0; t < V; t++) g = put_vec(g, c->gWE + t * dp, d);
  for (int q = 0; q < c->nctx; q++)
    if (q < c->P) g = put_vec(g, c->gWpos + q * dp, d);
    else for (int i = 0; i < d; i++) *g++ = 0;
  for (int L = 0; L < c->NL; L++) {
    if (c->ln) g = put_vec(g, c->gln1w[L], d), g = put_vec(g, c->gln1b[L], d);
    for (int which = 0; which < 3; which++)
      for (int h = 0; h < H; h++)
        for (int i = 0; i < d; i++) g = put_vec(g, c->gWqkv[L] + i * T3 + which * HP + h * hp, dh);
    for (int h = 0; h < H; h++)
      for (int j = 0; j < dh; j++) g = put_vec(g, c->gWO[L] + (h * hp + j) * dp, d);
    for (int which = 0; which < 3; which++)
      for (int h = 0; h < H; h++) g = put_vec(g, c->gbqkv[L] + which * HP + h * hp, dh);
    g = put_vec(g, c->gbO[L], d);
  }
  if (c->ln) g = put_vec(g, c->glnfw, d), g = put_vec(g, c->glnfb, d);
  for (int i = 0; i < d; i++) g = put_vec(g, c->gWU + i * Vp, V);
  put_vec(g, c->gbU, V);
}

/*
 * The distinct (position, token) pairs of the batch, numbered in (position, token) order:
 * cid[r·P + p] = combo of row r at position p; combos at position p are ustart[p] … ustart[p+1]−1;
 * occ[ostart[u] … ostart[u+1]−1] = the (r·P + p) with that combo, increasing; wfwd and wbwd
 * the prefix sums of each combo's work (qs = layer 0's first query position).
 */
NOINLINE static void find_combos(Ctx *c, const u8 *tok, int B, int qs) {
  const int P = c->P, V = c->V, nctx = c->nctx;
  int *mark = c->mark;
  for (int i = 0; i < P * V; i++) mark[i] = 0;
  for (int r = 0; r < B; r++)
    for (int p = 0; p < P; p++) mark[p * V + tok[r * nctx + p]] = 1;
  int U = 0;
  for (int p = 0; p < P; p++) {
    c->ustart[p] = U;
    for (int t = 0; t < V; t++)
      if (mark[p * V + t]) mark[p * V + t] = ++U, c->ctok[U - 1] = t, c->cpos[U - 1] = p;
  }
  c->ustart[P] = U;
  c->U = U;
  int *os = c->ostart;
  for (int u = 0; u <= U; u++) os[u] = 0;
  for (int r = 0; r < B; r++)
    for (int p = 0; p < P; p++) {
      int u = mark[p * V + tok[r * nctx + p]] - 1;
      c->cid[r * P + p] = u;
      os[u + 1]++;
    }
  for (int u = 0; u < U; u++) os[u + 1] += os[u], c->ocur[u] = os[u];
  for (int j = 0; j < B * P; j++) c->occ[c->ocur[c->cid[j]]++] = j;
  /* work per combo: projections of width 2 or 3 (with queries), and the backward's gather */
  c->wfwd[0] = c->wbwd[0] = 0;
  for (int u = 0; u < U; u++) {
    const int width = c->cpos[u] >= qs ? 3 : 2;
    c->wfwd[u + 1] = c->wfwd[u] + width;
    c->wbwd[u + 1] = c->wbwd[u] + (long long)width * (2 * c->dp + os[u + 1] - os[u]);
  }
}
