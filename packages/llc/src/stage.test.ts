import { describe, expect, it } from 'vitest';
import { LlcConfigSchema } from './schema.ts';
import { selectCheckpoints } from './stage.ts';

const sel = (over: Record<string, unknown>) => LlcConfigSchema.parse({ checkpoints: over }).checkpoints;
const steps = [0, 10, 20, 30, 40, 50, 57];

describe('selectCheckpoints', () => {
  it('every k-th and always the last; or exactly the named steps', () => {
    expect(selectCheckpoints(steps, sel({}))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(selectCheckpoints(steps, sel({ every: 4 }))).toEqual([0, 4, 6]);
    expect(selectCheckpoints(steps, sel({ steps: [20, 50] }))).toEqual([2, 5]);
    expect(() => selectCheckpoints(steps, sel({ steps: [21] }))).toThrow('llc.checkpoints.steps: got 21; expected one of the checkpoint steps 0, 10, 20, 30, 40, 50, 57');
  });
  it('last: the last checkpoint whatever its step, alone or beside the named steps', () => {
    expect(selectCheckpoints(steps, sel({ last: true }))).toEqual([6]);
    expect(selectCheckpoints(steps, sel({ last: true, steps: [20] }))).toEqual([2, 6]);
    expect(selectCheckpoints(steps, sel({ last: true, steps: [20, 57] }))).toEqual([2, 6]);
    expect(selectCheckpoints([0, 10, 33], sel({ last: true }))).toEqual([2]);
  });
  it('the resolved defaults carry no `last` (every existing cache key is unchanged)', () => {
    expect(sel({})).toEqual({ every: 1, steps: [] });
  });
});
