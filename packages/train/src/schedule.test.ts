import { describe, expect, it } from 'vitest';
import { checkpointSteps, learningRate } from './schedule.ts';

describe('learning-rate schedules', () => {
  it("linear-per-epoch goes 1e-3 → 1e-4 in 25 constant epochs (ARENA's)", () => {
    const lr = (s: number) => learningRate('linear-per-epoch', 1e-3, 1e-4, s, 293, 25);
    expect(lr(0)).toBe(1e-3);
    expect(lr(292)).toBe(1e-3);
    expect(lr(293)).toBeCloseTo(1e-3 - 9e-4 / 24, 15);
    expect(lr(7324)).toBeCloseTo(1e-4, 15);
  });
  it('cosine starts at lr and ends at lr_end; constant is constant', () => {
    expect(learningRate('cosine', 1e-3, 1e-5, 0, 10, 10)).toBeCloseTo(1e-3, 15);
    expect(learningRate('cosine', 1e-3, 1e-5, 50, 10, 10)).toBeCloseTo((1e-3 + 1e-5) / 2, 15);
    expect(learningRate('cosine', 1e-3, 1e-5, 100, 10, 10)).toBeCloseTo(1e-5, 15);
    expect(learningRate('constant', 3e-4, 0, 77, 10, 10)).toBe(3e-4);
  });
  it('constant with anneal_epochs: the constant run, then a linear per-epoch step down to lr_end', () => {
    // 30 epochs of 293 steps, the last 5 annealed from 1e-3 to 1e-4
    const lr = (s: number) => learningRate('constant', 1e-3, 1e-4, s, 293, 30, 5);
    for (const s of [0, 293, 25 * 293 - 1]) expect(lr(s)).toBe(1e-3);
    expect(lr(25 * 293)).toBeCloseTo(1e-3 - 9e-4 / 5, 15);
    expect(lr(27 * 293 + 10)).toBeCloseTo(1e-3 - (3 * 9e-4) / 5, 15);
    expect(lr(29 * 293)).toBeCloseTo(1e-4, 15);
    expect(lr(30 * 293 - 1)).toBeCloseTo(1e-4, 15);
    // annealing every epoch reaches lr_end at the last one
    expect(learningRate('constant', 1e-3, 1e-4, 0, 10, 3, 3)).toBeCloseTo(1e-3 - 9e-4 / 3, 15);
    expect(learningRate('constant', 1e-3, 1e-4, 25, 10, 3, 3)).toBeCloseTo(1e-4, 15);
  });
});

describe('checkpoint schedule', () => {
  it('default: about 100 steps, log-dense early, including 0 and the last', () => {
    const s = checkpointSteps(7325, 60, 40);
    expect(s[0]).toBe(0);
    expect(s.at(-1)).toBe(7325);
    expect(s.length).toBeGreaterThanOrEqual(85);
    expect(s.length).toBeLessThanOrEqual(100);
    expect(s.filter((x) => x <= 293).length).toBeGreaterThanOrEqual(30); // a third of them in the first epoch
    expect([...s].sort((a, b) => a - b)).toEqual(s);
    expect(new Set(s).size).toBe(s.length);
  });
  it('adds the extra steps, ignoring those past the end', () => {
    const base = checkpointSteps(8790, 60, 40);
    expect(base).not.toContain(7325);
    const s = checkpointSteps(8790, 60, 40, [7325, 1831, 9000]);
    expect(s).toEqual([...new Set([...base, 7325, 1831])].sort((a, b) => a - b));
  });
  it('handles tiny runs', () => {
    expect(checkpointSteps(1, 60, 40)).toEqual([0, 1]);
    expect(checkpointSteps(5, 0, 0)).toEqual([0, 5]);
  });
});

describe('the schedule fields of the train section', () => {
  it('anneal_epochs needs schedule constant and at most epochs, and says so on the field', async () => {
    const { TrainConfigSchema } = await import('./schema.ts');
    const msg = (over: Record<string, unknown>) => {
      const r = TrainConfigSchema.safeParse(over);
      return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(msg({ schedule: 'constant', epochs: 30, anneal_epochs: 5 })).toBeNull();
    expect(msg({ anneal_epochs: 5 })).toBe("anneal_epochs: anneal_epochs needs schedule 'constant' (it is 'linear-per-epoch')");
    expect(msg({ schedule: 'constant', epochs: 3, anneal_epochs: 5 })).toBe('anneal_epochs: anneal_epochs (5) is more than epochs (3)');
    expect(msg({ freeze: { params: [] } })).toMatch(/^freeze\.params: /);
    // optional fields leave the resolved config, hence every cache key, as it was
    expect(Object.keys(TrainConfigSchema.parse({})).filter((k) => ['anneal_epochs', 'freeze'].includes(k))).toEqual([]);
    expect(TrainConfigSchema.parse({}).checkpoints).toEqual({ log_spaced: 60, linear: 40 });
  });
});
