/*
 * The engine's state for one model configuration: the padded parameter copies, their
 * gradients, and the activations of one batch (capacity `cap` rows), all in linear memory.
 *
 * Padding: d_model → dp, d_head → hp, d_vocab → Vp (multiples of 4); heads are concatenated,
 * HP = n_heads·hp, and the fused projection is [Q | K | V] of width T3 = 3·HP. Padded entries of
 * every packed parameter are zero, so padded activations stay exactly zero and the matrix
 * products need no tails.
 *
 * Layer 0 reads the embeddings W_E[token] + W_pos[pos], which depend only on the
 * (position, token) pair: the engine computes LayerNorm, queries, keys and values once per
 * distinct pair of the batch (a "combo", sorted by position then token; U ≤ 2n·d_vocab of them)
 * instead of once per (row, position), and sums their gradients back per combo.
 *
 * Row-major activation layouts (r = row of the batch, p = fed position, i = query index):
 *   per (r, p):  cid [r·P + p], Res[L], X[L], T[L], dT[L], dX[L], dRes[L]  (layers L ≥ 1)
 *                dT[0] (layer 0's q/k/v gradients before they are summed per combo)
 *   per (r, i):  Z[L], AO[L], dZ[L], Res[L+1], dRes[L+1] at query positions qs[L] + i
 *                (qs = n in the last layer of a loss or evaluation, else 0; Qn = P − qs)
 *   PAT[L]       [rows, n_heads, Qn, P]
 *   final:       XF, LG (logits, then their gradient), dXF, meanF/rstdF  per (r, i)
 */
#pragma once
#include "gemm.h"

#define MAXL 12
#define MAXT 8
#define IGNORE (-1e5f)

typedef struct {
  /* configuration */
  int NL, H, d, dh, V, n, P, nctx, ln;
  float eps, scale;
  int dp, hp, HP, T3, Vp, psize;
  int cap, ucap; /* allocated rows and combos */
  int qs[MAXL];  /* first query position per layer, for the current mode */
  int work[4];   /* chunks claimed so far in phases B … E (engine.c) */
  /* packed parameters */
  float *WE, *Wpos, *lnfw, *lnfb, *WU, *WUT, *bU;
  float *ln1w[MAXL], *ln1b[MAXL], *Wqkv[MAXL], *WqkvT[MAXL], *bqkv[MAXL], *WO[MAXL], *WOT[MAXL], *bO[MAXL];
  /* their gradients (same padded shapes) */
  float *gWE, *gWpos, *glnfw, *glnfb, *gWU, *gbU;
  float *gln1w[MAXL], *gln1b[MAXL], *gWqkv[MAXL], *gbqkv[MAXL], *gWO[MAXL], *gbO[MAXL];
  /* combos of layer 0 */
  int U;
  int *mark, *cid, *ctok, *cpos, *ustart, *ostart, *ocur, *occ;
  long long *wfwd, *wbwd; /* prefix sums of the combos' work, forward and backward (for balanced splits) */
  float *R0, *X0, *mean0, *rstd0, *T0, *G, *GR, *dX0;
  /* per-layer activations */
  float *Res[MAXL + 1], *meanL[MAXL], *rstdL[MAXL], *X[MAXL], *T[MAXL], *dT[MAXL], *dX[MAXL], *dRes[MAXL + 1];
  float *PAT[MAXL], *Z[MAXL], *AO[MAXL], *dZ[MAXL];
  float *meanF, *rstdF, *XF, *LG, *dXF;
  float *nll;
  u8 *correct;
  float *scratch[MAXT];
  /* head ablation: per (layer, head) 0 = none, else replace z by abl_z[(L·H + h)·P·hp …] */
  int *abl_on;
  float *abl_z;
  /* the current call */
  int rows, mode;
  const float *params;
  const u8 *tokens;
  float *grad;
  double loss;
} Ctx;

enum { MODE_TRAIN = 0, MODE_EVAL = 1, MODE_FWD = 2, MODE_SGLD = 3 };

/* ---- memory: a bump allocator over linear memory (grown on demand; only the main thread allocates) ---- */

extern unsigned char __heap_base;
static unsigned long heap_top;

static void *alloc(unsigned long bytes) {
  if (!heap_top) heap_top = (unsigned long)&__heap_base;
  heap_top = (heap_top + 63) & ~63ul;
  unsigned long p = heap_top, end = p + bytes;
  unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
  if (end > have) {
    unsigned long pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (unsigned long)-1) return 0;
  }
  heap_top = end;
  __builtin_memset((void *)p, 0, bytes);
  return (void *)p;
}

static inline int r4(int x) { return (x + 3) & ~3; }

/* [a, b) = the tid-th of T equal parts of [0, n) */
static inline void split(int n, int tid, int T, int *a, int *b) {
  *a = (int)((long long)n * tid / T);
  *b = (int)((long long)n * (tid + 1) / T);
}

/* [a, b) = the tid-th of T parts of [0, n) of about equal work, w = prefix sums of the work (w[0] = 0) */
static inline void split_work(const long long *w, int n, int tid, int T, int *a, int *b) {
  int lo = 0;
  for (int k = 0; k <= 1; k++) {
    long long goal = (w[n] * (tid + k) + T - 1) / T;
    int u = lo;
    while (u < n && w[u] < goal) u++;
    if (k == 0) *a = u, lo = u;
    else *b = u;
  }
  if (tid == T - 1) *b = n;
}

/* the same in units of 4 columns */
static inline void split4(int n, int tid, int T, int *a, int *b) {
  split(n / 4, tid, T, a, b);
  *a *= 4, *b *= 4;
}

#define F(n) ((float *)alloc((unsigned long)(n) * 4))
#define I(n) ((int *)alloc((unsigned long)(n) * 4))

static int ctx_params_size(const Ctx *c) {
  int s = c->V * c->d + c->nctx * c->d;
  for (int L = 0; L < c->NL; L++) s += (c->ln ? 2 * c->d : 0) + 4 * c->H * c->d * c->dh + 3 * c->H * c->dh + c->d;
  return s + (c->ln ? 2 * c->d : 0) + c->d * c->V + c->V;
}

/* Parameters and gradients (allocated once). Returns 0 when memory is exhausted. */
static int ctx_alloc_params(Ctx *c) {
  int dp = c->dp, T3 = c->T3, HP = c->HP, Vp = c->Vp, ok = 1;
#define AF(dst, n) ok = ok && ((dst) = F(n)) != 0
#define AI(dst, n) ok = ok && ((dst) = I(n)) != 0
  AF(c->WE, c->V * dp), AF(c->Wpos, c->P * dp), AF(c->gWE, c->V * dp), AF(c->gWpos, c->P * dp);
  for (int L = 0; L < c->NL; L++) {
    AF(c->ln1w[L], dp), AF(c->ln1b[L], dp), AF(c->gln1w[L], dp), AF(c->gln1b[L], dp);
    AF(c->Wqkv[L], dp * T3), AF(c->WqkvT[L], T3 * dp), AF(c->bqkv[L], T3), AF(c->gWqkv[L], dp * T3), AF(c->gbqkv[L], T3);
    AF(c->WO[L], HP * dp), AF(c->WOT[L], dp * HP), AF(c->bO[L], dp), AF(c->gWO[L], HP * dp), AF(c->gbO[L], dp);
  }
  AF(c->lnfw, dp), AF(c->lnfb, dp), AF(c->glnfw, dp), AF(c->glnfb, dp);
  AF(c->WU, dp * Vp), AF(c->WUT, Vp * dp), AF(c->bU, Vp), AF(c->gWU, dp * Vp), AF(c->gbU, Vp);
  AI(c->mark, c->P * c->V), AI(c->ustart, c->P + 1);
  AI(c->abl_on, c->NL * c->H), AF(c->abl_z, c->NL * c->H * c->P * c->hp);
#undef AF
#undef AI
  return ok;
}

/*
 * Activations for `rows` rows (kept if already large enough). Returns 0 when memory is exhausted;
 * the context then holds no activations (cap 0), so no later call computes on a partial set.
 */
static int ctx_reserve_rows(Ctx *c, int rows, int threads) {
  if (rows <= c->cap) return 1;
  int cap = imax(rows, 2 * c->cap); /* geometric growth bounds the abandoned blocks */
  int P = c->P, dp = c->dp, HP = c->HP, T3 = c->T3, NP = cap * P;
  int ucap = imin(NP, c->V * P);
  c->cap = c->ucap = 0;
  int ok = 1;
#define A(dst, expr) ok = ok && ((dst) = (expr)) != 0
#define AF(dst, n) A(dst, F(n))
#define AI(dst, n) A(dst, I(n))
  AI(c->cid, NP), AI(c->occ, NP);
  AI(c->ctok, ucap), AI(c->cpos, ucap), AI(c->ostart, ucap + 1), AI(c->ocur, ucap);
  A(c->wfwd, (long long *)alloc(8ul * (ucap + 1))), A(c->wbwd, (long long *)alloc(8ul * (ucap + 1)));
  AF(c->R0, ucap * dp), A(c->X0, c->ln ? F(ucap * dp) : c->R0), AF(c->mean0, ucap), AF(c->rstd0, ucap);
  AF(c->T0, ucap * T3), AF(c->G, ucap * T3), AF(c->GR, ucap * dp), AF(c->dX0, ucap * dp);
  for (int L = 0; L < c->NL; L++) {
    if (L > 0) {
      AF(c->Res[L], NP * dp), AF(c->meanL[L], NP), AF(c->rstdL[L], NP);
      A(c->X[L], c->ln ? F(NP * dp) : c->Res[L]);
      AF(c->T[L], NP * T3), AF(c->dX[L], NP * dp), AF(c->dRes[L], NP * dp);
    }
    AF(c->dT[L], NP * T3);
    AF(c->PAT[L], cap * c->H * P * P), AF(c->Z[L], NP * HP), AF(c->AO[L], NP * dp), AF(c->dZ[L], NP * HP);
  }
  AF(c->Res[c->NL], NP * dp), AF(c->dRes[c->NL], NP * dp);
  AF(c->meanF, NP), AF(c->rstdF, NP), A(c->XF, c->ln ? F(NP * dp) : c->Res[c->NL]);
  AF(c->LG, NP * c->Vp), AF(c->dXF, NP * dp);
  AF(c->nll, NP), A(c->correct, (u8 *)alloc((unsigned long)NP));
  for (int t = 0; t < threads && t < MAXT; t++)
    if (!c->scratch[t]) AF(c->scratch[t], r4(P) + 4 + P * P + 2 * P);
#undef A
#undef AF
#undef AI
  if (!ok) return 0;
  c->cap = cap, c->ucap = ucap;
  return 1;
}
