import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { runChain } from './chain.ts';
import { chainResult, combineChains } from './estimate.ts';
import { readChains, readEstimates, readTraces, writeChains, writeEstimates, writeTraces } from './io.ts';
import { quadratic } from './testing.ts';

describe('llc artifacts', () => {
  it('round-trip estimates, chains (with flags) and traces', () => {
    const settings = { sgld: { epsilon: 0.01, gamma: 1, nbeta: 10, weight_decay: 0, noise_level: 1 }, draws: 16, burnin: 0, stepsBetweenDraws: 1, indices: null };
    const chains = [0, 1].map((c) => chainResult(c, runChain(quadratic([1, 2]), new Float32Array(2), settings, () => null, Rng.derive(c, 'io')), 0, 10, 0));
    const sampler = { method: 'canonical' as const, nbeta: 12.5, epsilon: 1e-5, epsilon_limit: 1e-4, lambda_max: 3, residual_scale: 80, rule: 'test' };
    const rows = [{ step: 5, target: 'all', estimate: { ...combineChains(0, chains), sampler }, norms: { 'embed.W_E': 0.5, 'unembed.W_U': 2 } }];
    const dir = mkdtempSync(join(tmpdir(), 'ss-llc-io-'));
    const base = { stage: 'llc', stageVersion: '1', config: { draws: 16 }, seed: 0, inputs: {}, extra: {} };
    writeEstimates(join(dir, 'e.arrow'), rows, base);
    writeChains(join(dir, 'c.arrow'), rows, base);
    writeTraces(join(dir, 't.arrow'), rows, 16, base);
    const e = readEstimates(join(dir, 'e.arrow')).rows[0];
    expect(e).toMatchObject({ step: 5, target: 'all', n_chains_ok: 2, method: 'canonical', nbeta: 12.5, epsilon: 1e-5, epsilon_limit: 1e-4, lambda_max: 3, residual_scale: 80 });
    expect(e.norms).toEqual({ 'embed.W_E': 0.5, 'unembed.W_U': 2 });
    expect(e.llc_mean).toBeCloseTo(rows[0].estimate.mean, 12);
    const c = readChains(join(dir, 'c.arrow')).rows;
    expect(c.map((r) => r.llc)).toEqual(chains.map((ch) => ch.llc));
    expect(c[0].flags).toEqual(Object.entries(chains[0].flags).filter(([, v]) => v).map(([k]) => k));
    const t = readTraces(join(dir, 't.arrow'));
    expect(t.rows).toHaveLength(2);
    expect(Array.from(t.rows[1].loss)).toEqual(Array.from(chains[1].trace.loss, Math.fround));
    rmSync(dir, { recursive: true, force: true });
  });
});
