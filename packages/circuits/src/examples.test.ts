/**
 * The numbers quoted in docs/circuits.md for its synthetic 51 × 51 circuits (testing.ts,
 * seed 0, K = 200 relabelings with circuits seed 0). If a definition changes, this fails and the
 * page must be updated with it.
 */
import { describe, expect, it } from 'vitest';
import { fromFn, type Matrix } from './matrix.ts';
import { translational } from './measures.ts';
import { relabelings, toeplitzTest } from './null.ts';
import { syntheticMatrices } from './testing.ts';

const n = 51;
const s = syntheticMatrices(n);
const perms = relabelings(0, n, 200);
const measure = (m: Matrix) => ({ ...translational(m), ...toeplitzTest(m, perms) });
const blockSum = fromFn(n, n, (i, j) => s.blockLow.data[i * n + j] + s.blockHigh.data[i * n + j]);

/** [T_norm, T_std_norm, EV, null mean, z, p] as printed in the docs' table (z NaN → null). */
const DOCS: [string, Matrix, (number | null)[]][] = [
  ['exact Toeplitz', s.toeplitz, [1, 1, 1, 0.087, 170, 0.005]],
  ['constant', s.constant, [0, 0, 0, 0, null, 1]],
  ['random', s.random, [-0.002, -0.003, 0.041, 0.039, 0.4, 0.333]],
  ['Toeplitz, relabelled', s.relabelled, [0.008, 0.023, 0.089, 0.086, 0.5, 0.313]],
  ['copying band', s.bandFull, [1, 1, 1, 0.635, 114, 0.005]],
  ['band, tokens 0–24 only', s.blockLow, [0.946, 0.706, 0.482, 0.323, 45, 0.005]],
  ['band, tokens 25–50 only', s.blockHigh, [0.948, 0.712, 0.502, 0.335, 47, 0.005]],
  ['the two blocks summed', blockSum, [0.963, 0.952, 0.984, 0.643, 109, 0.005]],
];

describe('docs/circuits.md examples', () => {
  it.each(DOCS)('%s', (_, m, [tNorm, tStdNorm, ev, nullMean, z, p]) => {
    const r = measure(m);
    const at = (x: number, printed: number, digits: number) => expect(Math.abs(x - printed), `${x} printed as ${printed}`).toBeLessThanOrEqual(0.5 * 10 ** -digits + 1e-12);
    at(r.t_norm, tNorm!, 3);
    at(r.t_std_norm, tStdNorm!, 3);
    at(r.ev, ev!, 3);
    at(r.ev_null_mean, nullMean!, 3);
    if (z === null) expect(r.ev_z).toBeNaN();
    else at(r.ev_z, z, z >= 10 ? 0 : 1);
    at(r.ev_p, p!, 3);
  });

  it('exact Toeplitz has S_par = 0 and the constant matrix T = 0', () => {
    expect(measure(s.toeplitz).s_par).toBe(0);
    expect(measure(s.constant).t).toBe(0);
  });
});
