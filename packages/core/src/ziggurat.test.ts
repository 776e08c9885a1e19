import { describe, expect, it } from 'vitest';
import { Rng } from './rng.ts';
import { zigguratNormals, zigguratTables, zigguratTail } from './ziggurat.ts';

/** Φ on a grid t[0] < … < t[m−1] (t[0] far in the left tail): cumulative Simpson of the density */
function normalCdfOnGrid(t: Float64Array): Float64Array {
  const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  const out = new Float64Array(t.length);
  let acc = 0; // Φ(−8) ≈ 6e-16
  for (let j = 1; j < t.length; j++) {
    const a = t[j - 1], b = t[j];
    acc += ((b - a) / 6) * (phi(a) + 4 * phi((a + b) / 2) + phi(b));
    out[j] = acc;
  }
  return out;
}

describe('zigguratNormals', () => {
  it('has layers of equal area v from x_1 = R down to x_256 = 0', () => {
    const { X, F, R, AREA, LAYERS } = zigguratTables;
    expect(X[1]).toBe(R);
    expect(X[LAYERS]).toBe(0);
    expect(F[LAYERS]).toBe(1);
    expect(X[0] * F[1]).toBeCloseTo(AREA, 15); // the base rectangle (its part beyond R is the tail)
    for (let i = 1; i < LAYERS; i++) {
      expect(X[i]).toBeGreaterThan(X[i + 1]);
      expect(Math.abs(X[i] * (F[i + 1] - F[i]) - AREA) / AREA).toBeLessThan(1e-9);
    }
    // base = rectangle [0, R] × [0, f(R)] + the tail ∫_R^∞ f: also v
    const tail = tailIntegral(R);
    expect(Math.abs(R * F[1] + tail - AREA) / AREA).toBeLessThan(1e-6);
  });

  it('draws N(0, 1): mean, variance, Kolmogorov–Smirnov distance, tails beyond R and 4.5', () => {
    const n = 2_000_000;
    const z = new Float64Array(n);
    const rng = Rng.derive(2024, 'ziggurat-test');
    for (let k = 0; k < n; k += 100_000) zigguratNormals(rng, z.subarray(k, k + 100_000));
    let s = 0, s2 = 0, s4 = 0, beyondR = 0, beyond45 = 0, negative = 0;
    for (const x of z) {
      s += x, s2 += x * x, s4 += x ** 4;
      if (Math.abs(x) > zigguratTables.R) beyondR++;
      if (Math.abs(x) > 4.5) beyond45++;
      if (x < 0) negative++;
    }
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n)); // Var(x⁴) = 105 − 9
    expect(Math.abs(negative - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    // P(|z| > R) = 2.58e-4, P(|z| > 4.5) = 6.8e-6: counts within 5 Poisson σ
    const pR = 2 * 1.2904786e-4, p45 = 2 * 3.3976731e-6;
    expect(Math.abs(beyondR - n * pR)).toBeLessThan(5 * Math.sqrt(n * pR));
    expect(Math.abs(beyond45 - n * p45)).toBeLessThan(5 * Math.sqrt(n * p45) + 1);
    // KS on a grid of 4,801 points in [−6, 6] (spacing 0.0025, finer than the layers' widths)
    const sorted = z.slice().sort();
    const m = 4801;
    const t = new Float64Array(m + 1);
    t[0] = -8;
    for (let j = 1; j <= m; j++) t[j] = -6 + (12 * (j - 1)) / (m - 1);
    const cdf = normalCdfOnGrid(t);
    let d = 0, idx = 0;
    for (let j = 1; j <= m; j++) {
      while (idx < n && sorted[idx] <= t[j]) idx++;
      d = Math.max(d, Math.abs(idx / n - cdf[j]));
    }
    expect(d).toBeLessThan(1.95 / Math.sqrt(n)); // the 0.1% critical value
  });

  it('draws the tail beyond R from the normal density conditioned on z > R (KS, 200,000 draws)', () => {
    const { R } = zigguratTables;
    const n = 200_000;
    const rng = Rng.derive(5, 'tail');
    const z = new Float64Array(n);
    for (let k = 0; k < n; k++) z[k] = zigguratTail(rng);
    z.sort();
    expect(z[0]).toBeGreaterThanOrEqual(R);
    // P(z ≤ R + t | z > R) = 1 − Q(R + t) / Q(R) on t = 0 … 2.5
    const qR = tailIntegral(R);
    let d = 0, idx = 0;
    for (let j = 1; j <= 250; j++) {
      const x = R + j / 100;
      while (idx < n && z[idx] <= x) idx++;
      d = Math.max(d, Math.abs(idx / n - (1 - tailIntegral(x) / qR)));
    }
    expect(d).toBeLessThan(1.95 / Math.sqrt(n));
  });

  it('is deterministic and pins its stream (a change here changes every LLC of noise_stream ziggurat)', () => {
    const a = new Float64Array(1000);
    const b = new Float64Array(1000);
    zigguratNormals(Rng.derive(7, 'chain'), a);
    zigguratNormals(Rng.derive(7, 'chain'), b);
    expect(a).toEqual(b);
    expect(Array.from(a.subarray(0, 4), (x) => x.toPrecision(12))).toEqual(GOLDEN);
    const f32 = new Float32Array(1000);
    zigguratNormals(Rng.derive(7, 'chain'), f32);
    expect(f32).toEqual(Float32Array.from(a));
  });
});

describe('Rng.fillU32', () => {
  it('gives exactly the values of successive nextU32() calls', () => {
    const a = Rng.derive(3, 'u');
    const b = Rng.derive(3, 'u');
    const out = new Uint32Array(1001);
    a.fillU32(out);
    for (let k = 0; k < out.length; k++) expect(out[k]).toBe(b.nextU32());
    expect(a.nextU32()).toBe(b.nextU32());
  });
});

/** ∫_x^∞ exp(−t²/2) dt, by Simpson on [x, x + 12] */
function tailIntegral(x: number): number {
  const steps = 20_000, h = 12 / steps;
  let s = 0;
  for (let k = 0; k <= steps; k++) {
    const w = k === 0 || k === steps ? 1 : k % 2 ? 4 : 2;
    s += w * Math.exp(-0.5 * (x + k * h) ** 2);
  }
  return (s * h) / 3;
}

const GOLDEN = ['-0.274866689477', '0.616851643745', '-0.0385594371207', '-0.0474587900229'];
