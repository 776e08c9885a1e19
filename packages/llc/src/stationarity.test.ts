/**
 * Checkpoints that are not minima of the loss (docs/llc.md, "At a minimum"), through the stage's own
 * runner (workers, whole-set pass, Newton decrement, flags): the ARENA checkpoint with its logits
 * cooled (W_U, b_U × 0.9: only the temperature changes, the loss rises) and a checkpoint taken 40
 * Adam steps into training at lr 1e-3. Untilted, both are flagged not_minimum; tilted at the
 * checkpoint (relax: false), the decrement is reported and removed; relaxed (the default, relax.ts),
 * the trained points reach the minimum of the sampled potential in a few Newton steps, close by, and
 * the early one reaches it too, far away (since llc 7, whose relaxation may take 30 steps: 7 here, to
 * ‖w* − w0‖ 3.4 with the loss halved; the record says so, docs/llc.md). Short chains on the 10,000 evaluation lists: this checks the mechanism.
 */
import { adamState, adamStep, createEngine } from '@sortscope/engine';
import { initParams, loadWeights, paramLayout, spec } from '@sortscope/model';
import { ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineProblem, tokenStream } from './problem.ts';
import { LlcRunner } from './run.ts';
import { LlcConfigSchema } from './schema.ts';
import { Rng } from '@sortscope/core';

const w = loadWeights(ARENA_WEIGHTS);
const tokens = arenaEvalTokens();
const data = { tokens, rows: 10_000 };
// γ/nβ ≈ 0.09 as the default's on 150,000 lists; fixed-length short chains
const config = LlcConfigSchema.parse({ gamma: 1000, chains: 2, draws: 60, burnin: 30, max_draws: 60 });

function cooled(): Float32Array {
  const p = w.params.slice();
  const layout = paramLayout(w.cfg);
  for (const name of ['unembed.W_U', 'unembed.b_U']) {
    const s = spec(layout, name);
    for (let i = s.offset; i < s.offset + s.size; i++) p[i] *= 0.9;
  }
  return p;
}

async function early(): Promise<Float32Array> {
  const layout = paramLayout(w.cfg);
  const p = initParams(w.cfg, layout, 3);
  const engine = await createEngine(w.cfg, { threads: 1 });
  try {
    const problem = engineProblem(engine);
    const batches = tokenStream(tokens, 10_000, w.cfg.n_ctx, 128, (e) => Rng.derive(3, 'early', e));
    const state = adamState(layout.size);
    for (let s = 0; s < 40; s++) adamStep({ kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.005 }, p, problem.lossAndGrad(p, batches()).grad, state, 1e-3);
  } finally {
    engine.dispose();
  }
  return p;
}

describe('checkpoints that are not minima of the loss', () => {
  let runner: LlcRunner;
  beforeAll(async () => {
    runner = await LlcRunner.start(w.cfg, data, { workers: 2 });
  });
  afterAll(() => runner.close());

  it('cooled logits and an early checkpoint: untilted → not_minimum; tilted only → not flagged; relaxed (the default) → the fixture and the cooled copy relax in a few Newton steps close by, the early checkpoint to a minimum far away', async () => {
    const points = { fixture: w.params, cooled: cooled(), early: await early() };
    const out: Record<string, { plain: number; tilted: number; relaxedDec: number; llcPlain: number; flagged: boolean; tiltFlagged: boolean; relaxFlagged: boolean; relax: { iterations: number; converged: boolean; drop: number; distance: number; loss0: number; loss: number } }> = {};
    for (const [name, p] of Object.entries(points)) {
      const [plain, tilted, relaxed] = await runner.estimate(p, [
        { config: { ...config, tilt: false }, target: { kind: 'all' } },
        { config: { ...config, relax: false }, target: { kind: 'all' } },
        { config, target: { kind: 'all' } },
      ]);
      const r = relaxed.stationarity!.relaxation!;
      out[name] = {
        plain: plain.stationarity!.decrement,
        tilted: tilted.stationarity!.decrement,
        relaxedDec: relaxed.stationarity!.decrement,
        llcPlain: plain.mean,
        flagged: plain.chains.every((c) => c.flags.not_minimum),
        tiltFlagged: tilted.chains.some((c) => c.flags.not_minimum),
        relaxFlagged: relaxed.chains.every((c) => c.flags.not_minimum),
        relax: r,
      };
      expect(plain.stationarity!.tilt).toBe(false);
      expect(plain.stationarity!.relaxation).toBeNull();
      expect(tilted.stationarity!.tilt).toBe(true);
      expect(tilted.stationarity!.relaxation).toBeNull();
      expect(relaxed.stationarity!.tilt).toBe(true);
      // the decrement is of the loss at the checkpoint whatever is done with it (the relaxation's first Newton iteration)
      expect(out[name].tilted).toBeCloseTo(out[name].plain, 6);
      expect(out[name].relaxedDec).toBeCloseTo(out[name].plain, 6);
    }
    // cooling the logits moves the checkpoint further from a minimum of the loss
    expect(out.cooled.plain).toBeGreaterThan(out.fixture.plain);
    for (const name of ['cooled', 'early'] as const) {
      expect(out[name].flagged, `${name} untilted: decrement ${out[name].plain} against λ̂ ${out[name].llcPlain}`).toBe(true);
      expect(out[name].tiltFlagged).toBe(false);
    }
    for (const name of ['fixture', 'cooled'] as const) {
      expect(out[name].relax.converged, JSON.stringify(out[name].relax)).toBe(true);
      expect(out[name].relaxFlagged).toBe(false);
      // the relaxation drops U by about the decrement (0.71–1.0 here; 0.97–1.01 on the full training set, docs/llc.md)
      expect(out[name].relax.drop / out[name].plain).toBeGreaterThan(0.5);
      expect(out[name].relax.drop / out[name].plain).toBeLessThan(1.5);
    }
    // the early checkpoint: a minimum of U exists, far beyond the trained points' (0.27 and 0.40 on the full
    // training set, docs/llc.md), where the model is another one: its loss falls by more than a third
    expect(out.early.relax.converged, JSON.stringify(out.early.relax)).toBe(true);
    expect(out.early.relax.distance).toBeGreaterThan(4 * Math.max(out.fixture.relax.distance, out.cooled.relax.distance));
    expect(out.early.relax.loss / out.early.relax.loss0).toBeLessThan(2 / 3);
    for (const name of ['fixture', 'cooled'] as const) expect(out[name].relax.loss / out[name].relax.loss0).toBeGreaterThan(0.6);
    // since llc 7 the early checkpoint's 30-step relaxation makes this the suite's longest test: 820 s
    // and over 900 s beside the claims study's two LLC tasks (llc 6.1: 252 s), so the limit is 3× that
  }, 2_700_000);
});
