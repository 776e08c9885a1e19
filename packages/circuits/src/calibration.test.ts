import { describe, expect, it } from 'vitest';
import { Rng } from '@sortscope/core';
import { loadWeights, paramLayout, referenceLoss } from '@sortscope/model';
import { ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';
import { createEngine, evaluateTokens, summarize } from '@sortscope/engine';
import { CalibrationAccumulator, calibrationReport } from './calibration.ts';
import { randomParams, SMALL_CFG } from './testing.ts';

/** Sorted-list rows for SMALL_CFG: 4 distinct numbers of 0..10, SEP (11), the sorted 4. */
function rows(count: number, seed: number): Uint8Array {
  const rng = Rng.derive(seed, 'calibration-test');
  const out = new Uint8Array(count * SMALL_CFG.n_ctx);
  for (let r = 0; r < count; r++) {
    const xs = Array.from(rng.permutation(11).subarray(0, 4));
    out.set([...xs, 11, ...[...xs].sort((a, b) => a - b)], r * SMALL_CFG.n_ctx);
  }
  return out;
}

describe('CalibrationAccumulator', () => {
  it('ECE, reliability, confidence on wrong tokens: analytic cases', () => {
    const l = [0, Math.log(3)]; // p = (0.25, 0.75): confidence 0.75 on token 1
    const a = new CalibrationAccumulator(15);
    for (const t of [1, 1, 1, 0]) a.add(l, t);
    const r = a.result();
    expect(r.accuracy).toBe(0.75);
    expect(r.mean_confidence).toBeCloseTo(0.75, 15);
    expect(r.ece).toBeCloseTo(0, 15); // perfectly calibrated
    expect(r.confidence_wrong).toBeCloseTo(0.75, 15);
    expect(r.loss).toBeCloseTo((3 * -Math.log(0.75) - Math.log(0.25)) / 4, 14);
    expect(r.entropy).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 14);
    const bin = r.reliability.find((b) => b.count > 0)!;
    expect([bin.lo, bin.hi, bin.count]).toEqual([11 / 15, 12 / 15, 4]);
    const b = new CalibrationAccumulator(10);
    b.add(l, 0);
    b.add([5, 0], 0); // confidence 1/(1 + e^-5), correct
    const rb = b.result();
    const c2 = 1 / (1 + Math.exp(-5));
    expect(rb.ece).toBeCloseTo(0.5 * 0.75 + 0.5 * (1 - c2), 14);
    expect(rb.overconfidence).toBeCloseTo((0.75 + c2 - 1) / 2, 14);
    expect(new CalibrationAccumulator().result().confidence_wrong).toBeNull();
  });
});

describe('calibrationReport', () => {
  it("its clean pass is the model's: the loss equals the float64 reference, with and without LayerNorm", () => {
    for (const layer_norm of [true, false]) {
      const cfg = { ...SMALL_CFG, layer_norm };
      const params = randomParams(cfg, 3);
      const toks = rows(64, 1);
      expect(calibrationReport(cfg, params, toks, 64).clean.loss).toBeCloseTo(referenceLoss(cfg, params, toks, 64), 12);
    }
  });

  it('removes only the negative self-token effects: some in a random model, none from a head that writes nothing', () => {
    const params = randomParams(SMALL_CFG, 5);
    const toks = rows(64, 2);
    const rep = calibrationReport(SMALL_CFG, params, toks, 64);
    for (const h of rep.suppression_removed) expect(h.removed_logit).toBeGreaterThan(0);
    // the input list's and the written outputs' sources partition every source but SEP
    for (const head of [0, 1]) {
      const by = Object.fromEntries(rep.suppression_removed.filter((x) => x.head === head).map((x) => [x.sources, x.removed_logit]));
      expect(by.inputs + by.outputs).toBeCloseTo(by.all, 12);
    }
    // head 1's W_O zero: its direct effects vanish, so removing them changes nothing
    const spec = { offset: 0 };
    const WO = paramLayout(SMALL_CFG).params.find((p) => p.name === 'blocks.0.attn.W_O')!;
    spec.offset = WO.offset + 1 * SMALL_CFG.d_head * SMALL_CFG.d_model;
    const quiet = params.slice();
    quiet.fill(0, spec.offset, spec.offset + SMALL_CFG.d_head * SMALL_CFG.d_model);
    const q = calibrationReport(SMALL_CFG, quiet, toks, 64);
    for (const x of q.suppression_removed.filter((x) => x.head === 1)) {
      expect(x.removed_logit).toBe(0);
      expect(x.calibration).toEqual(q.clean);
    }
    expect(q.suppression_removed.find((x) => x.head === 0 && x.sources === 'all')!.calibration).not.toEqual(q.clean);
  });

  it("the ARENA checkpoint: the clean pass gives the engine's loss and accuracy on 1,000 lists", async () => {
    const w = loadWeights(ARENA_WEIGHTS, { quiet: true });
    const toks = arenaEvalTokens().subarray(0, 1000 * w.cfg.n_ctx);
    const engine = await createEngine(w.cfg, {});
    try {
      const s = summarize(evaluateTokens(engine, w.params, toks, 1000), w.cfg.list_length);
      const rep = calibrationReport(w.cfg, w.params, toks, 1000);
      expect(rep.clean.tokens).toBe(10_000);
      expect(rep.clean.loss).toBeCloseTo(s.loss, 5);
      expect(rep.clean.accuracy).toBeCloseTo(s.token_accuracy, 3);
      expect(rep.suppression_removed.map((h) => `${h.head} ${h.sources}`)).toEqual(['0 all', '0 inputs', '0 outputs', '1 all', '1 inputs', '1 outputs']);
    } finally {
      engine.dispose();
    }
  }, 300_000);

  it('refuses models of more than one layer', () => {
    expect(() => calibrationReport({ ...SMALL_CFG, n_layers: 2 }, new Float32Array(0), new Uint8Array(0), 0)).toThrow('one-layer models');
  });
});
