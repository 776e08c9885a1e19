import { describe, expect, it } from 'vitest';
import { newtonSolve } from './decrement.ts';
import { RELAX_ITERATIONS, RELAX_TOLERANCE, relax, type RelaxOps } from './relax.ts';
import { estimatorOptions, LlcConfigSchema } from './schema.ts';

/** A separable loss L(w) = Σ_i f(w_i − m_i) with its derivatives; index i of w is coordinate i. */
function separable(m: number[], f: (x: number) => number, df: (x: number) => number, d2f: (x: number) => number, nbeta: number, gamma: number, indices: Uint32Array): RelaxOps {
  const at = (w: Float32Array, j: number) => w[indices[j]] - m[j];
  return {
    full: async (w) => ({ loss: m.reduce((s, _, j) => s + f(at(w, j)), 0), grad: Float64Array.from(m, (_, j) => df(at(w, j))) }),
    loss: async (w) => m.reduce((s, _, j) => s + f(at(w, j)), 0),
    solve: async (w, b) => newtonSolve(b, (v) => Float64Array.from(v, (x, j) => d2f(at(w, j)) * x), nbeta, gamma, { tolerance: 1e-12, iterations: 100 }),
  };
}

describe('relax: the minimum of U = nβ·L + γ/2·‖w − w0‖² near w0', () => {
  const nbeta = 1000;
  const gamma = 200;
  // coordinate 0 is not sampled: it must not move
  const indices = Uint32Array.from([1, 2, 3]);
  const w0 = Float32Array.from([5, 0.5, -1, 2]);

  it('a quadratic loss: one Newton step to the analytic minimum (nβ·h·m + γ·w0)/(nβ·h + γ), and the drop ½·nβ·bᵀ(H + γ/nβ)⁻¹b', async () => {
    const h = [0.1, 1, 10];
    const m = [0, 0.3, 1];
    const ops: RelaxOps = {
      ...separable(m, (x) => 0, (x) => 0, () => 0, nbeta, gamma, indices),
      full: async (w) => ({ loss: m.reduce((s, mj, j) => s + 0.5 * h[j] * (w[indices[j]] - mj) ** 2, 0), grad: Float64Array.from(m, (mj, j) => h[j] * (w[indices[j]] - mj)) }),
      loss: async (w) => m.reduce((s, mj, j) => s + 0.5 * h[j] * (w[indices[j]] - mj) ** 2, 0),
      solve: async (_w, b) => newtonSolve(b, (v) => Float64Array.from(v, (x, j) => h[j] * x), nbeta, gamma, { tolerance: 1e-12, iterations: 100 }),
    };
    const r = await relax(w0, indices, nbeta, gamma, ops);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThanOrEqual(2); // a second step may still gain float32 rounding
    expect(r.w[0]).toBe(5);
    const wStar = m.map((mj, j) => (nbeta * h[j] * mj + gamma * w0[indices[j]]) / (nbeta * h[j] + gamma));
    for (let j = 0; j < 3; j++) expect(r.w[indices[j]]).toBeCloseTo(wStar[j], 5);
    // the drop of U: Σ ½·nβ·g_j²/(h_j + γ/nβ), g_j = h_j·(w0_j − m_j)
    const drop = m.reduce((s, mj, j) => s + (0.5 * nbeta * (h[j] * (w0[indices[j]] - mj)) ** 2) / (h[j] + gamma / nbeta), 0);
    expect(r.drop / drop).toBeCloseTo(1, 4);
    expect(r.atCheckpoint.decrement / drop).toBeCloseTo(1, 4);
    expect(r.distance).toBeCloseTo(Math.hypot(...wStar.map((x, j) => x - w0[indices[j]])), 5);
  });

  it('a loss beyond the quadratic region (log cosh): Newton steps with the line search stop within RELAX_TOLERANCE of the minimum found coordinate by coordinate', async () => {
    const m = [3, -2, 0.4];
    const ops = separable(m, (x) => Math.log(Math.cosh(x)), Math.tanh, (x) => 1 / Math.cosh(x) ** 2, nbeta, gamma, indices);
    const r = await relax(w0, indices, nbeta, gamma, ops);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeGreaterThan(1);
    // each coordinate solves nβ·tanh(w − m) + γ·(w − w0) = 0 (monotone in w): bisection
    const u = (j: number, w: number) => nbeta * Math.log(Math.cosh(w - m[j])) + (gamma / 2) * (w - w0[indices[j]]) ** 2;
    let gap = 0;
    let drop = 0;
    for (let j = 0; j < 3; j++) {
      const F = (w: number) => nbeta * Math.tanh(w - m[j]) + gamma * (w - w0[indices[j]]);
      let [lo, hi] = [-20, 20];
      for (let k = 0; k < 200; k++) (F((lo + hi) / 2) > 0 ? (hi = (lo + hi) / 2) : (lo = (lo + hi) / 2));
      gap += u(j, r.w[indices[j]]) - u(j, lo);
      drop += u(j, w0[indices[j]]) - u(j, lo);
    }
    expect(gap).toBeGreaterThanOrEqual(-1e-6 * drop);
    expect(gap).toBeLessThan(RELAX_TOLERANCE * drop);
    expect(r.drop / drop).toBeCloseTo(1, 1);
    expect(r.loss).toBeLessThan(r.loss0);
  });

  it('no descent along the solve: not converged (the estimate is flagged not_minimum), w0 kept', async () => {
    const m = [1, 1, 1];
    const ops = separable(m, (x) => 0.5 * x * x, (x) => x, () => 1, nbeta, gamma, indices);
    const wrong: RelaxOps = { ...ops, solve: async (w, b) => { const s = await ops.solve(w, b); return { ...s, y: s.y.map((x) => -x) }; } };
    const r = await relax(w0, indices, nbeta, gamma, wrong);
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(0);
    expect(Array.from(r.w)).toEqual(Array.from(w0));
  });

  it('negative curvature everywhere (U unbounded below): gradient steps lower U at every iteration, and the relaxation is not converged', async () => {
    // L = −Σ (w − m)², curvature −2 < −γ/nβ = −0.2 along every sampled coordinate: the first solve stops with y = 0
    const m = [0.4, -1.2, 2.1];
    const ops = separable(m, (x) => -x * x, (x) => -2 * x, () => -2, nbeta, gamma, indices);
    const r = await relax(w0, indices, nbeta, gamma, ops);
    expect(r.atCheckpoint.negative_curvature).toBe(true);
    expect(r.atCheckpoint.decrement).toBe(0);
    expect(r.iterations).toBe(RELAX_ITERATIONS);
    expect(r.gradient_steps).toBe(RELAX_ITERATIONS);
    expect(r.drop).toBeGreaterThan(0);
    expect(r.converged).toBe(false);
  });

  it('a checkpoint on the hilltop of a double well: the gradient step leaves it where Newton cannot start, and Newton finishes in the nearer well', async () => {
    // f(x) = (x² − 1)², f''(x) = 12x² − 4 < −γ/nβ for |x| < 0.57: at w0 − m = 0.05, −0.1, 0.2 the first
    // solve meets negative curvature on its first direction (y = 0): llc ≤ 6 stopped there (0 steps, not_minimum)
    const m = [0.45, -0.9, 1.8];
    const f = (x: number) => (x * x - 1) ** 2;
    const df = (x: number) => 4 * x ** 3 - 4 * x;
    const ops = separable(m, f, df, (x) => 12 * x * x - 4, nbeta, gamma, indices);
    const r = await relax(w0, indices, nbeta, gamma, ops);
    expect(r.atCheckpoint.negative_curvature).toBe(true);
    expect(r.atCheckpoint.decrement).toBe(0);
    expect(r.gradient_steps).toBeGreaterThanOrEqual(1);
    expect(r.iterations).toBeGreaterThan(r.gradient_steps);
    expect(r.converged).toBe(true);
    // each coordinate's minimum of nβ·f(w − m) + γ/2·(w − w0)² in the well on the side of its offset (bisection)
    const u = (j: number, w: number) => nbeta * f(w - m[j]) + (gamma / 2) * (w - w0[indices[j]]) ** 2;
    let gap = 0;
    let drop = 0;
    for (let j = 0; j < 3; j++) {
      const offset = w0[indices[j]] - m[j];
      const F = (w: number) => nbeta * df(w - m[j]) + gamma * (w - w0[indices[j]]);
      let [lo, hi] = offset > 0 ? [m[j] + 0.6, m[j] + 2] : [m[j] - 2, m[j] - 0.6];
      for (let k = 0; k < 200; k++) (F((lo + hi) / 2) > 0 ? (hi = (lo + hi) / 2) : (lo = (lo + hi) / 2));
      expect(Math.sign(r.w[indices[j]] - m[j])).toBe(Math.sign(offset));
      gap += u(j, r.w[indices[j]]) - u(j, lo);
      drop += u(j, w0[indices[j]]) - u(j, lo);
    }
    expect(gap).toBeGreaterThanOrEqual(-1e-6 * drop);
    expect(gap).toBeLessThan(RELAX_TOLERANCE * drop);
  });

  it('negative curvature after a first step, and no lower U along either step: not converged (a possible saddle; llc ≤ 6 called it converged)', async () => {
    const m = [1, 1, 1];
    const ops = separable(m, (x) => 0.5 * x * x, (x) => x, () => 1, nbeta, gamma, indices);
    let solves = 0;
    let fulls = 0;
    const saddle: RelaxOps = {
      ...ops,
      // from the second point on, a gradient that points uphill and a solve that stops at negative curvature
      full: async (w) => { const x = await ops.full(w); return ++fulls === 1 ? x : { ...x, grad: x.grad.map((g) => -g) }; },
      solve: async (w, b) => { const s = await ops.solve(w, b); return ++solves === 1 ? s : { ...s, negative_curvature: true, converged: false, y: s.y.map((y) => -y) }; },
    };
    const r = await relax(w0, indices, nbeta, gamma, saddle);
    expect(r.iterations).toBe(1);
    expect(r.gradient_steps).toBe(0);
    expect(r.converged).toBe(false);
    // the same second solve without negative curvature: nothing left that the batch resolves, converged (as before)
    solves = 0;
    fulls = 0;
    const flat: RelaxOps = { ...saddle, solve: async (w, b) => { const s = await saddle.solve(w, b); return { ...s, negative_curvature: false }; } };
    const q = await relax(w0, indices, nbeta, gamma, flat);
    expect(q.iterations).toBe(1);
    expect(q.converged).toBe(true);
  });

  it(`a relaxation still dropping after ${RELAX_ITERATIONS} iterations is not converged`, async () => {
    // a solve that always proposes 1/200 of the Newton step: each iteration drops U by a roughly constant fraction
    const m = [2, 2, 2];
    const ops = separable(m, (x) => 0.5 * x * x, (x) => x, () => 1, nbeta, gamma, indices);
    const timid: RelaxOps = { ...ops, solve: async (w, b) => { const s = await ops.solve(w, b); return { ...s, y: s.y.map((x) => 0.005 * x) }; } };
    const r = await relax(w0, indices, nbeta, gamma, timid);
    expect(r.iterations).toBe(RELAX_ITERATIONS);
    expect(r.converged).toBe(false);
  });
});

describe('the relax option', () => {
  it('is on for the canonical method unless the tilt is off, off for sgld; relax without the tilt is refused, naming the field', () => {
    expect(estimatorOptions(LlcConfigSchema.parse({})).relax).toBe(true);
    expect(estimatorOptions(LlcConfigSchema.parse({ tilt: false })).relax).toBe(false);
    expect(estimatorOptions(LlcConfigSchema.parse({ relax: false })).relax).toBe(false);
    expect(estimatorOptions(LlcConfigSchema.parse({ method: 'sgld' })).relax).toBe(false);
    const bad = LlcConfigSchema.safeParse({ relax: true, tilt: false });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['relax']);
    expect(bad.error!.issues[0].message).toMatch(/needs tilt/);
  });
});
