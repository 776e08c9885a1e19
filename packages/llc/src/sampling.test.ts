/**
 * The canonical estimator's machinery on problems with known answers: chains continued in rounds,
 * the tilt, the control variate, the preconditioner and the estimate-level flags.
 */
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { type ChainSettings, runChain, type SgldProblem } from './chain.ts';
import { preconditioning } from './chain-step.ts';
import type { Streams } from './estimate.ts';
import { preconditionedTopEigenvalue } from './hessian.ts';
import { rmspropPreconditioner } from './preconditioner.ts';
import { estimateInThread, inThreadSegments, sampleInRounds } from './sampling.ts';
import { linearModel, ols, quadratic, regressionData, rowStream } from './testing.ts';

function rowStreams(n: number, batch: number, seed: number): Streams<Uint32Array> {
  return {
    batches: (c, skip = 0) => rowStream(n, batch, (e) => Rng.derive(seed, 'data', c, e), skip),
    noise: (c) => Rng.derive(seed, 'noise', c),
    init: () => rowStream(n, batch, (e) => Rng.derive(seed, 'init', e)),
  };
}
const noBatches: Streams<null> = { batches: () => () => null, noise: (c) => Rng.derive(9, 'q', c), init: () => () => null };

/** L = ½ Σ h_i w_i² + cᵀw: at w0 = 0 the slope is c */
function slopedQuadratic(h: number[], c: number[]): SgldProblem<null> {
  const q = quadratic(h);
  return {
    size: h.length,
    lossAndGrad(w) {
      const r = q.lossAndGrad(w, null);
      let lin = 0;
      c.forEach((ci, i) => ((lin += ci * w[i]), (r.grad[i] += ci)));
      return { loss: r.loss + lin, grad: r.grad };
    },
  };
}

const expectedQuadratic = (h: number[], sgld: { epsilon: number; gamma: number; nbeta: number }, p: number[] = h.map(() => 1)) =>
  h.reduce((s, hi, i) => {
    const a = sgld.nbeta * hi + sgld.gamma;
    return s + (0.5 * ((sgld.nbeta * hi) / a)) / (1 - (sgld.epsilon * p[i] * a) / 4);
  }, 0);

describe('chains in rounds', () => {
  it('a chain continued in segments gives the draws of one straight run, bit for bit', () => {
    const data = regressionData(500, 3, 4);
    const problem = linearModel(data);
    const w0 = ols(data);
    const streams = rowStreams(500, 50, 1);
    const s: ChainSettings = { sgld: { epsilon: 1e-3, gamma: 1, nbeta: 50, weight_decay: 0, noise_level: 1, noise_stream: 'ziggurat' }, draws: 60, burnin: 15, stepsBetweenDraws: 2, indices: null, controlVariate: true, acceptanceEvery: 3 };
    const straight = runChain(problem, w0, s, streams.batches(0), streams.noise(0));
    return inThreadSegments(problem, w0, streams)([{ plan: 0, chain: 0, settings: { ...s, draws: 25 } }]).then(async ([a]) => {
      const [b] = await inThreadSegments(problem, w0, streams)([{ plan: 0, chain: 0, settings: { ...s, draws: 35 }, start: a.end }]);
      expect([...a.loss, ...b.loss]).toEqual([...straight.loss]);
      expect([...a.baseline!, ...b.baseline!]).toEqual([...straight.baseline!]);
      expect([...a.acceptance, ...b.acceptance]).toEqual([...straight.acceptance]);
      expect(a.acceptanceSum + b.acceptanceSum).toBeCloseTo(straight.acceptanceSum, 12);
      expect(Array.from(b.end!.w)).toEqual(Array.from(straight.end!.w));
    });
  });

  it('lengthens chains that still relax, up to max_draws; stops stable ones after one round', async () => {
    const h = [1, 2];
    const slow = { epsilon: 2e-5, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }; // relaxes over ~1/(ε·a) = 5,000 steps
    const s: ChainSettings = { sgld: slow, draws: 400, burnin: 0, stepsBetweenDraws: 1, indices: null };
    const plan = { chains: 4, settings: s, nbeta: 10, init: 0, maxDraws: 3200, tolerance: 0.05 };
    const fast = { ...plan, settings: { ...s, sgld: { ...slow, epsilon: 0.01 } } };
    let extended = 0;
    const run = await sampleInRounds([plan, fast], inThreadSegments(quadratic(h), new Float32Array(2), noBatches), (n) => (extended += n));
    expect(run.rounds[0]).toBe(4); // 400 → 800 → 1,600 → 3,200
    expect(run.traces[0][0].loss.length).toBe(3200);
    expect(run.convergence[0].stable).toBe(false);
    expect(extended).toBe(4 * (400 + 800 + 1600));
    expect(run.rounds[1]).toBe(1);
    expect(run.convergence[1].stable).toBe(true);
  });
});

describe('the canonical estimator on known answers', () => {
  const h = [0.5, 1, 2, 4, 8];
  const sgld = { epsilon: 0.01, gamma: 5, nbeta: 10, weight_decay: 0, noise_level: 1 };
  const base = { chains: 12, settings: { sgld, draws: 4000, burnin: 200, stepsBetweenDraws: 1, indices: null } as ChainSettings, all: null, window: 'last-half' as const, maxDraws: 4000, tolerance: 0.05 };
  const hvp = (v: Float64Array) => v.map((x, i) => h[i] * x);

  it('a slope at w0: the tilted estimate is the at-minimum value; the untilted one is low by ≈ the Newton decrement and flagged not_minimum', async () => {
    const c = [0.3, -0.2, 0.2, 0.1, -0.1];
    const expected = expectedQuadratic(h, sgld);
    const tilted = await estimateInThread(slopedQuadratic(h, c), new Float32Array(5), noBatches, { ...base, tilt: true, controlVariate: false, hvp });
    expect(Math.abs(tilted.mean - expected)).toBeLessThan(3 * tilted.se);
    expect(tilted.chains.every((ch) => !ch.flags.not_minimum)).toBe(true);
    const plain = await estimateInThread(slopedQuadratic(h, c), new Float32Array(5), noBatches, { ...base, tilt: false, controlVariate: false, hvp });
    const decrement = 0.5 * sgld.nbeta * h.reduce((s, hi, i) => s + c[i] ** 2 / (hi + sgld.gamma / sgld.nbeta), 0);
    expect(plain.stationarity!.decrement).toBeCloseTo(decrement, 6);
    // E[nβ(L − L(0))] = λ_quad − Σ ½ nβ² c²(nβh + 2γ)/a²: between λ_quad − 2·decrement and λ_quad − decrement
    expect(plain.mean).toBeLessThan(expected - 0.9 * decrement);
    expect(plain.chains.every((ch) => ch.flags.not_minimum)).toBe(true);
  });

  it('preconditioned SGLD keeps the quadratic answer E[λ̂] = Σ ½(nβh/a)/(1 − εP·a/4)', async () => {
    const p = [4, 2, 1, 0.5, 0.25];
    const s = { ...base.settings, sgld: { ...sgld, epsilon: 0.004 }, precondition: preconditioning(Float64Array.from(p)) };
    const est = await estimateInThread(quadratic(h), new Float32Array(5), noBatches, { ...base, settings: s, tilt: true, controlVariate: false });
    const expected = expectedQuadratic(h, s.sgld, p);
    expect(Math.abs(est.mean - expected)).toBeLessThan(3 * est.se);
    expect(est.se / expected).toBeLessThan(0.05);
  });

  it('linear regression (d = 4): λ̂ ≈ d/2 with tilt, control variate and rounds, also preconditioned; the control variate cuts the per-draw noise', async () => {
    const data = regressionData(1000, 4, 11);
    const w0 = ols(data);
    const B = 200;
    const all = Uint32Array.from({ length: 1000 }, (_, i) => i);
    // ε·a/4 ≈ 3.6% discretisation and ≈ 2.6% more heat from the minibatch gradients: E[λ̂] ≈ 2.13
    const settings: ChainSettings = { sgld: { epsilon: 1e-3, gamma: 0.1, nbeta: 1000 / Math.log(1000), weight_decay: 0, noise_level: 1 }, draws: 1500, burnin: 200, stepsBetweenDraws: 1, indices: null };
    const opts = { chains: 6, settings, all, tilt: true, window: 'last-half' as const, maxDraws: 6000, tolerance: 0.05 };
    const withCv = await estimateInThread(linearModel(data), w0, rowStreams(1000, B, 5), { ...opts, controlVariate: true });
    const without = await estimateInThread(linearModel(data), w0, rowStreams(1000, B, 5), { ...opts, controlVariate: false });
    for (const e of [withCv, without]) {
      expect(Math.abs(e.mean - 2)).toBeLessThan(0.25);
      expect(e.convergence!.stable).toBe(true);
      expect(e.chains.some((c) => c.flags.not_converged)).toBe(false);
    }
    const drawSd = (e: typeof withCv) => {
      const t = e.chains[0].trace;
      const x = t.loss.map((l, d) => l - (t.baseline ? t.baseline[d] : e.init_loss));
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length);
    };
    expect(drawSd(withCv)).toBeLessThan(0.5 * drawSd(without));

    // the rmsprop preconditioner (from the minibatch gradients at w0), with ε from the preconditioned curvature
    const P = rmspropPreconditioner(linearModel(data), w0, null, rowStreams(1000, B, 6).batches(0), { batches: 32, rows: B, tokensPerRow: 1, nbeta: settings.sgld.nbeta, gamma: settings.sgld.gamma });
    const lmax = preconditionedTopEigenvalue(linearModel(data), w0, null, all, P.map(Math.sqrt), settings.sgld.nbeta, settings.sgld.gamma);
    const pre = { ...settings, sgld: { ...settings.sgld, epsilon: (0.05 * 4) / lmax }, precondition: preconditioning(P) };
    const withP = await estimateInThread(linearModel(data), w0, rowStreams(1000, B, 5), { ...opts, settings: pre, controlVariate: true });
    expect(Math.abs(withP.mean - 2)).toBeLessThan(0.25);
    expect(withP.convergence!.stable).toBe(true);
  }, 300_000);
});
