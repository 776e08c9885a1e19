/**
 * The sweep grids of `llc diagnose`: which configs each part of --sweep estimates, relative to
 * the config's γ, nβ and draws, and the parse of --only.
 */
import { describe, expect, it } from 'vitest';
import { parseSweepParts, SWEEP_PARTS, sweepConfigs } from './diagnose.ts';
import { LlcConfigSchema } from './schema.ts';

const config = LlcConfigSchema.parse({ draws: 1000 });

describe('diagnose sweeps', () => {
  it('every part: γ ×¼…×4, four ε fractions, nβ ×0.3/1/3 at fixed γ and at fixed γ/nβ, lengths ×1/2/4 fixed', () => {
    const all = sweepConfigs(config, 1000);
    const of = (s: string) => all.filter((g) => g.sweep === s);
    expect(of('gamma').map((g) => g.config.gamma)).toEqual([2500, 5000, 10000, 20000, 40000]);
    expect(of('epsilon_fraction').map((g) => g.config.epsilon_fraction)).toEqual([0.025, 0.05, 0.1, 0.2]);
    expect(of('nbeta').map((g) => [g.config.nbeta, g.config.gamma])).toEqual([[300, undefined], [1000, undefined], [3000, undefined]]);
    const fixed = of('nbeta_fixed_resolution').map((g) => g.config.gamma! / g.config.nbeta!);
    for (const r of fixed) expect(r).toBeCloseTo(10, 12); // γ/nβ held at the config's 10,000 / 1,000
    expect(of('length').map((g) => [g.config.draws, g.config.max_draws])).toEqual([[1000, 1000], [2000, 2000], [4000, 4000]]);
    expect(all).toHaveLength(5 + 4 + 6 + 3);
  });

  it('a list of parts runs only those; no sweep runs none; a fixed ε has no ε sweep', () => {
    expect(sweepConfigs(config, 1000, ['length']).map((g) => g.sweep)).toEqual(['length', 'length', 'length']);
    expect(new Set(sweepConfigs(config, 1000, ['nbeta', 'gamma']).map((g) => g.sweep))).toEqual(new Set(['gamma', 'nbeta', 'nbeta_fixed_resolution']));
    expect(sweepConfigs(config, 1000, false)).toEqual([]);
    expect(sweepConfigs(config, 1000, ['heads'])).toEqual([]);
    expect(sweepConfigs(LlcConfigSchema.parse({ epsilon: 1e-7 }), 1000, ['epsilon'])).toEqual([]);
  });

  it('--only parses the part names and refuses anything else by name', () => {
    expect(parseSweepParts('length, gamma,length')).toEqual(['length', 'gamma']);
    expect(parseSweepParts(SWEEP_PARTS.join(','))).toEqual([...SWEEP_PARTS]);
    expect(() => parseSweepParts('length,temperature')).toThrow(/--only: expected a comma-separated list of gamma, epsilon, nbeta, length, heads; got 'length,temperature'/);
    expect(() => parseSweepParts(' , ')).toThrow(/--only/);
  });
});
