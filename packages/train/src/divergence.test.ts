/**
 * The divergence rule (train-loop.ts, `divergence`): a run whose loss explodes or turns non-finite
 * stops with TrainingDiverged (exit code 5), names the step and the learning rate, and never hands
 * a checkpoint past the last finite one to onCheckpoint.
 */
import { DatasetConfigSchema } from '@sortscope/dataset';
import { describe, expect, it } from 'vitest';
import { FusedEngine, adamState } from '@sortscope/engine';
import { initParams } from '@sortscope/model';
import { TrainConfigSchema } from './schema.ts';
import { divergence, runTraining, TrainingDiverged, type TrainState } from './train-loop.ts';
import { smallTask } from './train-testing.ts';

function setup(trainOver: Record<string, unknown>) {
  return smallTask({ n_train: 1000, n_validation: 200 }, { batch_size: 50, epochs: 4, checkpoints: { log_spaced: 10, linear: 10 }, eval: { validation_rows: 200, train_rows: 200 }, ...trainOver });
}

async function train(over: Record<string, unknown>) {
  const { mc, cfg, data } = setup(over);
  const engine = await FusedEngine.create(mc, { threads: 1 });
  const written: { step: number; finite: boolean; validation: number }[] = [];
  const state: TrainState = { step: 0, params: initParams(mc, engine.layout, cfg.seed), adam: adamState(engine.layout.size), logs: [], checkpoints: [] };
  try {
    runTraining(engine, cfg, data, state, { onCheckpoint: (s, m) => written.push({ step: s.step, finite: s.params.every(Number.isFinite), validation: m.validation.loss }) });
    return { error: null, written };
  } catch (err) {
    return { error: err, written };
  } finally {
    engine.dispose();
  }
}

describe('divergence', () => {
  it('lr 10: stops with exit code 5 once the validation loss passes 3× its step-0 value, naming the step and train.lr', async () => {
    const { error, written } = await train({ lr: 10, lr_end: 10, schedule: 'constant' });
    expect(error).toBeInstanceOf(TrainingDiverged);
    const e = error as TrainingDiverged;
    expect(e.exitCode).toBe(5);
    expect(e.message).toMatch(/training diverged at step \d+/);
    expect(e.message).toMatch(/train\.lr \(10\.0 at that step/);
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((w) => w.finite && Number.isFinite(w.validation))).toBe(true);
    // every checkpoint handed over obeys the rule
    expect(written.every((w) => w.validation <= divergence.FACTOR * written[0].validation || w.step < divergence.WARMUP_MIN_STEPS)).toBe(true);
  }, 300_000);

  it('lr 1e3 (parameters overflow to NaN): stops with exit code 5, no non-finite checkpoint', async () => {
    const { error, written } = await train({ lr: 1e3, lr_end: 1e3, schedule: 'constant', eps: 1e-30 });
    expect(error).toBeInstanceOf(TrainingDiverged);
    expect(written.every((w) => w.finite && Number.isFinite(w.validation))).toBe(true);
  }, 300_000);

  it('a healthy run is not stopped', async () => {
    const { error, written } = await train({ lr: 3e-3, lr_end: 1e-3, epochs: 2 });
    expect(error).toBeNull();
    expect(written.at(-1)!.validation).toBeLessThan(written[0].validation);
  }, 300_000);

  it('the schema refuses beta1/beta2 ≥ 1 and unbounded sizes, naming the field', () => {
    for (const [over, field] of [
      [{ beta1: 1 }, 'beta1'],
      [{ beta2: 1.5 }, 'beta2'],
      [{ epochs: 1e7 }, 'epochs'],
      [{ batch_size: 1e8 }, 'batch_size'],
      [{ lr: 1e9 }, 'lr'],
    ] as const) {
      const r = TrainConfigSchema.safeParse(over);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].path).toEqual([field]);
    }
    expect(DatasetConfigSchema.safeParse({ n_validation: 0 }).success).toBe(false);
  });
});
