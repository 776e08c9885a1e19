import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { runChain, type SgldProblem } from './chain.ts';
import { slopeTest } from './convergence.ts';
import { chainFlags, blocksReading, flaggedChains } from './diagnostics.ts';
import { chainResult, combineChains } from './estimate.ts';
import { increments } from './estimator.ts';
import { quadratic } from './testing.ts';

const sgld = { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 };

describe('runChain', () => {
  it('records draw 0 at w0, then one draw per steps_between_draws after burn-in', () => {
    const seen: number[] = [];
    const problem: SgldProblem<null> = {
      size: 1,
      lossAndGrad: (w) => {
        seen.push(w[0]);
        return { loss: w[0], grad: Float32Array.of(0) };
      },
    };
    const t = runChain(problem, Float32Array.of(3), { sgld: { ...sgld, gamma: 0, noise_level: 0 }, draws: 3, burnin: 0, stepsBetweenDraws: 2, indices: null, acceptanceEvery: 0 }, () => null, null);
    expect(seen).toHaveLength(6); // burnin + draws · between
    expect(t.loss[0]).toBe(3);
    expect(Array.from(t.loss)).toEqual([seen[0], seen[2], seen[4]]);
    const withBurnin = runChain(problem, Float32Array.of(3), { sgld: { ...sgld, noise_level: 0 }, draws: 2, burnin: 5, stepsBetweenDraws: 1, indices: null, acceptanceEvery: 0 }, () => null, null);
    expect(withBurnin.loss[0]).toBe(3); // no gradient, no noise, no pull: w stays
  });

  it('stops at a NaN loss and names the draw and step; the estimate leaves the chain out', () => {
    let calls = 0;
    const nanAfter6: SgldProblem<null> = { size: 2, lossAndGrad: (w) => ({ loss: ++calls > 6 ? NaN : 0.5 * (w[0] ** 2 + w[1] ** 2), grad: Float32Array.from(w) }) };
    const settings = { sgld, draws: 10, burnin: 0, stepsBetweenDraws: 1, indices: null, acceptanceEvery: 0 };
    const bad = runChain(nanAfter6, new Float32Array(2), settings, () => null, Rng.derive(0, 'nan'));
    expect(bad.nan).toEqual({ draw: 6, step: 6 });
    const good = runChain(quadratic([1, 1]), new Float32Array(2), settings, () => null, Rng.derive(1, 'nan'));
    const est = combineChains(0, [chainResult(0, bad, 0, 10, 0), chainResult(1, good, 0, 10, 0)]);
    expect(est.n_ok).toBe(1);
    expect(Number.isNaN(est.chains[0].llc)).toBe(true);
    expect(est.chains[0].flags.nan).toBe(true);
    expect(est.mean).toBe(est.chains[1].llc);
  });
});

describe('which flags make a chain unreadable', () => {
  it('acceptance_high is advisory (a small step); every other flag blocks reading λ_c', () => {
    expect(blocksReading([])).toBe(false);
    expect(blocksReading(['acceptance_high'])).toBe(false);
    for (const f of ['negative', 'not_flat', 'left_basin', 'acceptance_low', 'nan']) expect(blocksReading(['acceptance_high', f])).toBe(true);
  });
  it('flaggedChains counts the chains with a blocking flag (estimates.arrow flagged_chains)', () => {
    const none = { negative: false, not_flat: false, left_basin: false, acceptance_low: false, acceptance_high: false, nan: false, not_converged: false, not_minimum: false };
    const chains = [{ flags: none }, { flags: { ...none, acceptance_high: true } }, { flags: { ...none, negative: true } }, { flags: { ...none, acceptance_high: true, not_minimum: true } }];
    expect(flaggedChains(chains)).toBe(2);
    expect(flaggedChains([])).toBe(0);
  });
});

describe('the standard error of λ̂', () => {
  it('adds the error of init_loss, shared by every chain, to the chains\' spread: se² = std²/n + (nβ·se_init)²', () => {
    const settings = { sgld, draws: 20, burnin: 0, stepsBetweenDraws: 1, indices: null, acceptanceEvery: 0 };
    const chains = [0, 1, 2, 3].map((c) => chainResult(c, runChain(quadratic([1, 1]), new Float32Array(2), settings, () => null, Rng.derive(c, 'se')), 0, 10, 0));
    const alone = combineChains(0, chains, 10);
    expect(alone.se).toBeCloseTo(alone.std / 2, 12); // no init error given: std/√4
    const shared = combineChains({ mean: 0, se: 0.01 }, chains, 10);
    expect(shared.se).toBeCloseTo(Math.sqrt((alone.std / 2) ** 2 + (10 * 0.01) ** 2), 12);
    expect(shared.init_loss_se).toBe(0.01);
  });
});

describe('MALA acceptance on the same minibatch', () => {
  // L_b(w) = ½‖w‖² + c_b: a minibatch-dependent constant, as real minibatch losses have
  const noisy = (spread: number): SgldProblem<number> => ({ size: 50, lossAndGrad: (w, b) => ({ loss: 0.5 * w.reduce((a, x) => a + x * x, 0) + spread * b, grad: Float32Array.from(w) }) });
  const batches = (seed: number) => {
    const rng = Rng.derive(seed, 'batches');
    return () => rng.normal();
  };
  const run = (spread: number, epsilon: number) =>
    runChain(noisy(spread), new Float32Array(50), { sgld: { epsilon, gamma: 1, nbeta: 1000, weight_decay: 0, noise_level: 1 }, draws: 200, burnin: 0, stepsBetweenDraws: 1, indices: null, acceptanceEvery: 1 }, batches(1), Rng.derive(2, 'n')).acceptanceMean;

  it('is high for a small step and falls for a large one, and batch-to-batch noise in nβ·L_B does not move it', () => {
    const small = run(0, 1e-5);
    expect(small).toBeGreaterThan(0.95);
    expect(run(0, 3e-3)).toBeLessThan(small - 0.2);
    expect(run(0.05, 1e-5)).toBeCloseTo(small, 10); // nβ·spread = 50 nats of batch noise: unchanged
  });
});

describe('trace flags', () => {
  const trace = (loss: number[], acceptance = 0.9, distance = 0.1) => ({
    loss: Float64Array.from(loss),
    acceptance: new Float64Array(loss.length),
    distance: new Float64Array(loss.length).fill(distance),
    driftNorm: new Float64Array(loss.length),
    noiseNorm: new Float64Array(loss.length),
    baseline: null,
    acceptanceMean: acceptance,
    acceptanceSum: acceptance,
    acceptanceCount: 1,
    nan: null,
  });
  const rising = Array.from({ length: 100 }, (_, i) => 1 + i / 100);
  const flat = Array.from({ length: 100 }, (_, i) => 1.5 + 0.01 * Math.sin(i * 7.3));

  it('flags a trace still climbing over its last quarter, not a flat one', () => {
    expect(chainFlags(trace(rising), 5, increments(trace(rising), 1), 10).not_flat).toBe(true);
    expect(chainFlags(trace(flat), 5, increments(trace(flat), 1), 10).not_flat).toBe(false);
  });
  it('flags negative LLC, acceptance outside [0.5, 0.999], and leaving the basin', () => {
    const f = chainFlags(trace(flat, 0.3, 6), -1, increments(trace(flat, 0.3, 6), 2), 10);
    expect(f).toMatchObject({ negative: true, acceptance_low: true, left_basin: true, nan: false });
    expect(chainFlags(trace(flat, 0.9995), 1, increments(trace(flat, 0.9995), 1), 10).acceptance_high).toBe(true);
  });
  it('slope test: exact line has infinite t; noise has small t', () => {
    expect(slopeTest([1, 2, 3, 4]).slope).toBeCloseTo(1, 12);
    const rng = Rng.derive(0, 'slope');
    expect(Math.abs(slopeTest(Array.from({ length: 200 }, () => rng.normal())).t)).toBeLessThan(3.5);
  });
});
