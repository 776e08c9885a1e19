/**
 * bench-chains.ts on a short run: it drives the llc stage's real worker pool on the ARENA
 * checkpoint and reports a rate consistent with its own timings.
 */
import { describe, expect, it } from 'vitest';
import { benchChains } from './bench-chains.ts';

describe('benchChains', () => {
  it('counts chains × draws SGLD steps per timed run and reports the median and range of the rates', async () => {
    const r = await benchChains({ batch: 16, chains: 2, draws: 10, workers: 1, reps: 3 });
    expect(r).not.toBeNull();
    const { seconds, stepsPerSecond } = r!;
    expect(seconds).toHaveLength(3);
    const rates = seconds.map((s) => 20 / s).sort((a, b) => a - b);
    expect(stepsPerSecond.min).toBeCloseTo(rates[0], 9);
    expect(stepsPerSecond.median).toBeCloseTo(rates[1], 9);
    expect(stepsPerSecond.max).toBeCloseTo(rates[2], 9);
    expect(stepsPerSecond.min).toBeGreaterThan(0);
    expect([r!.batch, r!.chains, r!.draws, r!.workers]).toEqual([16, 2, 10, 1]);
    expect(r!.byStream['box-muller']?.seconds).toEqual(seconds);
  }, 600_000); // ≈ 15 s idle; a busy machine is several times slower

  it('times each noise stream in turn (box-muller, then ziggurat, rep by rep)', async () => {
    const r = await benchChains({ batch: 16, chains: 2, draws: 10, workers: 1, reps: 2, streams: ['box-muller', 'ziggurat'] });
    expect(Object.keys(r!.byStream)).toEqual(['box-muller', 'ziggurat']);
    for (const s of ['box-muller', 'ziggurat'] as const) {
      expect(r!.byStream[s]!.seconds).toHaveLength(2);
      expect(r!.byStream[s]!.stepsPerSecond.min).toBeGreaterThan(0);
    }
    expect(r!.seconds).toEqual(r!.byStream['box-muller']!.seconds);
  }, 600_000); // ≈ 15 s idle; a busy machine is several times slower
});
