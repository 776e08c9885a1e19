/**
 * The one seeded random-number generator of sortscope.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit state words, so every JavaScript engine
 * produces the same stream. Streams are derived, never shared: `Rng.derive(seed, ...labels)`
 * seeds the state from sha256("sortscope/rng/v1" ‖ seed ‖ labels), so the dataset's train split,
 * its noise, a training run's shuffles and each SGLD chain draw from independent streams and a
 * stream never depends on how many numbers another one consumed. For example
 * `Rng.derive(seed, 'llc', checkpointStep, chain)` is chain `chain`'s stream whatever the number
 * of worker threads.
 */
import { createHash } from 'node:crypto';

const TWO_POW_53 = 9007199254740992;

/** A generator's state (Rng.snapshot), as plain data: it survives structured cloning and JSON. */
export interface RngSnapshot {
  words: [number, number, number, number];
  spare: number | null;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  private constructor(words: Uint32Array) {
    [this.s0, this.s1, this.s2, this.s3] = words;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** An independent stream for (seed, ...labels). */
  static derive(seed: number, ...labels: (string | number)[]): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng.derive: seed must be a safe integer, got ${seed}`);
    const digest = createHash('sha256').update(JSON.stringify(['sortscope/rng/v1', seed, ...labels])).digest();
    return new Rng(new Uint32Array(digest.buffer, digest.byteOffset, 4).slice());
  }

  /** A generator from a raw 128-bit state (for test vectors; use `derive` everywhere else). */
  static fromState(words: [number, number, number, number]): Rng {
    return new Rng(Uint32Array.from(words));
  }

  /**
   * The generator's whole state (the four words and Box–Muller's spare value), so that a stream can
   * be continued in another thread or process: `Rng.restore(r.snapshot())` produces what `r` would.
   */
  snapshot(): RngSnapshot {
    return { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spareNormal };
  }

  /** A generator continuing from a snapshot. */
  static restore(snap: RngSnapshot): Rng {
    const r = new Rng(Uint32Array.from(snap.words));
    r.spareNormal = snap.spare;
    return r;
  }

  /** The four state words into out[at … at + 3] (a generator continued in WebAssembly: the fused engine's ziggurat). */
  saveWords(out: Uint32Array, at = 0): void {
    out[at] = this.s0, out[at + 1] = this.s1, out[at + 2] = this.s2, out[at + 3] = this.s3;
  }

  /** The state words back from words[at … at + 3] (after saveWords and that many outputs drawn elsewhere). */
  loadWords(words: Uint32Array, at = 0): void {
    this.s0 = words[at] | 0, this.s1 = words[at + 1] | 0, this.s2 = words[at + 2] | 0, this.s3 = words[at + 3] | 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** `out.length` successive nextU32() values, bit for bit, with the generator inlined. */
  fillU32(out: Uint32Array): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let k = 0; k < out.length; k++) {
      out[k] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    }
    this.s0 = s0, this.s1 = s1, this.s2 = s2, this.s3 = s3;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  float(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / TWO_POW_53;
  }

  /** Uniform integer in [0, n), unbiased (rejection), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal deviate (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * `out.length` successive normal() values, bit for bit (Box–Muller, the spare value carried
   * over exactly as normal() does), with the generator inlined: ≈ 2× faster than calling normal()
   * (the SGLD chains of the llc stage draw ~50,000 per step from this stream).
   */
  normals(out: Float64Array): void {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.spareNormal !== null) {
      out[i++] = this.spareNormal;
      this.spareNormal = null;
    }
    if (i >= n) return;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const TWO_PI = 2 * Math.PI;
    while (i < n) {
      // u = float() until non-zero; each float() is two nextU32() (as float())
      let u = 0;
      while (u === 0) {
        let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        let t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        const a = r >>> 5;
        r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        u = (a * 67108864 + (r >>> 6)) / TWO_POW_53;
      }
      let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      let t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
      const a = r >>> 5;
      r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
      const v = (a * 67108864 + (r >>> 6)) / TWO_POW_53;
      const rad = Math.sqrt(-2 * Math.log(u));
      out[i++] = rad * Math.cos(TWO_PI * v);
      if (i < n) out[i++] = rad * Math.sin(TWO_PI * v);
      else this.spareNormal = rad * Math.sin(TWO_PI * v);
    }
    this.s0 = s0, this.s1 = s1, this.s2 = s2, this.s3 = s3;
  }

  /**
   * Fill `out` with independent N(0, std²) values: Marsaglia's polar method on 24-bit uniforms
   * with the generator inlined (≈ 4× faster than calling normal(); SGLD draws ~50,000 per step).
   * Its stream differs from repeated normal() calls.
   */
  fillNormal(out: Float32Array | Float64Array, std = 1): void {
    let [s0, s1, s2, s3] = [this.s0, this.s1, this.s2, this.s3];
    const SCALE = 2 / 16777216; // 24-bit integer → [0, 2)
    let i = 0;
    while (i < out.length) {
      let u = 0;
      let v = 0;
      let q = 0;
      do {
        // two xoshiro128** outputs (as nextU32), mapped to (−1, 1)
        let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        let t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        u = ((r >>> 8) + 0.5) * SCALE - 1;
        r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
        v = ((r >>> 8) + 0.5) * SCALE - 1;
        q = u * u + v * v;
      } while (q >= 1);
      const f = std * Math.sqrt((-2 * Math.log(q)) / q);
      out[i++] = u * f;
      if (i < out.length) out[i++] = v * f;
    }
    [this.s0, this.s1, this.s2, this.s3] = [s0, s1, s2, s3];
  }

  /** In-place uniform shuffle (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
