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
  it('handles tiny runs', () => {
    expect(checkpointSteps(1, 60, 40)).toEqual([0, 1]);
    expect(checkpointSteps(5, 0, 0)).toEqual([0, 5]);
  });
});
