/**
 * Known answers with a symmetry (toys.ts). Each toy's truth is moved along its symmetry orbit by
 * group elements of sizes 0.2, 1 and 5 (scale and, where the group has one, a rotation), then
 * fitted to its empirical minimum. The canonical estimator — the toy's canonical form, nβ = n/ln n,
 * ε = 0.03 · 4/(nβ·λ_max + γ) — must give the known λ within 10% at every scale. The canonical
 * forms of the three fitted points coincide (checked), so one estimate serves all three; what is
 * tested is that the number is right.
 * The raw estimator (the same sampler on the moved weights) is shown not to be: on the crossing, its
 * λ̂ changes with the scale.
 */
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { estimateLlc, type LlcEstimate, type Streams } from './estimate.ts';
import { topEigenvalue } from './hessian.ts';
import { estimateInThread } from './sampling.ts';
import { rowStream } from './testing.ts';
import { crossingToy, fitToy, linear2Toy, rmsnormToy, type Toy } from './toys.ts';

function streams(n: number, batch: number, seed: number): Streams<Uint32Array> {
  return {
    batches: (c, skip = 0) => rowStream(n, batch, (e) => Rng.derive(seed, 'data', c, e), skip),
    noise: (c) => Rng.derive(seed, 'noise', c),
    init: () => rowStream(n, batch, (e) => Rng.derive(seed, 'init', e)),
  };
}

function llc(toy: Toy, w0: Float32Array, opts: { draws: number; chains: number; gamma: number; nbeta?: number }): LlcEstimate {
  const all = Uint32Array.from({ length: toy.n }, (_, i) => i);
  const nbeta = opts.nbeta ?? toy.n / Math.log(toy.n);
  const epsilon = (0.03 * 4) / (nbeta * topEigenvalue(toy.problem, w0, null, all, 0) + opts.gamma);
  return estimateLlc(toy.problem, w0, { sgld: { epsilon, gamma: opts.gamma, nbeta, weight_decay: 0, noise_level: 1 }, draws: opts.draws, burnin: 500, stepsBetweenDraws: 1, indices: null }, streams(toy.n, 500, 7), opts.chains);
}

// `rules`: chains and starting draws under the llc stage's rules (λ̂ from the last half only, and
// these chains fluctuate slowly, so the standard error must be well inside 10%): the crossing with 8
// chains from 8,000 draws (0.525 ± 0.007 after lengthening to 32,000; its per-chain λ̂ spreads
// 0.40–0.65 at 4,000 draws and 4 × 2,000 gave 0.463–0.603 by seed), the linear toy from 8,000 draws
describe.each([
  [crossingToy(), { draws: 2000, chains: 4, gamma: 10, rules: { draws: 8000, chains: 8 } }],
  [linear2Toy(), { draws: 2000, chains: 4, gamma: 10, rules: { draws: 8000, chains: 4 } }],
  [rmsnormToy(), { draws: 4000, chains: 8, gamma: 10, rules: { draws: 4000, chains: 8 } }],
] as const)('%s', (toy, opts) => {
  const fitted = [0.2, 1, 5].map((c) => ({ c, w: fitToy(toy, toy.move(toy.wStar, c)) }));

  it(`canonical estimator: λ̂ within 10% of λ = ${toy.lambda} at scales 0.2, 1, 5`, () => {
    const forms = fitted.map(({ w }) => toy.canonical(w));
    for (const f of forms) for (let i = 0; i < f.length; i++) expect(Math.abs(f[i] - forms[1][i])).toBeLessThan(1e-3);
    const v = llc(toy, forms[1], opts).mean;
    expect(Math.abs(v - toy.lambda) / toy.lambda).toBeLessThan(0.1);
  }, 300_000);

  it(`with the llc stage's rules (tilt, control variate, last half, chains lengthened until stable): λ̂ within 10% of λ = ${toy.lambda}`, async () => {
    const w0 = toy.canonical(fitted[1].w);
    const all = Uint32Array.from({ length: toy.n }, (_, i) => i);
    const nbeta = toy.n / Math.log(toy.n);
    const epsilon = (0.03 * 4) / (nbeta * topEigenvalue(toy.problem, w0, null, all, 0) + opts.gamma);
    const { draws, chains } = opts.rules;
    const settings = { sgld: { epsilon, gamma: opts.gamma, nbeta, weight_decay: 0, noise_level: 1 }, draws, burnin: 500, stepsBetweenDraws: 1, indices: null };
    const est = await estimateInThread(toy.problem, w0, streams(toy.n, 500, 7), { chains, settings, all, tilt: true, controlVariate: true, window: 'last-half', maxDraws: 4 * draws, tolerance: 0.05 });
    expect(est.convergence!.stable).toBe(true);
    expect(Math.abs(est.mean - toy.lambda) / toy.lambda).toBeLessThan(0.1);
  }, 900_000); // 14–50 s on 2 cores (idle … busy): far from the limit on a machine 3× slower and loaded
});

describe('without the canonical form', () => {
  it('at devinterp-like settings (nβ = B/ln B, γ comparable to nβ·H) the raw estimator changes with the orbit point; the canonical one does not', () => {
    const toy = crossingToy();
    const opts = { draws: 2000, chains: 4, gamma: 200, nbeta: 500 / Math.log(500) };
    const points = [0.2, 1, 5].map((c) => fitToy(toy, toy.move(toy.wStar, c)));
    const raw = points.map((w) => llc(toy, w, opts).mean);
    const canon = points.map((w) => llc(toy, toy.canonical(w), opts).mean);
    // the stiffness across the minima grows as t² + 1/t² along the orbit (t, 1/t): the localizer holds the chain differently
    expect((Math.max(...raw) - Math.min(...raw)) / Math.min(...raw)).toBeGreaterThan(0.3);
    expect((Math.max(...canon) - Math.min(...canon)) / Math.min(...canon)).toBeLessThan(0.01);
  }, 300_000);
});
