/*
 * The fused engine: forward and backward passes of the attention-only transformer of
 * ../src/tfjs/forward.ts, on the flat parameter vector of ../src/layout.ts, in WebAssembly SIMD.
 * Built by build.sh into ../src/fused/engine.wasm; driven by ../src/fused/runtime.ts.
 *
 * One call (a loss and gradient, an evaluation or a hooked forward pass) runs in phases; the
 * threads of a call (instances of this module on one shared memory) share out each phase's
 * chunks and meet at a barrier between phases:
 *
 *   A  pack the parameters (thread 0); find the batch's combos, the distinct (position,
 *      token) pairs, and order their occurrences (thread 1, or 0 alone)
 *   B  layer 0 per combo: embeddings, LN1, queries, keys, values                         by combo
 *   C  per sequence: attention, W_O, later layers, LN_final, unembedding, loss; and back
 *      down to the per-(row, position) gradients of layer 0's q, k, v                    by row
 *   D  layer 0's gradients summed per combo and back through W_Q/W_K/W_V and LN1;
 *      weight gradients of W_U, LN_final, W_O, b_O and of layers ≥ 1                     by combo / by column
 *   E  weight gradients of layer 0 (W_Q, W_K, W_V, LN1) and of W_E, W_pos                by column
 *   F  gradient into the flat vector, loss (summed in float64)                           thread 0
 *
 * Skipped work: in the last layer queries, scores, softmax, z, W_O, LN_final and the
 * unembedding run only at the n scored positions (keys and values at all 2n fed positions);
 * layer 0's LayerNorm and projections run once per combo.
 *
 * Every sum over rows (weight gradients, per-combo sums) runs in a fixed order inside one
 * thread, and the splits only decide who computes which output element, so results are
 * bitwise independent of the thread count. Evaluations and forward passes stop after C.
 */
#include "hooks.h"

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * Profiling build (build.sh with PROF=1, never shipped): time per phase and thread from an
 * imported clock (runtime.ts passes env.now = performance.now), read through prof_addr().
 */
#ifdef PROF
__attribute__((import_module("env"), import_name("now"))) double prof_now(void);
static double prof[8][16], prof_t[8];
#define MARK(tid, slot) do { double t_ = prof_now(); prof[tid][slot] += t_ - prof_t[tid]; prof_t[tid] = t_; } while (0)
#define MARK0(tid) (prof_t[tid] = prof_now())
EXPORT(prof_addr) double *prof_addr(void) { return &prof[0][0]; }
#else
#define MARK(tid, slot) ((void)0)
#define MARK0(tid) ((void)0)
#endif

/* ---- threads: a job is run by thread_run(tid) on every thread; barriers between phases ---- */

typedef struct {
  const float *params;
  const u8 *tokens;
  int rows;
  float *grad;
  double loss;
} Io;

static struct {
  int mode, T, many, nio;
  Io *io;
  int io_cap;
  Ctx *ctx[MAXT];
  int next;
} job;

/*
 * ctl[0]: job generation (workers wait on it), ctl[1]: exit, ctl[2]: abort, ctl[3..4]: barrier
 * count and generation, ctl[5]: barriers passed by thread 0 (runtime.ts checks after every call
 * that the generation advanced by exactly that much), ctl[6]: spins before sleeping (0: SPIN),
 * ctl[7]: sleep per wait in µs (0: WAIT_US); 6 and 7 exist for the stress tests (spins = ctl[6] − 1);
 * ctl[8]: set when thread 0 found every other thread done with the job while it still waited at
 * a barrier (the threads lost step: nobody would ever come).
 */
static volatile int ctl[16];
#define CTL_ABORT 2
#define BAR_COUNT 3
#define BAR_GEN 4
#define CTL_PASSES 5
#define CTL_SPIN 6
#define CTL_WAIT_US 7
#define CTL_LOST 8
#define SPIN 20000
#define WAIT_US 20000

/*
 * Sleep until the barrier generation may have left g (a notify, or the timeout). Kept in a leaf
 * function of its own, whose locals are all dead once the wait returns: V8 11.3's baseline
 * compiler (Liftoff, Node 20) spills memory.atomic.wait32's 64-bit address into a 4-byte stack
 * slot and so overwrites the neighbouring slot. Inlined into the barrier, that slot held g: after
 * a timed-out wait the barrier saw a "new" generation and let a thread through alone
 * (src/fused/README.md, "The race").
 */
NOINLINE static void wait_gen(int g, int wait_us) {
  __builtin_wasm_memory_atomic_wait32((int *)&ctl[BAR_GEN], g, (long long)wait_us * 1000);
}

/* wake the threads sleeping on the barrier generation (a leaf for the same reason as wait_gen) */
NOINLINE static void notify_gen(int T) { __builtin_wasm_memory_atomic_notify((int *)&ctl[BAR_GEN], T); }

/* the generation each thread waits to see change, kept in linear memory rather than in a local */
static volatile int bar_seen[MAXT];
/* the job each thread last finished (ctl[0] when it started it), and the one thread 0 is running */
static volatile int thread_done[MAXT];
static volatile int job_now;

/* thread 0, waiting: have all the other threads finished this job? (then nobody will come) */
static int others_done(int T) {
  for (int t = 1; t < T; t++)
    if (__atomic_load_n(&thread_done[t], __ATOMIC_ACQUIRE) != job_now) return 0;
  return 1;
}

/*
 * Thread 0, after its last barrier of a job: the other threads must finish the job too before the
 * call returns. Healthy, they have passed that barrier already and only mark the job done. One
 * that still arrives at a barrier means the threads lost step (thread 0 passed its last barrier
 * paired with a stale arrival while that thread was a phase behind): ctl[8] says so, and
 * runtime.ts discards the call. Without this wait, a thread still computing its last phase when
 * thread 0 returned went unnoticed (seen on a loaded machine by the stress test).
 */
static void settle(int T) {
  if (T <= 1) return;
  const int wait_us = ctl[CTL_WAIT_US] ? ctl[CTL_WAIT_US] : WAIT_US;
  for (;;) {
    if (others_done(T) || __atomic_load_n(&ctl[CTL_ABORT], __ATOMIC_ACQUIRE)) return;
    if (__atomic_load_n(&ctl[BAR_COUNT], __ATOMIC_ACQUIRE) > 0) {
      __atomic_store_n(&ctl[CTL_LOST], 1, __ATOMIC_RELEASE);
      return;
    }
    for (int i = 0; i < SPIN && !others_done(T) && __atomic_load_n(&ctl[BAR_COUNT], __ATOMIC_ACQUIRE) == 0; i++) {
    }
    if (!others_done(T) && __atomic_load_n(&ctl[BAR_COUNT], __ATOMIC_ACQUIRE) == 0) wait_gen(__atomic_load_n(&ctl[BAR_GEN], __ATOMIC_ACQUIRE), wait_us / 100 + 1);
  }
}

/* all T threads meet; returns 1 if a thread failed (the job is abandoned) */
static int barrier(int T, int tid) {
  if (T <= 1) return 0;
  bar_seen[tid] = __atomic_load_n(&ctl[BAR_GEN], __ATOMIC_ACQUIRE);
  if (tid == 0) ctl[CTL_PASSES]++;
  if (__atomic_add_fetch(&ctl[BAR_COUNT], 1, __ATOMIC_ACQ_REL) == T) {
    __atomic_store_n(&ctl[BAR_COUNT], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&ctl[BAR_GEN], bar_seen[tid] + 1, __ATOMIC_RELEASE);
    notify_gen(T);
    return 0;
  }
  const int spin = ctl[CTL_SPIN] ? ctl[CTL_SPIN] - 1 : SPIN, wait_us = ctl[CTL_WAIT_US] ? ctl[CTL_WAIT_US] : WAIT_US;
  for (int i = 0; i < spin; i++)
    if (__atomic_load_n(&ctl[BAR_GEN], __ATOMIC_ACQUIRE) != bar_seen[tid]) return 0;
  while (__atomic_load_n(&ctl[BAR_GEN], __ATOMIC_ACQUIRE) == bar_seen[tid]) {
    if (__atomic_load_n(&ctl[CTL_ABORT], __ATOMIC_ACQUIRE)) return 1;
    /* a thread marks a job done after its last barrier, so "all done" with the generation unchanged means lost step */
    if (tid == 0 && others_done(T) && __atomic_load_n(&ctl[BAR_GEN], __ATOMIC_ACQUIRE) == bar_seen[tid]) {
      __atomic_store_n(&ctl[CTL_LOST], 1, __ATOMIC_RELEASE);
      return 1;
    }
    wait_gen(bar_seen[tid], wait_us);
  }
  return 0;
}

#include "sgld.h"

/*
 * ---- work sharing: each phase is cut into chunks (about CHUNKS per thread) that the call's
 * threads claim in turn from a counter, so that a thread the OS delays holds up little. Which
 * thread computes a chunk never changes its numbers.
 */
#define CHUNKS 6
enum { WORK_B, WORK_C, WORK_D, WORK_E };
static inline int claim(Ctx *c, int phase) { return __atomic_fetch_add(&c->work[phase], 1, __ATOMIC_RELAXED); }

/* column chunk q of n (units of 4, at least 8 columns each) of a width-N job; 0 if none */
static inline int col_chunk(int N, int q, int n, int *a, int *b) {
  const int chunks = imax(1, imin(n, N / 8));
  if (q >= chunks) return 0;
  split4(N, q, chunks, a, b);
  return *a < *b;
}

/* ---- phase B: layer 0 per combo ---- */

NOINLINE static void combos_forward(Ctx *c, int u0, int u1) {
  const int dp = c->dp, HP = c->HP, T3 = c->T3;
  for (int u = u0; u < u1; u++) {
    vadd_to(c->R0 + u * dp, c->WE + c->ctok[u] * dp, c->Wpos + c->cpos[u] * dp, dp);
    if (c->ln) ln_row(c->R0 + u * dp, c->X0 + u * dp, c->ln1w[0], c->ln1b[0], c->d, dp, c->eps, c->mean0 + u, c->rstd0 + u);
  }
  gemm_nn(u1 - u0, 2 * HP, dp, c->X0 + u0 * dp, dp, c->Wqkv[0] + HP, T3, c->T0 + u0 * T3 + HP, T3, c->bqkv[0] + HP, 0, CONTIG);
  int a = imax(u0, c->ustart[c->qs[0]]); /* queries only where layer 0 has query positions */
  if (a < u1) gemm_nn(u1 - a, HP, dp, c->X0 + a * dp, dp, c->Wqkv[0], T3, c->T0 + a * T3, T3, c->bqkv[0], 0, CONTIG);
}

static void phase_B(Ctx *c, int T) {
  const int n = CHUNKS * T;
  for (int k; (k = claim(c, WORK_B)) < n;) {
    int u0, u1;
    split_work(c->wfwd, c->U, k, n, &u0, &u1);
    if (u0 < u1) combos_forward(c, u0, u1);
  }
}

/* ---- phase C: per sequence ---- */

/*
 * nll and correctness of one scored position (logits lg[0 … nv), padded to Vp); with inv_n > 0
 * the row becomes d(mean nll)/d(logits) = (softmax − onehot(target))·inv_n.
 */
NOINLINE static void token_loss(float *lg, int nv, int Vp, int target, float inv_n, float *nll, u8 *correct) {
  const V ninf = VS(-__builtin_inff());
  V mv = ninf;
  for (int t = 0; t < Vp; t += 4) {
    V x = LD(lg + t);
    if (t + 4 > nv) x = wasm_v128_bitselect(x, ninf, lane_mask(nv - t));
    mv = wasm_f32x4_max(mv, x);
  }
  const float mx = hmax(mv), xt = lg[target];
  int arg = nv; /* the first maximum, as tf.argMax */
  for (int t = 0; t < Vp && arg == nv; t += 4) {
    int hit = wasm_i32x4_bitmask(wasm_f32x4_eq(LD(lg + t), VS(mx)));
    if (hit) arg = t + __builtin_ctz((unsigned)hit);
  }
  V sum = VZ, mxv = VS(mx);
  for (int t = 0; t < Vp; t += 4) {
    V x = LD(lg + t);
    if (t + 4 > nv) x = wasm_v128_bitselect(x, ninf, lane_mask(nv - t));
    V e = vexp(VSUB(x, mxv));
    ST(lg + t, e); /* the logits are not needed again */
    sum = VADD(sum, e);
  }
  const float tot = hsum(sum);
  *nll = (float)(logd(tot) - (double)(xt - mx));
  *correct = arg == target;
  if (inv_n <= 0) return;
  const V k = VS(inv_n / tot);
  for (int t = 0; t < Vp; t += 4) ST(lg + t, vflush(VMUL(LD(lg + t), k)));
  lg[target] -= inv_n;
}

NOINLINE static void rows_forward(Ctx *c, int r0, int r1, float *scr) {
  const int P = c->P, dp = c->dp, HP = c->HP, T3 = c->T3, NL = c->NL, nr = r1 - r0;
  for (int L = 0; L < NL; L++) {
    const int qs = c->qs[L], Qn = P - qs;
    if (L > 0) {
      float *X = c->X[L] + r0 * P * dp, *TL = c->T[L] + r0 * P * T3;
      if (c->ln)
        for (int m = r0 * P; m < r1 * P; m++) ln_row(c->Res[L] + m * dp, c->X[L] + m * dp, c->ln1w[L], c->ln1b[L], c->d, dp, c->eps, c->meanL[L] + m, c->rstdL[L] + m);
      gemm_nn(nr * P, 2 * HP, dp, X, dp, c->Wqkv[L] + HP, T3, TL + HP, T3, c->bqkv[L] + HP, 0, CONTIG);
      RowMap q = {Qn, P, qs};
      gemm_nn(nr * Qn, HP, dp, X, dp, c->Wqkv[L], T3, TL, T3, c->bqkv[L], 0, q);
    }
    for (int r = r0; r < r1; r++) attn_fwd_row(c, L, r, scr);
    gemm_nn(nr * Qn, dp, HP, c->Z[L] + r0 * Qn * HP, HP, c->WO[L], dp, c->AO[L] + r0 * Qn * dp, dp, c->bO[L], 0, CONTIG);
    for (int r = r0; r < r1; r++)
      for (int i = 0; i < Qn; i++) {
        const float *res = L ? c->Res[L] + (r * P + qs + i) * dp : c->R0 + c->cid[r * P + qs + i] * dp;
        vadd_to(c->Res[L + 1] + (r * Qn + i) * dp, res, c->AO[L] + (r * Qn + i) * dp, dp);
      }
  }
  const int Qn = P - c->qs[NL - 1], m0 = r0 * Qn, m1 = r1 * Qn;
  if (c->ln)
    for (int m = m0; m < m1; m++) ln_row(c->Res[NL] + m * dp, c->XF + m * dp, c->lnfw, c->lnfb, c->d, dp, c->eps, c->meanF + m, c->rstdF + m);
  gemm_nn(m1 - m0, c->Vp, dp, c->XF + m0 * dp, dp, c->WU, c->Vp, c->LG + m0 * c->Vp, c->Vp, c->bU, 0, CONTIG);
  if (c->mode == MODE_FWD) return;
  const int n = c->n;
  const float inv_n = c->mode == MODE_TRAIN ? (float)(1.0 / ((double)c->rows * n)) : 0.0f;
  for (int r = r0; r < r1; r++)
    for (int i = 0; i < n; i++)
      token_loss(c->LG + (r * Qn + i) * c->Vp, c->V, c->Vp, c->tokens[r * c->nctx + n + 1 + i], inv_n, c->nll + r * n + i, c->correct + r * n + i);
}

NOINLINE static void rows_backward(Ctx *c, int r0, int r1, float *scr) {
  const int P = c->P, dp = c->dp, HP = c->HP, T3 = c->T3, NL = c->NL, nr = r1 - r0;
  const int QnF = P - c->qs[NL - 1], m0 = r0 * QnF, m1 = r1 * QnF;
  gemm_nn(m1 - m0, dp, c->Vp, c->LG + m0 * c->Vp, c->Vp, c->WUT, dp, c->dXF + m0 * dp, dp, 0, 0, CONTIG);
  if (c->ln)
    for (int m = m0; m < m1; m++) ln_bwd_row(c->dXF + m * dp, c->Res[NL] + m * dp, c->meanF[m], c->rstdF[m], c->lnfw, c->d, dp, c->dRes[NL] + m * dp, 0);
  else
    for (int m = m0; m < m1; m++) vcopy(c->dRes[NL] + m * dp, c->dXF + m * dp, dp);
  for (int L = NL - 1; L >= 0; L--) {
    const int qs = c->qs[L], Qn = P - qs;
    gemm_nn(nr * Qn, HP, dp, c->dRes[L + 1] + r0 * Qn * dp, dp, c->WOT[L], HP, c->dZ[L] + r0 * Qn * HP, HP, 0, 0, CONTIG);
    for (int r = r0; r < r1; r++) attn_bwd_row(c, L, r, scr);
    if (L == 0) break; /* layer 0 continues per combo (phase D) */
    float *dT = c->dT[L] + r0 * P * T3, *dX = c->dX[L] + r0 * P * dp;
    gemm_nn(nr * P, dp, 2 * HP, dT + HP, T3, c->WqkvT[L] + HP * dp, dp, dX, dp, 0, 0, CONTIG);
    RowMap q = {Qn, P, qs};
    gemm_nn(nr * Qn, dp, HP, dT, T3, c->WqkvT[L], dp, dX, dp, 0, 1, q);
    for (int r = r0; r < r1; r++)
      for (int p = 0; p < P; p++) {
        const int m = r * P + p;
        const float *skip = p >= qs ? c->dRes[L + 1] + (r * Qn + p - qs) * dp : 0;
        if (c->ln) ln_bwd_row(c->dX[L] + m * dp, c->Res[L] + m * dp, c->meanL[L][m], c->rstdL[L][m], c->ln1w[L], c->d, dp, c->dRes[L] + m * dp, skip);
        else if (skip) vadd_to(c->dRes[L] + m * dp, c->dX[L] + m * dp, skip, dp);
        else vcopy(c->dRes[L] + m * dp, c->dX[L] + m * dp, dp);
      }
  }
}

/* ---- phase D: layer 0 per combo, and the weight gradients above it ---- */

NOINLINE static void combos_backward(Ctx *c, int u0, int u1) {
  const int P = c->P, dp = c->dp, HP = c->HP, T3 = c->T3, qs = c->qs[0], Qn = P - qs;
  for (int u = u0; u < u1; u++) {
    float *g = c->G + u * T3, *gr = c->GR + u * dp;
    const int pos = c->cpos[u];
    vzero(g, T3), vzero(gr, dp);
    for (int k = c->ostart[u]; k < c->ostart[u + 1]; k++) {
      const int j = c->occ[k], r = j / P;
      if (pos >= qs) {
        vacc(g, c->dT[0] + j * T3, T3);
        vacc(gr, c->dRes[1] + (r * Qn + pos - qs) * dp, dp);
      } else vacc(g + HP, c->dT[0] + j * T3 + HP, 2 * HP);
    }
  }
  gemm_nn(u1 - u0, dp, 2 * HP, c->G + u0 * T3 + HP, T3, c->WqkvT[0] + HP * dp, dp, c->dX0 + u0 * dp, dp, 0, 0, CONTIG);
  int a = imax(u0, c->ustart[qs]);
  if (a < u1) gemm_nn(u1 - a, dp, HP, c->G + a * T3, T3, c->WqkvT[0], dp, c->dX0 + a * dp, dp, 0, 1, CONTIG);
  for (int u = u0; u < u1; u++) { /* GR becomes d(loss)/d(W_E[tok] + W_pos[pos]) */
    if (c->ln) ln_bwd_row(c->dX0 + u * dp, c->R0 + u * dp, c->mean0[u], c->rstd0[u], c->ln1w[0], c->d, dp, c->GR + u * dp, c->GR + u * dp);
    else vacc(c->GR + u * dp, c->dX0 + u * dp, dp);
  }
}

/* width of phase D's column job j (0: none): W_U, LN_final, then per layer W_O, LN1, W_K|W_V, W_Q */
static int upper_width(const Ctx *c, int j) {
  if (j == 0) return c->Vp;
  if (j == 1) return c->ln ? c->dp : 0;
  const int L = (j - 2) / 4, which = (j - 2) % 4;
  if (which == 0) return c->dp;
  if (L == 0) return 0; /* layer 0's projections and LN1 are phase E's */
  return which == 1 ? (c->ln ? c->dp : 0) : which == 2 ? 2 * c->HP : c->HP;
}

/* columns [a, b) of phase D's job j */
NOINLINE static void upper_grads(Ctx *c, int j, int a, int b) {
  const int P = c->P, dp = c->dp, HP = c->HP, T3 = c->T3, Vp = c->Vp, NL = c->NL, B = c->rows;
  const int MF = B * (P - c->qs[NL - 1]);
  if (j == 0) {
    gemm_tn(dp, a, b, MF, c->XF, dp, c->LG, Vp, c->gWU, Vp, CONTIG);
    colsum(a, b, MF, c->LG, Vp, c->gbU, CONTIG);
    return;
  }
  if (j == 1) {
    ln_param_grad(a, b, MF, c->dXF, c->Res[NL], c->meanF, c->rstdF, dp, c->glnfw, c->glnfb);
    return;
  }
  const int L = (j - 2) / 4, which = (j - 2) % 4, qs = c->qs[L], Qn = P - qs;
  if (which == 0) {
    gemm_tn(HP, a, b, B * Qn, c->Z[L], HP, c->dRes[L + 1], dp, c->gWO[L], dp, CONTIG);
    colsum(a, b, B * Qn, c->dRes[L + 1], dp, c->gbO[L], CONTIG);
  } else if (which == 1) {
    ln_param_grad(a, b, B * P, c->dX[L], c->Res[L], c->meanL[L], c->rstdL[L], dp, c->gln1w[L], c->gln1b[L]);
  } else if (which == 2) {
    gemm_tn(dp, HP + a, HP + b, B * P, c->X[L], dp, c->dT[L], T3, c->gWqkv[L], T3, CONTIG);
    colsum(HP + a, HP + b, B * P, c->dT[L], T3, c->gbqkv[L], CONTIG);
  } else {
    RowMap q = {Qn, P, qs};
    gemm_tn(dp, a, b, B * Qn, c->X[L], dp, c->dT[L], T3, c->gWqkv[L], T3, q);
    colsum(a, b, B * Qn, c->dT[L], T3, c->gbqkv[L], q);
  }
}

static void phase_D(Ctx *c, int T, int tid) {
  const int n = CHUNKS * T, jobs = 2 + 4 * c->NL;
  for (int k; (k = claim(c, WORK_D)) < n * (1 + jobs);) {
    int a, b;
    if (k < n) {
      split_work(c->wbwd, c->U, k, n, &a, &b);
      if (a < b) combos_backward(c, a, b);
      MARK(tid, 11);
    } else if (col_chunk(upper_width(c, (k - n) / n), (k - n) % n, n, &a, &b)) {
      upper_grads(c, (k - n) / n, a, b);
      MARK(tid, 12 + imin(3, (k - n) / n));
    }
  }
}

/* ---- phase E: layer 0's weights and the embeddings ---- */

/* columns [a, b) of phase E's job j: 0 W_K|W_V, 1 W_Q, 2 LN1, W_E and W_pos */
NOINLINE static void layer0_grads(Ctx *c, int j, int a, int b) {
  const int dp = c->dp, HP = c->HP, T3 = c->T3, U = c->U, uq = c->ustart[c->qs[0]];
  if (j == 0) {
    gemm_tn(dp, HP + a, HP + b, U, c->X0, dp, c->G, T3, c->gWqkv[0], T3, CONTIG);
    colsum(HP + a, HP + b, U, c->G, T3, c->gbqkv[0], CONTIG);
  } else if (j == 1) {
    gemm_tn(dp, a, b, U - uq, c->X0 + uq * dp, dp, c->G + uq * T3, T3, c->gWqkv[0], T3, CONTIG);
    colsum(a, b, U - uq, c->G + uq * T3, T3, c->gbqkv[0], CONTIG);
  } else {
    if (c->ln) ln_param_grad(a, b, U, c->dX0, c->R0, c->mean0, c->rstd0, dp, c->gln1w[0], c->gln1b[0]);
    for (int t = 0; t < c->V; t++) vzero(c->gWE + t * dp + a, b - a);
    for (int p = 0; p < c->P; p++) vzero(c->gWpos + p * dp + a, b - a);
    for (int u = 0; u < U; u++) {
      vacc(c->gWE + c->ctok[u] * dp + a, c->GR + u * dp + a, b - a);
      vacc(c->gWpos + c->cpos[u] * dp + a, c->GR + u * dp + a, b - a);
    }
  }
}

static void phase_E(Ctx *c, int T) {
  const int n = CHUNKS * T, width[3] = {2 * c->HP, c->HP, c->dp};
  for (int k; (k = claim(c, WORK_E)) < 3 * n;) {
    int a, b;
    if (col_chunk(width[k / n], k % n, n, &a, &b)) layer0_grads(c, k / n, a, b);
  }
}

/* ---- one call ---- */

/* one loss/evaluation/forward of `io` on ctx c by threads tid of T; returns 1 if abandoned */
static int run_call(Ctx *c, Io *io, int mode, int tid, int T) {
  MARK0(tid);
  if (tid == 0) {
    c->rows = io->rows, c->tokens = io->tokens, c->mode = mode;
    for (int L = 0; L < c->NL; L++) c->qs[L] = L == c->NL - 1 && mode != MODE_FWD ? c->n : 0;
    for (int k = 0; k < 4; k++) c->work[k] = 0;
    pack_params(c, io->params);
  }
  if (tid == (T > 1)) find_combos(c, io->tokens, io->rows, c->NL == 1 && mode != MODE_FWD ? c->n : 0); /* on thread 1 while thread 0 packs */
  MARK(tid, 0);
  if (barrier(T, tid)) return 1;
  MARK(tid, 1);
  phase_B(c, T);
  MARK(tid, 2);
  if (barrier(T, tid)) return 1;
  MARK(tid, 3);
  const int n = imin(c->rows, CHUNKS * T); /* phase C: chunks of rows */
  for (int k; (k = claim(c, WORK_C)) < n;) {
    int r0, r1;
    split(c->rows, k, n, &r0, &r1);
    rows_forward(c, r0, r1, c->scratch[tid]);
    if (mode == MODE_TRAIN) rows_backward(c, r0, r1, c->scratch[tid]);
  }
  MARK(tid, 4);
  if (mode != MODE_TRAIN) return 0;
  if (barrier(T, tid)) return 1;
  MARK(tid, 5);
  phase_D(c, T, tid);
  MARK(tid, 6);
  if (barrier(T, tid)) return 1;
  MARK(tid, 7);
  phase_E(c, T);
  MARK(tid, 8);
  if (barrier(T, tid)) return 1;
  MARK(tid, 9);
  if (tid == 0) {
    double s = 0;
    for (int i = 0; i < c->rows * c->n; i++) s += c->nll[i];
    io->loss = s / ((double)c->rows * c->n);
    unpack_grads(c, io->grad);
  }
  MARK(tid, 10);
  return 0;
}

/* ---- exports ---- */

EXPORT(thread_run) void thread_run(int tid) {
  const int jid = __atomic_load_n(&ctl[0], __ATOMIC_ACQUIRE);
  if (tid == 0) job_now = jid;
  if (tid >= job.T) return;
  if (job.mode == MODE_SGLD) { /* the loss and gradient, then the SGLD step on them (sgld.h) */
    if (run_call(job.ctx[0], &job.io[0], MODE_TRAIN, tid, job.T) || barrier(job.T, tid) || run_step(&job.io[0], tid, job.T)) goto done;
  } else if (!job.many) {
    if (run_call(job.ctx[0], &job.io[0], job.mode, tid, job.T)) goto done;
  } else
    for (;;) { /* whole calls, taken in turn: the same numbers as one call at a time */
      int i = __atomic_fetch_add(&job.next, 1, __ATOMIC_ACQ_REL);
      if (i >= job.nio) break;
      run_call(job.ctx[tid], &job.io[i], job.mode, 0, 1);
    }
  if (!barrier(job.T, tid) && tid == 0) settle(job.T);
done:
  __atomic_store_n(&thread_done[tid], jid, __ATOMIC_RELEASE);
}

EXPORT(ctl_addr) volatile int *ctl_addr(void) { return ctl; }

EXPORT(alloc_bytes) void *alloc_bytes(int n) { return alloc((unsigned long)n); }

/* the allocation mark, and a return to it (runtime.ts reuses a disposed engine's memory) */
EXPORT(heap_mark) unsigned long heap_mark(void) { return heap_top; }
EXPORT(heap_reset) void heap_reset(unsigned long mark) {
  heap_top = mark;
  job.io = 0, job.io_cap = 0; /* the call descriptors lived above the mark */
}

EXPORT(ctx_new) Ctx *ctx_new(int NL, int H, int d, int dh, int Vocab, int n, int ln, float eps, float scale) {
  if (NL < 1 || NL > MAXL) return 0;
  Ctx *c = (Ctx *)alloc(sizeof(Ctx));
  if (!c) return 0;
  c->NL = NL, c->H = H, c->d = d, c->dh = dh, c->V = Vocab, c->n = n, c->P = 2 * n, c->nctx = 2 * n + 1, c->ln = ln;
  c->eps = eps, c->scale = scale;
  c->dp = r4(d), c->hp = r4(dh), c->HP = H * c->hp, c->T3 = 3 * c->HP, c->Vp = r4(Vocab);
  c->psize = ctx_params_size(c);
  return ctx_alloc_params(c) ? c : 0;
}

EXPORT(ctx_reserve) int ctx_reserve(Ctx *c, int rows, int threads) { return ctx_reserve_rows(c, rows, threads); }
EXPORT(ctx_psize) int ctx_psize(Ctx *c) { return c->psize; }
EXPORT(ctx_combos) int ctx_combos(Ctx *c) { return c->U; }
EXPORT(ctx_nll) float *ctx_nll(Ctx *c) { return c->nll; }
EXPORT(ctx_correct) u8 *ctx_correct(Ctx *c) { return c->correct; }
EXPORT(ctx_abl_on) int *ctx_abl_on(Ctx *c) { return c->abl_on; }
EXPORT(ctx_abl_z) float *ctx_abl_z(Ctx *c) { return c->abl_z; }
EXPORT(ctx_hook) int ctx_hook(Ctx *c, int kind, int L, float *dst) { return hook_copy(c, kind, L, dst); }

/* the call descriptors: io_reserve(n) before io_set(i, …) */
EXPORT(io_reserve) int io_reserve(int n) {
  if (n <= job.io_cap) return 1;
  Io *io = (Io *)alloc((unsigned long)n * sizeof(Io));
  if (!io) return 0;
  job.io = io, job.io_cap = n;
  return 1;
}

EXPORT(io_set) void io_set(int i, const float *params, const u8 *tokens, int rows, float *grad) {
  job.io[i] = (Io){params, tokens, rows, grad, 0};
}

EXPORT(io_loss) double io_loss(int i) { return job.io[i].loss; }

/* the next job: `mode` on io[0 … nio) with T threads; many = 0: all threads on io[0] with ctx 0 */
EXPORT(job_set) void job_set(int mode, int T, int many, int nio) {
  job.mode = mode, job.T = T, job.many = many, job.nio = nio, job.next = 0;
}

/* the SGLD step of the next MODE_SGLD job (sgld.h); parts: [blocks][STEP_SUMS] doubles */
EXPORT(step_set) void step_set(const float *w0, const float *g0, const unsigned *idx, int m, const double *P, const double *Ps, const double *xi, double nbeta, double gamma, double wd, double half, double scale, double *g, double *before, double *parts) {
  step = (Step){w0, g0, idx, m, P, Ps, xi, nbeta, gamma, wd, half, scale, g, before, parts, {0}};
}
EXPORT(step_sum) double step_sum(int j) { return step.sums[j]; }
EXPORT(step_blocks_of) int step_blocks_of(int m) { return step_blocks(m); }
EXPORT(zig_normals) int zig_normals(unsigned *st, unsigned *u, double *out, int n, const double *XS, const double *X, int *slow) { return zig_fast(st, u, out, n, XS, X, slow); }

EXPORT(job_ctx) void job_ctx(int t, Ctx *c) { job.ctx[t] = c; }
