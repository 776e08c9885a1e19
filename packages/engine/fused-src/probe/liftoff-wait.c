/*
 * The smallest reproduction of the V8 baseline-compiler (Liftoff) defect behind the fused engine's
 * race (../../src/fused/README.md, "The race"): Liftoff in V8 11.3 (Node 20) spills the 64-bit
 * address of memory.atomic.wait32 with an 8-byte store into a 4-byte stack slot, overwriting the
 * neighbouring slot. Here that slot is the loop counter, so after a timed-out wait `i` is 0 again
 * and probe_inline never returns; probe_leaf keeps the wait in a function of its own, as the
 * engine now does, and returns g. Built by ../build.sh into liftoff-wait.wasm; run by
 * liftoff-wait.mjs.
 */
#define EXPORT(name) __attribute__((export_name(#name)))
static volatile int word;

EXPORT(probe_inline) int probe_inline(int g, int rounds) {
  for (int i = 0; i < rounds; i++) {
    if (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != g) return -1 - i;
    __builtin_wasm_memory_atomic_wait32((int *)&word, g, 1000LL); /* times out after 1 µs */
  }
  return g;
}

__attribute__((noinline)) static void wait_leaf(int g) { __builtin_wasm_memory_atomic_wait32((int *)&word, g, 1000LL); }

EXPORT(probe_leaf) int probe_leaf(int g, int rounds) {
  for (int i = 0; i < rounds; i++) {
    if (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != g) return -1 - i;
    wait_leaf(g);
  }
  return g;
}

EXPORT(set_word) void set_word(int v) { word = v; }
