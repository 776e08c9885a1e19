/*
 * Native reference for peak.c (not WebAssembly): the same register-bound kernels in x86 SIMD, to
 * put the wasm numbers in context. Compiled by ../../src/fused/peak.ts at measure time:
 *
 *   gcc -O3 -mavx2 -mfma -ffp-contract=off -pthread -o peak-native peak-native.c
 *   ./peak-native SECONDS_PER_REP REPS THREADS   → one JSON line per kernel
 *
 * Kernels (N independent accumulators; acc·b + c with b = c = 0.5, acc = 1 stays 1):
 *   fma256_N     _mm256_fmadd_ps              16 FLOP per instruction (AVX2 FMA peak)
 *   muladd256_N  _mm256_mul_ps + _mm256_add_ps 16 FLOP per pair
 *   muladd128_N  _mm_mul_ps + _mm_add_ps       8 FLOP per pair (what wasm's f32x4 mul + add maps to)
 * -ffp-contract=off keeps gcc from fusing the mul + add kernels into FMAs. Inputs come from
 * arrays filled at run time (behind a compiler barrier) and results go to a volatile sink, so
 * nothing is folded; accumulators are named variables (gcc kept an array of them in memory).
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* filled in main; the empty asm with a memory clobber keeps gcc from assuming their contents */
float in[8], one[16 * 8];
static volatile float sink[8];

#define LOAD8(p) _mm256_loadu_ps(p)
#define LOAD4(p) _mm_loadu_ps(p)

#define ACC8(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
#define ACC12(M) ACC8(M) M(8) M(9) M(10) M(11)
#define ACC16(M) ACC12(M) M(12) M(13) M(14) M(15)

/* one kernel: named accumulators a0 … a(N−1) (an array would be kept in memory by gcc) */
#define KERNEL(name, LIST, T, LOAD, STEP, ADD)                 \
  static void name(long iters) {                               \
    __asm__ volatile("" ::: "memory");                         \
    const T b = LOAD(in), c = LOAD(in);                        \
    LIST(DECL_##T)                                             \
    for (long k = 0; k < iters; k++) { LIST(STEP) }            \
    T s = a0;                                                  \
    LIST(SUM_##ADD)                                            \
    float o[8];                                                \
    memcpy(o, &s, sizeof s);                                   \
    sink[0] = o[0];                                            \
  }
#define DECL___m256(i) __m256 a##i = LOAD8(one + 8 * (i));
#define DECL___m128(i) __m128 a##i = LOAD4(one + 8 * (i));
#define SUM__mm256_add_ps(i) s = _mm256_add_ps(s, a##i);
#define SUM__mm_add_ps(i) s = _mm_add_ps(s, a##i);
#define FMA256(i) a##i = _mm256_fmadd_ps(a##i, b, c);
#define MA256(i) a##i = _mm256_add_ps(_mm256_mul_ps(a##i, b), c);
#define MA128(i) a##i = _mm_add_ps(_mm_mul_ps(a##i, b), c);
KERNEL(fma256_8, ACC8, __m256, LOAD8, FMA256, _mm256_add_ps)
KERNEL(fma256_12, ACC12, __m256, LOAD8, FMA256, _mm256_add_ps)
KERNEL(muladd256_8, ACC8, __m256, LOAD8, MA256, _mm256_add_ps)
KERNEL(muladd256_12, ACC12, __m256, LOAD8, MA256, _mm256_add_ps)
KERNEL(muladd128_8, ACC8, __m128, LOAD4, MA128, _mm_add_ps)
KERNEL(muladd128_12, ACC12, __m128, LOAD4, MA128, _mm_add_ps)

typedef struct {
  const char *name;
  void (*fn)(long);
  int flop_per_iter;
} Kernel;

static const Kernel kernels[] = {
    {"fma256_8", fma256_8, 8 * 16},         {"fma256_12", fma256_12, 12 * 16},
    {"muladd256_8", muladd256_8, 8 * 16},   {"muladd256_12", muladd256_12, 12 * 16},
    {"muladd128_8", muladd128_8, 8 * 8},    {"muladd128_12", muladd128_12, 12 * 8},
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static pthread_barrier_t bar;
static const Kernel *cur;
static long cur_iters;

static void *worker(void *arg) {
  double *elapsed = arg;
  pthread_barrier_wait(&bar);
  double t = now();
  cur->fn(cur_iters);
  *elapsed = now() - t;
  pthread_barrier_wait(&bar);
  return 0;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 0.1;
  int reps = argc > 2 ? atoi(argv[2]) : 7, T = argc > 3 ? atoi(argv[3]) : 1;
  if (reps < 1 || reps > 100 || T < 1 || T > 64) return 2;
  for (int i = 0; i < 8; i++) in[i] = 0.5f;
  for (int i = 0; i < 16 * 8; i++) one[i] = 1.0f;
  for (size_t q = 0; q < sizeof kernels / sizeof kernels[0]; q++) {
    const Kernel *k = &kernels[q];
    long iters = 1000;
    for (;;) { /* calibrate on one thread: about secs per rep */
      double t = now();
      k->fn(iters);
      t = now() - t;
      if (t > secs / 4) {
        iters = (long)(iters * secs / t);
        break;
      }
      iters *= 4;
    }
    double g[100];
    for (int r = 0; r < reps; r++) {
      pthread_t th[64];
      double el[64];
      cur = k, cur_iters = iters;
      pthread_barrier_init(&bar, 0, T + 1);
      for (int t = 0; t < T; t++) pthread_create(&th[t], 0, worker, &el[t]);
      pthread_barrier_wait(&bar);
      double t0 = now();
      pthread_barrier_wait(&bar);
      double wall = now() - t0;
      for (int t = 0; t < T; t++) pthread_join(th[t], 0);
      pthread_barrier_destroy(&bar);
      (void)el;
      g[r] = (double)iters * k->flop_per_iter * T / wall / 1e9;
    }
    qsort(g, reps, sizeof g[0], cmp);
    printf("{\"kernel\":\"%s\",\"threads\":%d,\"iters\":%ld,\"best\":%.3f,\"median\":%.3f}\n", k->name, T, iters, g[reps - 1],
           g[(reps - 1) / 2]);
  }
  return 0;
}
