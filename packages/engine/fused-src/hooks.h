/*
 * TransformerLens activations of the last forward pass (MODE_FWD: every layer computed at every
 * fed position), copied out unpadded in TransformerLens shapes (engine.ts' hookShape).
 */
#pragma once
#include "layers.h"

enum {
  HOOK_EMBED, HOOK_POS_EMBED, HOOK_RESID_PRE, HOOK_LN1, HOOK_Q, HOOK_K, HOOK_V, HOOK_SCORES, HOOK_PATTERN,
  HOOK_Z, HOOK_ATTN_OUT, HOOK_RESID_POST, HOOK_LN_FINAL, HOOK_LOGITS
};

/* dst[(r·P + p)·w + i] = src row (r, p) [0, w) */
static void copy_rows(const Ctx *c, float *dst, int w, const float *base, int ld, const int *idx) {
  const int NP = c->rows * c->P;
  for (int m = 0; m < NP; m++) {
    const float *src = base + (idx ? idx[m] : m) * ld;
    for (int i = 0; i < w; i++) dst[m * w + i] = src[i];
  }
}

/* the hook `kind` of layer L into dst; returns the number of floats written (0: unknown hook) */
NOINLINE static int hook_copy(const Ctx *c, int kind, int L, float *dst) {
  const int P = c->P, B = c->rows, d = c->d, dp = c->dp, H = c->H, dh = c->dh, hp = c->hp, HP = c->HP;
  const int NP = B * P, nctx = c->nctx;
  switch (kind) {
  case HOOK_EMBED:
    for (int m = 0; m < NP; m++)
      for (int i = 0; i < d; i++) dst[m * d + i] = c->WE[c->tokens[(m / P) * nctx + m % P] * dp + i];
    return NP * d;
  case HOOK_POS_EMBED:
    for (int m = 0; m < NP; m++)
      for (int i = 0; i < d; i++) dst[m * d + i] = c->Wpos[(m % P) * dp + i];
    return NP * d;
  case HOOK_RESID_PRE:
    copy_rows(c, dst, d, L ? c->Res[L] : c->R0, dp, L ? 0 : c->cid);
    return NP * d;
  case HOOK_LN1:
    copy_rows(c, dst, d, L ? c->X[L] : c->X0, dp, L ? 0 : c->cid);
    return NP * d;
  case HOOK_Q:
  case HOOK_K:
  case HOOK_V: {
    const int off = (kind - HOOK_Q) * HP;
    for (int m = 0; m < NP; m++) {
      const float *src = qkv_row(c, L, m / P, m % P) + off;
      for (int h = 0; h < H; h++)
        for (int j = 0; j < dh; j++) dst[(m * H + h) * dh + j] = src[h * hp + j];
    }
    return NP * H * dh;
  }
  case HOOK_SCORES: { /* recomputed exactly as the forward pass computed them; masked = IGNORE */
    for (int r = 0; r < B; r++)
      for (int h = 0; h < H; h++)
        for (int qp = 0; qp < P; qp++) {
          const float *q = qkv_row(c, L, r, qp) + h * hp;
          float *out = dst + ((r * H + h) * P + qp) * P;
          for (int j = 0; j < P; j++) out[j] = j <= qp ? dot(q, qkv_row(c, L, r, j) + HP + h * hp, hp) * c->scale : IGNORE;
        }
    return B * H * P * P;
  }
  case HOOK_PATTERN:
    for (int i = 0; i < B * H * P * P; i++) dst[i] = c->PAT[L][i];
    return B * H * P * P;
  case HOOK_Z:
    for (int m = 0; m < NP; m++)
      for (int h = 0; h < H; h++)
        for (int j = 0; j < dh; j++) dst[(m * H + h) * dh + j] = c->Z[L][m * HP + h * hp + j];
    return NP * H * dh;
  case HOOK_ATTN_OUT:
    copy_rows(c, dst, d, c->AO[L], dp, 0);
    return NP * d;
  case HOOK_RESID_POST:
    copy_rows(c, dst, d, c->Res[L + 1], dp, 0);
    return NP * d;
  case HOOK_LN_FINAL:
    copy_rows(c, dst, d, c->XF, dp, 0);
    return NP * d;
  case HOOK_LOGITS:
    copy_rows(c, dst, c->V, c->LG, c->Vp, 0);
    return NP * c->V;
  }
  return 0;
}
