import { describe, expect, it } from 'vitest';
import { initParams } from '@sortscope/model';
import { adamState, TfjsEngine } from '@sortscope/engine';
import { runTraining, type TrainState } from './train-loop.ts';
import { smallTask } from './train-testing.ts';

/** A small sorting task that a small model learns in a few hundred steps. */
function setup(trainOver: Record<string, unknown> = {}, dataOver: Record<string, unknown> = {}) {
  return smallTask(
    { n_train: 4000, n_validation: 500, ...dataOver },
    { batch_size: 64, epochs: 6, lr: 3e-3, lr_end: 1e-3, checkpoints: { log_spaced: 8, linear: 4 }, eval: { validation_rows: 500, train_rows: 500 }, ...trainOver },
  );
}

function fresh(engine: TfjsEngine, seed: number): TrainState {
  return { step: 0, params: initParams(engine.cfg, engine.layout, seed), adam: adamState(engine.layout.size), logs: [], checkpoints: [] };
}

const clone = (s: TrainState): TrainState => structuredClone(s);

describe('training', () => {
  it('learns to sort a small task: validation loss < 0.1 and token accuracy > 97% after 378 steps', async () => {
    const { mc, cfg, data } = setup();
    const engine = await TfjsEngine.create(mc, { backend: 'wasm' });
    const ckpts: number[] = [];
    const end = runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: (_, m) => ckpts.push(m.validation.loss) });
    expect(end.step).toBe(6 * 63);
    const last = end.checkpoints.at(-1)!;
    expect(last.validation.loss).toBeLessThan(0.1);
    expect(last.validation.token_accuracy).toBeGreaterThan(0.97);
    expect(ckpts[0]).toBeGreaterThan(2.5); // ln(20) = 3.0 at initialisation
    expect(end.logs.length).toBe(Math.ceil(end.step / cfg.log_every));
    expect(end.checkpoints.every((c) => c.train_noisy === null)).toBe(true);
  }, 600_000);

  it('resumes from a checkpoint bitwise: same final weights as an uninterrupted run', async () => {
    const { mc, cfg, data } = setup({ epochs: 2 });
    const engine = await TfjsEngine.create(mc, { backend: 'wasm' });
    const whole = runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: () => {} });
    let saved: TrainState | null = null;
    let seen = 0;
    expect(() =>
      runTraining(engine, cfg, data, fresh(engine, cfg.seed), {
        onCheckpoint: (s) => {
          saved = clone(s);
          if (++seen === 5) throw new Error('killed');
        },
      }),
    ).toThrow('killed');
    expect(saved!.step).toBeGreaterThan(0);
    const resumed = runTraining(engine, cfg, data, saved!, { onCheckpoint: () => {} });
    expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(whole.params.buffer))).toBe(true);
    expect(resumed.checkpoints.map((c) => c.step)).toEqual(whole.checkpoints.map((c) => c.step));
    expect(resumed.logs).toEqual(whole.logs);
  }, 600_000);

  it('freeze: the run is the unfrozen one up to from_step, then the held slices are bit for bit constant and the rest trains', async () => {
    const { mc, cfg: free, data } = setup({ epochs: 2 });
    const { cfg: held } = setup({ epochs: 2, freeze: { params: ['blocks.0.attn', 'unembed.b_U'], from_step: 40 }, checkpoints: { log_spaced: 8, linear: 4, steps: [40] } });
    const engine = await TfjsEngine.create(mc, { backend: 'wasm' });
    const at40 = (cfg: typeof free) => {
      let p: Float32Array | null = null;
      const end = runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: (s) => { if (s.step === 40) p = s.params.slice(); } });
      return { p40: p as Float32Array | null, end };
    };
    const a = at40({ ...free, checkpoints: held.checkpoints });
    const b = at40(held);
    expect(Buffer.from(b.p40!.buffer).equals(Buffer.from(a.p40!.buffer))).toBe(true);
    const names = engine.layout.params.filter((p) => p.name.startsWith('blocks.0.attn.') || p.name === 'unembed.b_U');
    expect(names.length).toBe(9);
    let moved = 0;
    for (const p of engine.layout.params) {
      const end = b.end.params.subarray(p.offset, p.offset + p.size);
      const start = b.p40!.subarray(p.offset, p.offset + p.size);
      const same = Buffer.from(end.slice().buffer).equals(Buffer.from(start.slice().buffer));
      if (names.includes(p)) expect(same, p.name).toBe(true);
      else if (!same) moved++;
    }
    expect(moved).toBe(engine.layout.params.length - names.length); // every other parameter trained on
    expect(b.end.checkpoints.at(-1)!.validation.loss).not.toBe(a.end.checkpoints.at(-1)!.validation.loss);
    // resumed after from_step: the same final weights
    let saved: TrainState | null = null;
    expect(() => runTraining(engine, held, data, fresh(engine, held.seed), { onCheckpoint: (s) => { if (s.step > 60 && !saved) { saved = clone(s); throw new Error('killed'); } } })).toThrow('killed');
    const resumed = runTraining(engine, held, data, saved!, { onCheckpoint: () => {} });
    expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(b.end.params.buffer))).toBe(true);
  }, 900_000);

  it('freeze: a name that is no parameter is a config error naming the field', async () => {
    const { mc, cfg, data } = setup({ epochs: 1, max_steps: 2, freeze: { params: ['blocks.0.attn.W_X'] } });
    const engine = await TfjsEngine.create(mc, { backend: 'wasm' });
    expect(() => runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: () => {} })).toThrow(/train\.freeze\.params: 'blocks\.0\.attn\.W_X' names no parameter/);
  });

  it('stop_at: stops at the first checked step whose training-sample loss is at most the target, recorded as the last checkpoint; resumes to the same step', async () => {
    const { mc, cfg: free, data } = setup({ epochs: 2 });
    const engine = await TfjsEngine.create(mc, { backend: 'wasm' });
    const whole = runTraining(engine, free, data, fresh(engine, free.seed), { onCheckpoint: () => {} });
    // a target between the losses of two checkpoints of the whole run
    const losses = whole.checkpoints.map((c) => c.train.loss);
    const target = (losses[3] + losses[4]) / 2;
    const cfg = { ...free, stop_at: { train_loss: target, every: 5 } };
    const written: number[] = [];
    const end = runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: (s) => written.push(s.step) });
    expect(end.step).toBeGreaterThan(whole.checkpoints[3].step - 5);
    expect(end.step).toBeLessThan(whole.checkpoints[4].step + 5);
    expect(end.step % 5).toBe(0);
    expect(end.checkpoints.at(-1)!.step).toBe(end.step);
    expect(end.checkpoints.at(-1)!.train.loss).toBeLessThanOrEqual(target);
    expect(written.at(-1)).toBe(end.step);
    // every earlier multiple of 5 was above the target: re-evaluate the checkpoints before it
    expect(end.checkpoints.slice(0, -1).every((c) => c.step % 5 !== 0 || c.step === 0 || c.train.loss > target)).toBe(true);
    // killed mid-way and resumed: the same stop
    let saved: TrainState | null = null;
    expect(() => runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: (s) => { if (s.step >= whole.checkpoints[2].step && !saved) { saved = clone(s); throw new Error('killed'); } } })).toThrow('killed');
    const resumed = runTraining(engine, cfg, data, saved!, { onCheckpoint: () => {} });
    expect(resumed.step).toBe(end.step);
    expect(Buffer.from(resumed.params.buffer).equals(Buffer.from(end.params.buffer))).toBe(true);
  }, 900_000);

  it('reports noisy and clean training rows separately on noisy data', async () => {
    const { mc, cfg, data } = setup({ epochs: 1, max_steps: 20 }, { noise: { kind: 'permute', p: 0.5 } });
    const engine = await TfjsEngine.create(mc, { backend: 'wasm' });
    const end = runTraining(engine, cfg, data, fresh(engine, cfg.seed), { onCheckpoint: () => {} });
    const c = end.checkpoints.at(-1)!;
    expect(c.train_noisy!.rows + c.train_clean!.rows).toBe(500);
    expect(Math.abs(c.train_noisy!.rows / 500 - 0.5)).toBeLessThan(0.1);
    expect(c.train_noisy_vs_clean_targets!.rows).toBe(c.train_noisy!.rows);
  }, 600_000);
});
