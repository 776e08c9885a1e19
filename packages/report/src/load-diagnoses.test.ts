import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIAGNOSE_SWEEPS, diagnoseSpec } from './chart-diagnose.ts';
import { loadDiagnoses } from './load-diagnoses.ts';

// made when the tests start, not while they are collected (a run filtering them all out would leave it)
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-diag-'));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

const point = (value: number, mean: number, ok = true) => ({ value, mean, se: 2, draws: 1500, converged: ok, flagged_chains: ok ? 0 : 4, flags: ok ? ['acceptance_high'] : ['not_converged'] });
const diagnosis = {
  where: 'a checkpoint',
  estimate: { mean: 250, se: 2 },
  sweeps: {
    gamma: [point(5000, 320), point(10000, 250), point(20000, 175)],
    epsilon_fraction: [point(0.05, 250), point(0.1, 255)],
    nbeta: [point(40000, 150), point(125860, 250), point(380000, 300, false)],
    nbeta_fixed_resolution: [point(40000, 240), point(125860, 250)],
    length: [point(1500, 250), point(6000, 252)],
    restricted: [{ target: 'L0H0', mean: 120, se: 3, below_full: true }],
  },
};

describe('the estimator checks in the report', () => {
  it('reads a diagnose file into points with ±2 SE bars and readability, and draws every sweep', () => {
    writeFileSync(join(dir, 'd.json'), JSON.stringify({ ...diagnosis, extra: 'ignored' }));
    const [d] = loadDiagnoses([{ file: 'd.json', label: 'step 7,325' }], dir);
    expect(d.label).toBe('step 7,325');
    expect(d.points).toHaveLength(12);
    const flagged = d.points.find((p) => p.sweep === 'nbeta' && p.value === 380000)!;
    expect(flagged).toMatchObject({ readable: false, lo: 296, hi: 304, flags: 'not_converged', series: 'at fixed γ' });
    expect(d.points.find((p) => p.sweep === 'gamma' && p.value === 5000)!.flags).toBe('none');
    for (const s of DIAGNOSE_SWEEPS) {
      const spec = diagnoseSpec([d], s) as { data: { values: unknown[] } };
      expect(spec.data.values.length).toBeGreaterThan(0);
    }
    expect((diagnoseSpec([d], 'nbeta') as { data: { values: unknown[] } }).data.values).toHaveLength(5); // both nβ series
  });

  it('refuses a missing file and a file that is not a diagnosis, naming it', () => {
    expect(() => loadDiagnoses(['nope.json'], dir)).toThrow(/report\.diagnoses: nope\.json does not exist/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ where: 'x', estimate: { mean: 1 } }));
    expect(() => loadDiagnoses(['bad.json'], dir)).toThrow(/bad\.json is not the JSON of `llc diagnose --sweep --out` \(sweeps/);
    writeFileSync(join(dir, 'garbage.json'), '{not json');
    expect(() => loadDiagnoses(['garbage.json'], dir)).toThrow(/garbage\.json is not the JSON/);
  });
});
