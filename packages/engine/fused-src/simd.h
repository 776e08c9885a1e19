/*
 * WebAssembly SIMD helpers: 4-lane float vectors, a vector exp, a double-precision log and
 * dot products. No libc: everything the engine needs is here.
 *
 * Determinism: there is no fused multiply-add in wasm SIMD (and no scalar fma), so a*b + c is
 * always two roundings, in vector lanes and in scalar code alike; a horizontal sum always adds
 * lanes in the same order. A value therefore does not depend on which code path (4-wide, 8-wide,
 * scalar tail) or which thread computed it.
 */
#pragma once
#include <wasm_simd128.h>

typedef v128_t V;
typedef unsigned char u8;

/* kept out of line: V8 compiles (and tiers up) each wasm function separately, and TurboFan
   allocates registers better in small functions than in one inlined giant */
#define NOINLINE __attribute__((noinline))

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store((p), (v))
#define SPL(p) wasm_v128_load32_splat(p)
#define VS(x) wasm_f32x4_splat(x)
#define VZ wasm_f32x4_splat(0.0f)
#define VMUL wasm_f32x4_mul
#define VADD wasm_f32x4_add
#define VSUB wasm_f32x4_sub
/* a + b·c (two roundings) */
#define VMA(a, b, c) wasm_f32x4_add((a), wasm_f32x4_mul((b), (c)))

/* (l0 + l2) + (l1 + l3) */
static inline float hsum(V v) {
  V s = VADD(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = VADD(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

static inline float hmax(V v) {
  V s = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_max(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

/*
 * e^x per lane (Cephes expf: x = k·ln2 + r, |r| ≤ ln2/2, degree-5 polynomial; ≤ 2 ulp).
 * Only used for x ≤ 0 (softmax of x − max): x < −86 gives exactly 0 (e^−86 ≈ 4e−38), NaN stays NaN.
 */
static inline V vexp(V x) {
  const V lo = VS(-86.0f);
  V under = wasm_f32x4_lt(x, lo);
  x = wasm_f32x4_min(wasm_f32x4_max(x, lo), VS(88.0f));
  V k = wasm_f32x4_nearest(VMUL(x, VS(1.44269504088896341f)));
  V r = VSUB(x, VMUL(k, VS(0.693359375f)));
  r = VSUB(r, VMUL(k, VS(-2.12194440e-4f)));
  V r2 = VMUL(r, r);
  V p = VS(1.9875691500e-4f);
  p = VMA(VS(1.3981999507e-3f), p, r);
  p = VMA(VS(8.3334519073e-3f), p, r);
  p = VMA(VS(4.1665795894e-2f), p, r);
  p = VMA(VS(1.6666665459e-1f), p, r);
  p = VMA(VS(5.0000001201e-1f), p, r);
  p = VADD(VADD(VMUL(p, r2), r), VS(1.0f));
  V e = wasm_i32x4_shl(wasm_i32x4_trunc_sat_f32x4(k), 23);
  return wasm_v128_andnot(wasm_i32x4_add(p, e), under);
}

/* natural log in double precision for x ≥ 1 (a softmax denominator); inf and NaN pass through */
static inline double logd(double x) {
  if (!(x < 1e308)) return x;
  union { double d; unsigned long long u; } v = {x};
  int e = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL; /* m in [1, 2) */
  double m = v.d;
  if (m > 1.4142135623730951) { m *= 0.5; e++; }
  double s = (m - 1) / (m + 1), s2 = s * s; /* log m = 2·atanh(s), |s| ≤ 0.172 */
  double t = 1.0 / 15;
  t = t * s2 + 1.0 / 13;
  t = t * s2 + 1.0 / 11;
  t = t * s2 + 1.0 / 9;
  t = t * s2 + 1.0 / 7;
  t = t * s2 + 1.0 / 5;
  t = t * s2 + 1.0 / 3;
  t = t * s2 + 1.0;
  return 2 * s * t + e * 0.69314718055994530942;
}

/* Σ a[c]·b[c] over n (a multiple of 4) */
static inline float dot(const float *a, const float *b, int n) {
  V s = VZ;
  for (int c = 0; c < n; c += 4) s = VMA(s, LD(a + c), LD(b + c));
  return hsum(s);
}

/* four dot products of q with k0..k3 (each bitwise equal to dot(q, kj, n)) */
static inline void dot4(const float *q, const float *k0, const float *k1, const float *k2, const float *k3, int n, float *out) {
  V s0 = VZ, s1 = VZ, s2 = VZ, s3 = VZ;
  for (int c = 0; c < n; c += 4) {
    V qv = LD(q + c);
    s0 = VMA(s0, qv, LD(k0 + c));
    s1 = VMA(s1, qv, LD(k1 + c));
    s2 = VMA(s2, qv, LD(k2 + c));
    s3 = VMA(s3, qv, LD(k3 + c));
  }
  out[0] = hsum(s0);
  out[1] = hsum(s1);
  out[2] = hsum(s2);
  out[3] = hsum(s3);
}

/* y[c] += a·x[c] over n (a multiple of 4) */
static inline void axpy(float *y, float a, const float *x, int n) {
  V av = VS(a);
  for (int c = 0; c < n; c += 4) ST(y + c, VMA(LD(y + c), av, LD(x + c)));
}

/*
 * Flush |x| < 2^-63 (≈ 1.1e-19) to 0. WebAssembly has no flush-to-zero mode, and x86 computes
 * with subnormal operands or results up to 100× slower; trained checkpoints have weights that
 * weight decay drove to 1e-21 … 1e-26 ("dead" dimensions), whose products are subnormal. With
 * every parameter and softmax output either 0 or ≥ 2^-63, products of two of them are ≥ 2^-126,
 * the smallest normal float. The change to any result is far below float32 resolution.
 * NaN and ±Inf pass unchanged (|NaN| < TINY is false), so a non-finite input stays visible.
 */
#define TINY 1.0842021724855044e-19f
static inline V vflush(V x) { return wasm_v128_andnot(x, wasm_f32x4_lt(wasm_f32x4_abs(x), VS(TINY))); }

static inline void flush_tiny(float *x, int n) {
  int c = 0;
  for (; c + 4 <= n; c += 4) ST(x + c, vflush(LD(x + c)));
  for (; c < n; c++) x[c] = (x[c] < TINY && x[c] > -TINY) ? 0.0f : x[c];
}

static inline void vzero(float *y, int n) {
  for (int c = 0; c < n; c += 4) ST(y + c, VZ);
}

static inline void vcopy(float *y, const float *x, int n) {
  for (int c = 0; c < n; c += 4) ST(y + c, LD(x + c));
}

static inline void vadd_to(float *y, const float *a, const float *b, int n) {
  for (int c = 0; c < n; c += 4) ST(y + c, VADD(LD(a + c), LD(b + c)));
}

static inline void vacc(float *y, const float *x, int n) {
  for (int c = 0; c < n; c += 4) ST(y + c, VADD(LD(y + c), LD(x + c)));
}
