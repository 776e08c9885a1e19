/*
 * The two matrix products of the engine, on row-major float32 with every N a multiple of 4
 * (the engine pads d_model, d_head·n_heads and d_vocab to multiples of 4 with zeros):
 *
 *   gemm_nn:  C[m, :] = bias + Σ_k A[m, k]·B[k, :]      (or C[m, :] += … with accum)
 *   gemm_tn:  C[k, n] = Σ_m A[m, k]·B[m, n]             (weight gradients; n in [n0, n1))
 *
 * Register blocking 4 rows × 8 columns (8 accumulators, 2 B vectors, 1 broadcast A value: it
 * measured 39 GFLOP/s per core on this machine's V8, against 22–27 for 4×12, 4×16, 6×8, 8×8);
 * B is small (a weight matrix, ≤ 1.3 MB for d_model 1024) and read in place. gemm_tn walks m in
 * blocks of 64 rows so that both A and B blocks stay in L1/L2 across the output tiles.
 *
 * Rows of A and C (gemm_nn) or of A and B (gemm_tn) are addressed through a RowMap:
 * row(m) = (m / grp)·gs + go + m % grp, e.g. "the n scored positions of each sequence"
 * (grp = n, gs = 2n, go = n); CONTIG is row(m) = m.
 *
 * Every output element is a sequential sum over k (or m) in increasing order into one
 * accumulator lane, whatever the tile shape: results do not depend on how the work is split.
 */
#pragma once
#include "simd.h"

typedef struct {
  int grp, gs, go;
} RowMap;

static const RowMap CONTIG = {1, 1, 0};

/* advance a row offset by one step of the map (rem counts the position inside the group) */
#define ROW_NEXT(off, rem, rm) ((++(rem) == (rm).grp) ? ((rem) = 0, (off) += (rm).gs - (rm).grp + 1) : ((off) += 1))

static inline void nn_4x8(int K, const float *a0, const float *a1, const float *a2, const float *a3, const float *b, int ldb,
                          float *c0, float *c1, float *c2, float *c3, const float *bias, int accum) {
  V x00, x01, x10, x11, x20, x21, x30, x31;
  if (accum) {
    x00 = LD(c0), x01 = LD(c0 + 4), x10 = LD(c1), x11 = LD(c1 + 4);
    x20 = LD(c2), x21 = LD(c2 + 4), x30 = LD(c3), x31 = LD(c3 + 4);
  } else if (bias) {
    x00 = x10 = x20 = x30 = LD(bias);
    x01 = x11 = x21 = x31 = LD(bias + 4);
  } else {
    x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = VZ;
  }
  for (int k = 0; k < K; k++, b += ldb) {
    V b0 = LD(b), b1 = LD(b + 4), a;
    a = SPL(a0 + k), x00 = VMA(x00, a, b0), x01 = VMA(x01, a, b1);
    a = SPL(a1 + k), x10 = VMA(x10, a, b0), x11 = VMA(x11, a, b1);
    a = SPL(a2 + k), x20 = VMA(x20, a, b0), x21 = VMA(x21, a, b1);
    a = SPL(a3 + k), x30 = VMA(x30, a, b0), x31 = VMA(x31, a, b1);
  }
  ST(c0, x00), ST(c0 + 4, x01), ST(c1, x10), ST(c1 + 4, x11);
  ST(c2, x20), ST(c2 + 4, x21), ST(c3, x30), ST(c3 + 4, x31);
}

static inline void nn_4x4(int K, const float *a0, const float *a1, const float *a2, const float *a3, const float *b, int ldb,
                          float *c0, float *c1, float *c2, float *c3, const float *bias, int accum) {
  V x0, x1, x2, x3;
  if (accum) x0 = LD(c0), x1 = LD(c1), x2 = LD(c2), x3 = LD(c3);
  else if (bias) x0 = x1 = x2 = x3 = LD(bias);
  else x0 = x1 = x2 = x3 = VZ;
  for (int k = 0; k < K; k++, b += ldb) {
    V b0 = LD(b);
    x0 = VMA(x0, SPL(a0 + k), b0);
    x1 = VMA(x1, SPL(a1 + k), b0);
    x2 = VMA(x2, SPL(a2 + k), b0);
    x3 = VMA(x3, SPL(a3 + k), b0);
  }
  ST(c0, x0), ST(c1, x1), ST(c2, x2), ST(c3, x3);
}

static inline void nn_1x4(int K, const float *a0, const float *b, int ldb, float *c0, const float *bias, int accum) {
  V x0 = accum ? LD(c0) : bias ? LD(bias) : VZ;
  for (int k = 0; k < K; k++, b += ldb) x0 = VMA(x0, SPL(a0 + k), LD(b));
  ST(c0, x0);
}

/* C[row(m), 0:N] = (accum ? C : bias or 0) + Σ_k A[row(m), k]·B[k, 0:N],  m < M, N % 4 == 0 */
NOINLINE static void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc, const float *bias, int accum,
                    RowMap rm) {
  int off = rm.go, rem = 0, m = 0;
  for (; m + 4 <= M; m += 4) {
    int o0 = off;
    ROW_NEXT(off, rem, rm);
    int o1 = off;
    ROW_NEXT(off, rem, rm);
    int o2 = off;
    ROW_NEXT(off, rem, rm);
    int o3 = off;
    ROW_NEXT(off, rem, rm);
    const float *a0 = A + o0 * lda, *a1 = A + o1 * lda, *a2 = A + o2 * lda, *a3 = A + o3 * lda;
    float *c0 = C + o0 * ldc, *c1 = C + o1 * ldc, *c2 = C + o2 * ldc, *c3 = C + o3 * ldc;
    int n = 0;
    for (; n + 8 <= N; n += 8) nn_4x8(K, a0, a1, a2, a3, B + n, ldb, c0 + n, c1 + n, c2 + n, c3 + n, bias ? bias + n : 0, accum);
    for (; n < N; n += 4) nn_4x4(K, a0, a1, a2, a3, B + n, ldb, c0 + n, c1 + n, c2 + n, c3 + n, bias ? bias + n : 0, accum);
  }
  for (; m < M; m++) {
    const float *a0 = A + off * lda;
    float *c0 = C + off * ldc;
    for (int n = 0; n < N; n += 4) nn_1x4(K, a0, B + n, ldb, c0 + n, bias ? bias + n : 0, accum);
    ROW_NEXT(off, rem, rm);
  }
}

/*
 * One 4×(4·NV) tile of C += over ng groups of g rows: A and B advance by lda / ldb inside a
 * group and by one more jump between groups (pointer increments only: few live scalars).
 */
#define TN_TILE(NV)                                                                                                   \
  static inline void tn_4x##NV(const float *a, int lda, int ja, const float *b, int ldb, int jb, int g, int ng, float *C, \
                               int ldc, int first) {                                                                  \
    V x[4][NV];                                                                                                       \
    for (int i = 0; i < 4; i++)                                                                                       \
      for (int j = 0; j < NV; j++) x[i][j] = first ? VZ : LD(C + i * ldc + 4 * j);                                   \
    for (int q = 0; q < ng; q++, a += ja, b += jb)                                                                    \
      for (int m = 0; m < g; m++, a += lda, b += ldb) {                                                               \
        V bv[NV];                                                                                                     \
        for (int j = 0; j < NV; j++) bv[j] = LD(b + 4 * j);                                                           \
        for (int i = 0; i < 4; i++) {                                                                                 \
          V av = SPL(a + i);                                                                                          \
          for (int j = 0; j < NV; j++) x[i][j] = VMA(x[i][j], av, bv[j]);                                             \
        }                                                                                                             \
      }                                                                                                               \
    for (int i = 0; i < 4; i++)                                                                                       \
      for (int j = 0; j < NV; j++) ST(C + i * ldc + 4 * j, x[i][j]);                                                 \
  }
TN_TILE(2)
TN_TILE(1)

/*
 * C[k, n] = Σ_{m < M} A[row(m), k]·B[row(m), n] for k < Ko (a multiple of 4), n0 ≤ n < n1
 * (multiples of 4); M a multiple of rm.grp. Rows are taken in blocks of whole groups of about
 * 64 rows. An empty M writes zeros.
 */
NOINLINE static void gemm_tn(int Ko, int n0, int n1, int M, const float *A, int lda, const float *B, int ldb, float *C,
                                              int ldc, RowMap rm) {
  if (n0 >= n1) return;
  if (M == 0) {
    for (int k = 0; k < Ko; k++) vzero(C + k * ldc + n0, n1 - n0);
    return;
  }
  const int contig = rm.grp == 1 && rm.gs == 1;
  const int g = contig ? 64 : rm.grp;                      /* rows per group */
  const int gpb = contig ? 1 : imax(1, 64 / rm.grp);       /* groups per block */
  const int jump = contig ? 0 : rm.gs - rm.grp;            /* rows skipped between groups */
  const int first_row = contig ? 0 : rm.go;
  for (int m0 = 0; m0 < M; m0 += g * gpb) {
    int rows = imin(g * gpb, M - m0), gg = contig ? rows : g, ng = contig ? 1 : rows / g;
    int r = contig ? m0 : (m0 / rm.grp) * rm.gs + first_row; /* first row of the block */
    const float *a = A + r * lda, *b = B + r * ldb;
    for (int k = 0; k < Ko; k += 4) {
      int n = n0;
      for (; n + 8 <= n1; n += 8) tn_4x2(a + k, lda, jump * lda, b + n, ldb, jump * ldb, gg, ng, C + k * ldc + n, ldc, m0 == 0);
      for (; n < n1; n += 4) tn_4x1(a + k, lda, jump * lda, b + n, ldb, jump * ldb, gg, ng, C + k * ldc + n, ldc, m0 == 0);
    }
  }
}

/* out[n] = Σ_{m < M} A[row(m), n] for n0 ≤ n < n1 (multiples of 4) */
NOINLINE static void colsum(int n0, int n1, int M, const float *A, int lda, float *out, RowMap rm) {
  for (int n = n0; n < n1; n += 4) {
    V s = VZ;
    int off = rm.go, rem = 0;
    for (int m = 0; m < M; m++) {
      s = VADD(s, LD(A + off * lda + n));
      ROW_NEXT(off, rem, rm);
    }
    ST(out + n, s);
  }
}
