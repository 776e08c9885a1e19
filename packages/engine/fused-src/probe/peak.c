/*
 * Peak arithmetic throughput of WebAssembly SIMD on one core (not part of the engine; built by
 * build-peak.sh into peak.wasm and peak-relaxed.wasm, run by ../../src/fused/peak.ts).
 *
 *   mul_add_N(iters)   N independent f32x4 accumulators, acc = acc·b + c (f32x4.mul then
 *                      f32x4.add): iters·N·8 FLOP. Each chain is mul → add (latency ~6 cycles
 *                      on Zen), so N must cover latency × (mul + add pipes); N = 16 exceeds the
 *                      15 xmm registers V8 allocates on x64 and spills.
 *   tile_4x8(iters)    the inner loop of gemm.h's 4×8 tile (2 vector loads, 4 splat loads,
 *                      8 mul + 8 add per step) over a 64 × 8 panel kept in L1: iters·64·64 FLOP.
 *                      What the engine's matrix kernel can reach at best, loads included.
 *   madd_N(iters)      (RELAXED only) acc = relaxed_madd(acc, b, c), fused on x86 with FMA3:
 *                      iters·N·8 FLOP.
 *
 * Nothing can be folded: b, c and the accumulators' initial values are read from buf, whose
 * address escapes (buf_addr), and every accumulator is stored back to buf; the loop count is an
 * argument. Without fast-math clang may not reassociate float adds, so every chain stays.
 * With b = c = 0.5 and acc = 1 every value stays exactly 1 (no subnormals, no overflow).
 *
 * clang 14 knows relaxed SIMD only in its 2021 prototype form: __builtin_wasm_fma_f32x4 is
 * encoded as opcode 0xfd 0xaf 0x01 ("f32x4.fma"), which V8 no longer accepts; build-peak.sh
 * rewrites those instructions to f32x4.relaxed_madd (0xfd 0x85 0x02, same length), whose
 * semantics are a·b + c for the operands in stack order, i.e. madd(acc, b, c) = acc·b + c.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
typedef v128_t V;

/* [0..3] b, [4..7] c, [8 …) accumulators (up to 16 vectors), [128 …) the tile's A and B panels */
static float buf[128 + 64 * 4 + 64 * 8 + 32] __attribute__((aligned(16)));

EXPORT(buf_addr) float *buf_addr(void) { return buf; }
EXPORT(buf_len) int buf_len(void) { return sizeof buf / sizeof buf[0]; }

#define LD(i) wasm_v128_load(buf + (i))
#define ST(i, v) wasm_v128_store(buf + (i), (v))

#define DECL(i) V a##i = LD(8 + 4 * (i));
#define STEP_MA(i) a##i = wasm_f32x4_add(wasm_f32x4_mul(a##i, b), c);
#define STORE(i) ST(8 + 4 * (i), a##i);

#define MUL_ADD(N, ...)                                        \
  EXPORT(mul_add_##N) void mul_add_##N(int iters) {            \
    const V b = LD(0), c = LD(4);                              \
    __VA_ARGS__(DECL)                                          \
    for (int k = 0; k < iters; k++) { __VA_ARGS__(STEP_MA) }   \
    __VA_ARGS__(STORE)                                         \
  }

#define ACC4(M) M(0) M(1) M(2) M(3)
#define ACC8(M) ACC4(M) M(4) M(5) M(6) M(7)
#define ACC12(M) ACC8(M) M(8) M(9) M(10) M(11)
#define ACC16(M) ACC12(M) M(12) M(13) M(14) M(15)

MUL_ADD(4, ACC4)
MUL_ADD(8, ACC8)
MUL_ADD(12, ACC12)
MUL_ADD(16, ACC16)

/* gemm.h's nn_4x8 inner loop: C[4, 8] += A[4, 64]ᵀ-panel · B[64, 8], iters passes over k < 64 */
EXPORT(tile_4x8) void tile_4x8(int iters) {
  const float *A = buf + 128, *Bm = buf + 128 + 64 * 4;
  V x00 = LD(8), x01 = LD(12), x10 = LD(16), x11 = LD(20), x20 = LD(24), x21 = LD(28), x30 = LD(32), x31 = LD(36);
  for (int it = 0; it < iters; it++) {
    const float *a = A, *b = Bm;
    for (int k = 0; k < 64; k++, a += 4, b += 8) {
      V b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4), s;
      s = wasm_v128_load32_splat(a + 0), x00 = wasm_f32x4_add(x00, wasm_f32x4_mul(s, b0)), x01 = wasm_f32x4_add(x01, wasm_f32x4_mul(s, b1));
      s = wasm_v128_load32_splat(a + 1), x10 = wasm_f32x4_add(x10, wasm_f32x4_mul(s, b0)), x11 = wasm_f32x4_add(x11, wasm_f32x4_mul(s, b1));
      s = wasm_v128_load32_splat(a + 2), x20 = wasm_f32x4_add(x20, wasm_f32x4_mul(s, b0)), x21 = wasm_f32x4_add(x21, wasm_f32x4_mul(s, b1));
      s = wasm_v128_load32_splat(a + 3), x30 = wasm_f32x4_add(x30, wasm_f32x4_mul(s, b0)), x31 = wasm_f32x4_add(x31, wasm_f32x4_mul(s, b1));
    }
  }
  ST(8, x00), ST(12, x01), ST(16, x10), ST(20, x11), ST(24, x20), ST(28, x21), ST(32, x30), ST(36, x31);
}

#ifdef RELAXED
typedef float f4 __attribute__((vector_size(16)));
/* relaxed_madd after build-peak.sh's rewrite: x·y + z */
#define MADD(x, y, z) ((V)__builtin_wasm_fma_f32x4((f4)(x), (f4)(y), (f4)(z)))
#define STEP_MADD(i) a##i = MADD(a##i, b, c);

#define MADD_K(N, ...)                                         \
  EXPORT(madd_##N) void madd_##N(int iters) {                  \
    const V b = LD(0), c = LD(4);                              \
    __VA_ARGS__(DECL)                                          \
    for (int k = 0; k < iters; k++) { __VA_ARGS__(STEP_MADD) } \
    __VA_ARGS__(STORE)                                         \
  }

MADD_K(4, ACC4)
MADD_K(8, ACC8)
MADD_K(12, ACC12)
MADD_K(16, ACC16)

/* buf[8..11] = madd(buf[8..11], buf[0..3], buf[4..7]): peak.ts checks the semantics (x·y + z) */
EXPORT(madd_check) void madd_check(void) { ST(8, MADD(LD(8), LD(0), LD(4))); }
#endif
