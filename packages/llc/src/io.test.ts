import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArtifact, Rng, writeArtifact } from '@sortscope/core';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { runChain } from './chain.ts';
import { runningLlc } from './convergence.ts';
import { chainResult, combineChains, markEstimate } from './estimate.ts';
import { increments } from './estimator.ts';
import { LLC_KINDS, readChains, readEstimates, readHeightRows, readTraces, TRACE_POINTS, writeChains, writeEstimates, writeTraces } from './io.ts';
import type { SamplerSettings } from './prepare.ts';
import { quadratic } from './testing.ts';

const sampler: SamplerSettings = { method: 'canonical', nbeta: 12.5, gamma: 3, resolution: 0.24, epsilon: 1e-5, epsilon_limit: 1e-4, lambda_max: 3, residual_scale: 80, preconditioner: 'none', tilt: true, control_variate: true, rule: 'test' };
const convergence = { draws: 16, first_used: 8, rhat: 1.01, ess: 30, drift: 0.5, drift_se: 0.2, relative_drift: 0.01, trending_chains: 1, stable: false };
const stationarity = { decrement: 7.5, steepest: 1, iterations: 9, converged: true, negative_curvature: false, gradient_norm: 0.25, tilt: true };

describe('llc artifacts', () => {
  it('flagged_chains counts the chains with a flag that blocks reading: acceptance_high alone is advisory', () => {
    const settings = { sgld: { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws: 16, burnin: 0, stepsBetweenDraws: 1, indices: null, controlVariate: true };
    const chains = [0, 1, 2].map((c) => chainResult(c, runChain(quadratic([1, 2]), new Float32Array(2), settings, () => null, Rng.derive(c, 'io-flags')), 0, 10, 0, 'last-half'));
    const none = Object.fromEntries(Object.keys(chains[0].flags).map((k) => [k, false])) as unknown as typeof chains[0]['flags'];
    chains[0].flags = { ...none, acceptance_high: true }; // advisory only
    chains[1].flags = { ...none, acceptance_high: true, not_flat: true }; // blocks
    chains[2].flags = { ...none };
    const estimate = markEstimate({ ...combineChains(0, chains), sampler, convergence: { ...convergence, stable: true }, stationarity, rounds: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'ss-llc-io-'));
    try {
      const base = { stage: 'llc', stageVersion: '1', config: { draws: 16 }, seed: 0, inputs: {}, extra: {} };
      const rows = [{ step: 5, target: 'all', estimate, norms: {} }];
      writeEstimates(join(dir, 'e.arrow'), rows, base);
      writeChains(join(dir, 'c.arrow'), rows, base);
      expect(readEstimates(join(dir, 'e.arrow')).rows[0].flagged_chains).toBe(1);
      expect(readChains(join(dir, 'c.arrow')).rows.map((r) => r.flags)).toEqual([['acceptance_high'], ['not_flat', 'acceptance_high'], []]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('round-trip estimates (with convergence and stationarity), chains (with flags) and traces', () => {
    const settings = { sgld: { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws: 16, burnin: 0, stepsBetweenDraws: 1, indices: null, controlVariate: true };
    const chains = [0, 1].map((c) => chainResult(c, runChain(quadratic([1, 2]), new Float32Array(2), settings, () => null, Rng.derive(c, 'io')), 0, 10, 0, 'last-half'));
    const estimate = markEstimate({ ...combineChains(0, chains), sampler, convergence, stationarity, rounds: 2 });
    const rows = [{ step: 5, target: 'all', estimate, norms: { 'embed.W_E': 0.5, 'unembed.W_U': 2 } }];
    const dir = mkdtempSync(join(tmpdir(), 'ss-llc-io-'));
    try {
      const base = { stage: 'llc', stageVersion: '1', config: { draws: 16 }, seed: 0, inputs: {}, extra: {} };
      writeEstimates(join(dir, 'e.arrow'), rows, base);
      writeChains(join(dir, 'c.arrow'), rows, base);
      writeTraces(join(dir, 't.arrow'), rows, base);
      const e = readEstimates(join(dir, 'e.arrow')).rows[0];
      expect(e).toMatchObject({ step: 5, target: 'all', n_chains_ok: 2, method: 'canonical', nbeta: 12.5, gamma: 3, resolution: 0.24, epsilon: 1e-5, epsilon_limit: 1e-4, lambda_max: 3, residual_scale: 80, preconditioner: 'none', tilt: true, control_variate: true });
      expect(e).toMatchObject({ decrement: 7.5, decrement_converged: true, negative_curvature: false, gradient_norm: 0.25, draws: 16, rounds: 2, rhat: 1.01, ess: 30, drift: 0.5, drift_se: 0.2, trending_chains: 1, converged: false, flagged_chains: 2 });
      expect(e).toMatchObject({ relaxed: false, relax_converged: false });
      expect(e.relax_drop).toBeNaN();
      expect(e.norms).toEqual({ 'embed.W_E': 0.5, 'unembed.W_U': 2 });
      expect(e.llc_mean).toBeCloseTo(estimate.mean, 12);
      const c = readChains(join(dir, 'c.arrow')).rows;
      expect(c.map((r) => r.llc)).toEqual(chains.map((ch) => ch.llc));
      expect(c[0].flags).toContain('not_converged'); // the estimate's flag, on every chain
      expect(c[0].flags).toEqual(Object.entries(chains[0].flags).filter(([, v]) => v).map(([k]) => k));
      const t = readTraces(join(dir, 't.arrow'));
      expect(t.rows).toHaveLength(2);
      expect(t.rows[1]).toMatchObject({ draws: 16, thin: 1 });
      expect(Array.from(t.rows[1].loss)).toEqual(Array.from(chains[1].trace.loss, Math.fround));
      expect(Array.from(t.rows[1].baseline)).toEqual(Array.from(chains[1].trace.baseline!, Math.fround));
      expect(Array.from(t.rows[1].running_llc)).toEqual(Array.from(runningLlc(increments(chains[1].trace, 0), 12.5), Math.fround));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('round-trips where the estimate was taken (relax.ts); a relaxation that did not converge flags every chain not_minimum', () => {
    const settings = { sgld: { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws: 16, burnin: 0, stepsBetweenDraws: 1, indices: null, controlVariate: true };
    const dir = mkdtempSync(join(tmpdir(), 'ss-llc-io-'));
    try {
      const base = { stage: 'llc', stageVersion: '1', config: { draws: 16 }, seed: 0, inputs: {}, extra: {} };
      const rows = [true, false].map((converged, k) => {
        const chains = [0, 1].map((c) => chainResult(c, runChain(quadratic([1, 2]), new Float32Array(2), settings, () => null, Rng.derive(c, 'io-relax')), 0, 10, 0, 'last-half'));
        const relaxation = { iterations: 3 + k, gradient_steps: k, drop: 526.5, distance: 0.27, converged, loss0: 0.037, loss: 0.0299 };
        return { step: 5 + k, target: 'all', estimate: markEstimate({ ...combineChains(0, chains), sampler, convergence: { ...convergence, stable: true }, stationarity: { ...stationarity, relaxation }, rounds: 1 }), norms: {} };
      });
      writeEstimates(join(dir, 'e.arrow'), rows, base);
      writeChains(join(dir, 'c.arrow'), rows, base);
      const e = readEstimates(join(dir, 'e.arrow')).rows;
      expect(e[0]).toMatchObject({ relaxed: true, relax_iterations: 3, relax_gradient_steps: 0, relax_drop: 526.5, relax_distance: 0.27, relax_converged: true, loss_checkpoint: 0.037, loss_relaxed: 0.0299 });
      expect(e[1]).toMatchObject({ relaxed: true, relax_iterations: 4, relax_gradient_steps: 1, relax_converged: false });
      // the relaxation height's columns, from this schema and from v4 (llc 6–6.1: findings --save reads results kept from it)
      const heights = [{ step: 5, target: 'all', gamma: 3, nbeta: 12.5, llc_mean: e[0].llc_mean, loss_checkpoint: 0.037, loss_relaxed: 0.0299 }];
      expect(readHeightRows(join(dir, 'e.arrow'))[0]).toEqual(heights[0]);
      const { table } = readArtifact(join(dir, 'e.arrow'), { ...LLC_KINDS.estimates, regenerate: '' });
      writeArtifact(join(dir, 'v4.arrow'), table, { ...base, stageVersion: '6.1', kind: 'llc/estimates', schemaVersion: 4 });
      expect(() => readEstimates(join(dir, 'v4.arrow'))).toThrow(/v4 \(written by the llc stage 6.1\), expected 'llc\/estimates' v5/);
      expect(readHeightRows(join(dir, 'v4.arrow'))[0]).toEqual(heights[0]);
      writeArtifact(join(dir, 'v3.arrow'), table, { ...base, kind: 'llc/estimates', schemaVersion: 3 });
      expect(() => readHeightRows(join(dir, 'v3.arrow'))).toThrow(/v3 .*expected 'llc\/estimates' v4/);
      const c = readChains(join(dir, 'c.arrow')).rows;
      expect(c.filter((r) => r.step === 5).every((r) => !r.flags.includes('not_minimum'))).toBe(true);
      expect(c.filter((r) => r.step === 6).every((r) => r.flags.includes('not_minimum'))).toBe(true);
      expect(e[1].flagged_chains).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes "not applicable" as Arrow null (llc 7): the relax_ columns of an estimate taken at the checkpoint, the sampler settings sgld does not measure, nan_draw of a chain that met no NaN', () => {
    const settings = { sgld: { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws: 16, burnin: 0, stepsBetweenDraws: 1, indices: null, controlVariate: true };
    const chains = [0, 1].map((c) => chainResult(c, runChain(quadratic([1, 2]), new Float32Array(2), settings, () => null, Rng.derive(c, 'io-null')), 0, 10, 0, 'last-half'));
    chains[1].trace.nan = { draw: 3, step: 7 };
    const unmeasured = { ...sampler, method: 'sgld' as const, epsilon_limit: null, lambda_max: null };
    const rows = [{ step: 5, target: 'all', estimate: markEstimate({ ...combineChains(0, chains), sampler: unmeasured, convergence, stationarity, rounds: 1 }), norms: {} }];
    const dir = mkdtempSync(join(tmpdir(), 'ss-llc-io-'));
    try {
      const base = { stage: 'llc', stageVersion: '1', config: { draws: 16 }, seed: 0, inputs: {}, extra: {} };
      writeEstimates(join(dir, 'e.arrow'), rows, base);
      writeChains(join(dir, 'c.arrow'), rows, base);
      const e = tableFromIPC(readFileSync(join(dir, 'e.arrow')));
      for (const name of ['epsilon_limit', 'lambda_max', 'relax_iterations', 'relax_gradient_steps', 'relax_drop', 'relax_distance', 'relax_converged', 'loss_checkpoint', 'loss_relaxed']) {
        expect(e.getChild(name)!.nullCount, name).toBe(1);
      }
      for (const name of ['epsilon', 'decrement', 'draws', 'rhat', 'trending_chains', 'converged', 'relaxed']) expect(e.getChild(name)!.nullCount, name).toBe(0);
      expect(e.getChild('relaxed')!.get(0)).toBe(false);
      const c = tableFromIPC(readFileSync(join(dir, 'c.arrow')));
      expect([...c.getChild('nan_draw')!]).toEqual([null, 3]);
      expect([...c.getChild('nan_step')!]).toEqual([null, 7]);
      // the readers here read null as NaN
      const back = readEstimates(join(dir, 'e.arrow')).rows[0];
      expect(back.epsilon_limit).toBeNaN();
      expect(back.relax_drop).toBeNaN();
      expect(back.relax_converged).toBe(false);
      expect(readChains(join(dir, 'c.arrow')).rows.map((r) => r.nan_draw)).toEqual([NaN, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`keeps at most ${TRACE_POINTS} points per chain: block means of the draws, the running λ̂ at each block's end`, () => {
    const draws = 2 * TRACE_POINTS + 10;
    const settings = { sgld: { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws, burnin: 0, stepsBetweenDraws: 1, indices: null };
    const long = chainResult(0, runChain(quadratic([1]), new Float32Array(1), settings, () => null, Rng.derive(0, 'long')), 0, 10, 0);
    const short = chainResult(1, runChain(quadratic([1]), new Float32Array(1), { ...settings, draws: 50 }, () => null, Rng.derive(1, 'long')), 0, 10, 0);
    const rows = [{ step: 1, target: 'all', estimate: { ...combineChains(0, [long, short]), sampler }, norms: {} }];
    const dir = mkdtempSync(join(tmpdir(), 'ss-llc-io-'));
    try {
      writeTraces(join(dir, 't.arrow'), rows, { stage: 'llc', stageVersion: '1', config: {}, seed: 0, inputs: {}, extra: {} });
      const t = readTraces(join(dir, 't.arrow'));
      expect(t.points).toBe(Math.ceil(draws / 3));
      expect(t.points).toBeLessThanOrEqual(TRACE_POINTS);
      const [a, b] = t.rows;
      expect(a).toMatchObject({ draws, thin: 3 });
      expect(a.loss).toHaveLength(Math.ceil(draws / 3));
      expect(a.loss[1]).toBeCloseTo((long.trace.loss[3] + long.trace.loss[4] + long.trace.loss[5]) / 3, 6);
      expect(a.running_llc[0]).toBeCloseTo(runningLlc(increments(long.trace, 0), 12.5)[2], 4);
      expect(b).toMatchObject({ draws: 50, thin: 1 });
      expect(b.loss).toHaveLength(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plusMinus', () => {
  it('prints the spread, or why there is none instead of NaN', async () => {
    const { plusMinus } = await import('./stage.ts');
    expect(plusMinus(1.23456, 3, 4)).toBe('± 1.235');
    expect(plusMinus(Number.NaN, 3, 1)).toBe('± – (one chain: no spread)');
    expect(plusMinus(Number.NaN, 3, 4)).toBe('± – (not measured)');
  });
});
