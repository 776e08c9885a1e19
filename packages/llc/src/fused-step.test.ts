/**
 * The fused engine's whole SGLD step (engine.sgldStep through problem.ts) against the reference
 * (lossAndGrad, the tilt of tilt.ts, then chainStep), bit for bit: the stepped weights, the
 * tilted loss, the sums, the kept drift and weights, and the noise stream's state afterwards —
 * on the ARENA checkpoint, with and without tilt, sampled indices, preconditioner, weight decay
 * and noise, both noise streams, on 1 and 2 threads. And the control variate's L_B(w0) from the
 * whole-set per-token losses (rowBaseline) against a forward pass on the batch itself.
 */
import { Rng } from '@sortscope/core';
import { FusedEngine } from '@sortscope/engine';
import { canonicalForm, loadWeights } from '@sortscope/model';
import { ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainBuffers, preconditioning, referenceStep, type StepArgs, SUM_BLOCK } from './chain-step.ts';
import { engineProblem, rowBaseline, tokenStream } from './problem.ts';
import type { SgldParams } from './sgld.ts';
import { tiltedProblem } from './tilt.ts';

const arena = loadWeights(ARENA_WEIGHTS);
const { cfg, params: w0 } = canonicalForm(arena.cfg, arena.params);
const tokens = arenaEvalTokens();
const ROWS = 10_000;
const engines: FusedEngine[] = [];

beforeAll(async () => {
  engines.push(await FusedEngine.create(cfg, { threads: 1 }), await FusedEngine.create(cfg, { threads: 2 }));
});
afterAll(() => engines.forEach((e) => e.dispose()));

const bits = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

interface Case {
  name: string;
  tilt?: boolean;
  indexed?: boolean;
  pre?: boolean;
  sgld?: Partial<SgldParams>;
  noise?: boolean;
}

const cases: Case[] = [
  { name: 'ziggurat, tilted (the canonical default)', tilt: true, sgld: { noise_stream: 'ziggurat' } },
  { name: 'box-muller, tilted', tilt: true, sgld: { noise_stream: 'box-muller' } },
  { name: 'ziggurat, untilted, weight decay', sgld: { noise_stream: 'ziggurat', weight_decay: 0.01 } },
  { name: 'ziggurat, indexed, preconditioned, tilted', tilt: true, indexed: true, pre: true, sgld: { noise_stream: 'ziggurat' } },
  { name: 'box-muller, indexed, noise level 0.5', indexed: true, sgld: { noise_stream: 'box-muller', noise_level: 0.5 } },
  { name: 'no noise stream', tilt: true, noise: false },
];

describe('the fused engine SGLD step', () => {
  const size = w0.length;
  // a tilt of the gradient's size; sampled coordinates spanning several sum blocks, out of order
  const g0 = new Float32Array(size);
  Rng.derive(7, 'g0').fillNormal(g0, 0.01);
  const indices = Rng.derive(8, 'idx').permutation(size).subarray(0, Math.floor(size / 3));
  it('covers several sum blocks', () => expect(indices.length).toBeGreaterThan(2 * SUM_BLOCK));

  for (const c of cases)
    it(`is the reference bit for bit: ${c.name}`, () => {
      const sgld: SgldParams = { epsilon: 2e-6, gamma: 10_000, nbeta: 9_000, weight_decay: 0, noise_level: 1, ...c.sgld };
      const idx = c.indexed ? indices : null;
      const m = idx ? idx.length : size;
      const P = c.pre ? preconditioning(Float64Array.from({ length: m }, (_, k) => 0.5 + ((k * 7919) % 13) / 10)) : null;
      const refEngine = engines[0];
      const ref = c.tilt ? tiltedProblem(engineProblem(refEngine), w0, g0, idx) : engineProblem(refEngine);
      const batches = tokenStream(tokens, ROWS, cfg.n_ctx, 64, (e) => Rng.derive(1, 'data', e));
      const steps = Array.from({ length: 4 }, () => batches());
      for (const engine of engines) {
        const fused = c.tilt ? tiltedProblem(engineProblem(engine), w0, g0, idx) : engineProblem(engine);
        expect(fused.step).toBeDefined();
        const [wa, wb] = [w0.slice(), w0.slice()];
        const noise = c.noise === false ? [null, null] : [Rng.derive(2, 'noise'), Rng.derive(2, 'noise')];
        const [ba, bb] = [chainBuffers(m), chainBuffers(m)];
        for (const [s, batch] of steps.entries()) {
          const keep = s % 2 === 1;
          const a = (rng: Rng | null, buf: ReturnType<typeof chainBuffers>): StepArgs => ({ sgld, w0, indices: idx, noise: rng, pre: P, buf, keepBefore: keep });
          const want = referenceStep(ref, wa, batch, a(noise[0], ba));
          const got = fused.step!(wb, batch, a(noise[1], bb));
          expect(got).toEqual(want);
          expect(bits(wb)).toBe(bits(wa));
          expect(bits(wb)).not.toBe(bits(w0)); // the step moved w
          if (keep) expect([bits(bb.g), bits(bb.before)]).toEqual([bits(ba.g), bits(ba.before)]);
        }
        if (noise[0]) expect(noise[1]!.nextU32()).toBe(noise[0].nextU32());
      }
    });
});

describe('the control variate from the whole-set pass', () => {
  it('gives L_B(w0) of every minibatch bit for bit as a forward pass on the batch', () => {
    const engine = engines[0];
    const n = cfg.list_length;
    // the whole-set pass's per-token losses, in its ranges of rows
    const nll = new Float32Array(ROWS * n);
    for (let start = 0; start < ROWS; start += 4096) {
      const range = { tokens: tokens.subarray(start * cfg.n_ctx, (start + 4096) * cfg.n_ctx), rows: Math.min(4096, ROWS - start) };
      const r = engine.lossAndGradWithNll(w0, range);
      expect(bits(r.nll)).toBe(bits(engine.evaluate(w0, range).nll)); // the training pass's losses are evaluate's
      nll.set(r.nll, start * n);
    }
    const baseline = rowBaseline(nll, n);
    const problem = engineProblem(engine);
    for (const B of [32, 128, 500]) {
      const batches = tokenStream(tokens, ROWS, cfg.n_ctx, B, (e) => Rng.derive(B, 'data', e));
      for (let k = 0; k < 6; k++) {
        const batch = batches();
        expect(baseline(batch)).toBe(problem.loss!(w0, batch));
      }
    }
  });

  it('refuses a batch that does not carry its rows', () => {
    expect(() => rowBaseline(new Float32Array(10), 10)({ tokens: new Uint8Array(21), rows: 1 })).toThrow(/training rows/);
  });
});
