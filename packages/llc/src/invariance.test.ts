/**
 * The ARENA checkpoint and its reparametrizations (train/symmetries.ts): every symmetry the model
 * has maps it to the same canonical form, so the canonical estimator gives the same λ̂ (identical
 * chains here: same form, same seeds); the devinterp estimator on the raw weights does not —
 * rescaling the residual-stream writers by 2 (and ln_eps by 4), which changes no output,
 * divides its λ̂ by about 4 (docs/llc.md). Short chains: this checks the mechanism, not the value.
 */
import { Rng } from '@sortscope/core';
import { applySymmetry, canonicalForm, loadWeights, type ModelConfig, SYMMETRIES, symmetryApplies } from '@sortscope/model';
import { FusedEngine } from '@sortscope/engine';
import { ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';
import { describe, expect, it } from 'vitest';
import { estimateLlc } from './estimate.ts';
import { prepare, sampledFor } from './prepare.ts';
import { engineProblem, tokenStreams } from './problem.ts';

const w = loadWeights(ARENA_WEIGHTS);
const tokens = arenaEvalTokens();

async function llc(method: 'canonical' | 'sgld', cfg: ModelConfig, params: Float32Array, sgld: { epsilon: number; gamma: number; nbeta: number }) {
  const p = prepare(method, cfg, params);
  const engine = await FusedEngine.create(p.cfg, { threads: 1 });
  try {
    const streams = tokenStreams(tokens, 10_000, cfg.n_ctx, 32, 0, 'all');
    const settings = { sgld: { ...sgld, weight_decay: 0, noise_level: 1 }, draws: 40, burnin: 20, stepsBetweenDraws: 1, indices: sampledFor({ kind: 'all' }, p), acceptanceEvery: 0 };
    return estimateLlc(engineProblem(engine), p.w0, settings, streams, 1).mean;
  } finally {
    engine.dispose();
  }
}

describe('the ARENA checkpoint under its symmetries', () => {
  const base = canonicalForm(w.cfg, w.params);
  const symmetries = SYMMETRIES.filter((s) => symmetryApplies(s, w.cfg) && s !== 'reader-shift' && s !== 'head-permutation');

  it.each(symmetries)('%s leaves the canonical form unchanged', (s) => {
    const t = applySymmetry(s, w.cfg, w.params, Rng.derive(1, s), 0.5);
    const c = canonicalForm(t.cfg, t.params);
    expect(c.cfg.ln_eps / base.cfg.ln_eps).toBeCloseTo(1, 5);
    let worst = 0;
    for (let i = 0; i < c.params.length; i++) worst = Math.max(worst, Math.abs(c.params[i] - base.params[i]));
    expect(worst).toBeLessThan(1e-3); // entries are O(1) in the canonical form
  });

  it('canonical λ̂ is unchanged by a residual rescaling, devinterp λ̂ is divided by about c²', async () => {
    const t = applySymmetry('residual-scale', w.cfg, w.params, Rng.derive(2, 'fixed'), 0.5);
    const c2 = t.cfg.ln_eps / w.cfg.ln_eps; // c²
    expect(Math.abs(Math.log(c2))).toBeGreaterThan(0.5);
    const canon = { epsilon: 3e-6, gamma: 100, nbeta: 12_600 };
    const a = await llc('canonical', w.cfg, w.params, canon);
    const b = await llc('canonical', t.cfg, t.params, canon);
    expect(Math.abs(b - a) / a).toBeLessThan(0.02);
    const raw = { epsilon: 1e-6, gamma: 1e5, nbeta: 64 / Math.log(64) }; // the studies' former setting
    const ra = await llc('sgld', w.cfg, w.params, raw);
    const rb = await llc('sgld', t.cfg, t.params, raw);
    expect(rb / ra).toBeGreaterThan(0.5 / c2);
    expect(rb / ra).toBeLessThan(2 / c2);
  }, 300_000);
});
