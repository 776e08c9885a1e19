/**
 * Standard normal deviates by the ziggurat method (Marsaglia & Tsang 2000, "The ziggurat method
 * for generating random variables", J. Stat. Softw. 5(8); 256 layers, with Doornik's (2005) fix:
 * the layer index and the uniform come from different bits of the draw).
 *
 * The density f(x) = exp(−x²/2) (unnormalised) is covered by 256 layers of equal area v:
 *   x_1 = R = 3.6541528853610088 (the base layer's right edge; beyond it the tail),
 *   x_{i+1} = sqrt(−2·ln(f(x_i) + v / x_i)), x_256 = 0, and X[0] = v / f(R) (the base layer
 *   drawn as a rectangle of width v / f(R), its part beyond R being the tail).
 * One draw: 32 bits u = xoshiro128** output (Rng.nextU32);
 *   i = u & 255 (the layer), s = bit 8 (the sign), U = (u >>> 9) / 2^23 in [0, 1);
 *   z = U · X[i];  z < X[i+1]  → ±z (the rectangle inside the curve: 98.5% of draws, measured);
 *   i = 0          → ±(R + a) with a = −ln(U1)/R, b = −ln(U2), redrawn until 2b > a² (the tail);
 *   else           → ±z if F[i] + U3·(F[i+1] − F[i]) < f(z) (the wedge), or start over.
 * So z has 23 bits of resolution inside a layer, below float32's 24: the SGLD noise is added
 * to float32 weights. Tables are built once at load from Math.exp/log/sqrt (the same bits in
 * every Node version tested, 18–24: docs/llc.md, "Noise streams").
 *
 * Cost: one generator call and a table lookup per deviate, against two generator calls, a log,
 * a cos and a sin per pair for Box–Muller (Rng.normals): 3–5× cheaper in V8 (0.25–0.37 against
 * 1.0–1.3 ms per 49,684 deviates on the 2-core VM of packages/engine/src/fused/README.md).
 */
import type { Rng } from './rng.ts';

const LAYERS = 256;
const R = 3.6541528853610088;
const AREA = 0.00492867323399;
const TWO_POW_23 = 8388608;

/** X[i]: layer i's right edge (X[0] the base's pseudo-width); F[i] = f(X[i]) */
const X = new Float64Array(LAYERS + 1);
const F = new Float64Array(LAYERS + 1);
/** Xs[i] = X[i] / 2^23: z = (u >>> 9) · Xs[i] */
const XS = new Float64Array(LAYERS);

{
  const f = (x: number) => Math.exp(-0.5 * x * x);
  X[0] = AREA / f(R);
  X[1] = R;
  for (let i = 1; i < LAYERS - 1; i++) X[i + 1] = Math.sqrt(-2 * Math.log(f(X[i]) + AREA / X[i]));
  X[LAYERS] = 0;
  for (let i = 0; i <= LAYERS; i++) F[i] = f(X[i]);
  for (let i = 0; i < LAYERS; i++) XS[i] = X[i] / TWO_POW_23;
}

/** uniform in (0, 1]: never 0, for the logs of the tail */
function openUniform(rng: Rng): number {
  return ((rng.nextU32() >>> 9) + 1) / TWO_POW_23;
}

/** A deviate of the normal tail beyond R (Marsaglia 1964): R + a, a = −ln(U1)/R, kept if −2·ln(U2) > a². */
export function zigguratTail(rng: Rng): number {
  for (;;) {
    const a = -Math.log(openUniform(rng)) / R;
    const b = -Math.log(openUniform(rng));
    if (b + b > a * a) return R + a;
  }
}

/**
 * One deviate after the fast test failed for draw u (layer i): the tail, a wedge, or a new draw.
 * Exported for the fused engine, whose fast path lists these draws for JavaScript to finish.
 */
export function zigguratSlowPath(rng: Rng, u: number): number {
  for (;;) {
    const i = u & 255;
    const z = (u >>> 9) * XS[i];
    if (z < X[i + 1]) return u & 256 ? -z : z;
    if (i === 0) return u & 256 ? -zigguratTail(rng) : zigguratTail(rng);
    const y = F[i] + ((rng.nextU32() >>> 9) / TWO_POW_23) * (F[i + 1] - F[i]);
    if (y < Math.exp(-0.5 * z * z)) return u & 256 ? -z : z;
    u = rng.nextU32();
  }
}

/**
 * Fill `out` with independent standard normal deviates from `rng`'s stream (the ziggurat
 * stream): out.length generator outputs are drawn first (Rng.fillU32), one per deviate, then
 * the few extra ones the tail and wedge tests need, in the order they need them.
 */
export function zigguratNormals(rng: Rng, out: Float64Array | Float32Array): void {
  const n = out.length;
  if (draws.length < n) draws = new Uint32Array(n);
  const us = draws.subarray(0, n);
  rng.fillU32(us);
  for (let k = 0; k < n; k++) {
    const u = us[k];
    const i = u & 255;
    const z = (u >>> 9) * XS[i];
    // the sign without a branch (a random branch mispredicts half the time): bit 8 → ±1
    out[k] = z < X[i + 1] ? z * (1 - ((u >>> 7) & 2)) : zigguratSlowPath(rng, u);
  }
}

/** the draws of one call (reused: a chain draws ~50,000 per step) */
let draws = new Uint32Array(0);

/** The tables, for the tests: layer edges X and f(X) */
export const zigguratTables = { X, F, XS, R, AREA, LAYERS } as const;
