/**
 * Which part of each circuit the measures see (measures.ts, null.ts):
 *
 *   number tokens   all   = 0 … d_vocab − 2            (SEP = d_vocab − 1 excluded), n_num tokens
 *                   inner = e … d_vocab − 2 − e         (without the first and last e = edge_tokens)
 *   QK, OV          M[set, set]                          square: S/T, std variant, EV with its null
 *   QK_pos          M[n … 2n − 1, set]                   the scored query positions (the model is
 *                                                         only scored there) × key tokens; S/T and
 *                                                         the std variant only, EV fields NaN
 *
 * For QK_pos "along the diagonal" means one position later and one token higher. Positions and
 * tokens are different axes (10 positions against 51 tokens by default), so its T is a
 * description of how the key-token profile shifts with the query position, not a symmetry the
 * task implies; there is no relabeling null for it (rows and columns index different things).
 */
import { ConfigError } from '@sortscope/core';
import type { CircuitKind } from './circuits.ts';
import type { FactoredMatrix } from './factored-matrix.ts';
import { type Matrix, range, select } from './matrix.ts';
import { translational, type Translational } from './measures.ts';
import { relabelings, type ToeplitzTest, toeplitzTest } from './null.ts';

export interface CircuitMeasures extends Translational, ToeplitzTest {}

export const MEASURE_NAMES = ['s_par', 's_perp', 't', 't_norm', 'std_par', 'std_perp', 't_std', 't_std_norm', 'ev', 'ev_null_mean', 'ev_null_std', 'ev_z', 'ev_p'] as const satisfies readonly (keyof CircuitMeasures)[];

export interface TokenSets {
  all: number[];
  inner: number[];
}

/** The number tokens, and those without the first and last `edge` (needs at least 2 left). */
export function tokenSets(dVocab: number, edge: number): TokenSets {
  const nNum = dVocab - 1;
  if (nNum - 2 * edge < 2) throw new ConfigError(`circuits.edge_tokens: got ${edge}; expected at most ${Math.floor((nNum - 2) / 2)} for ${nNum} number tokens (at least 2 must remain)`);
  return { all: range(0, nNum), inner: range(edge, nNum - edge) };
}

export interface MeasureContext {
  sets: TokenSets;
  /** the list length: QK_pos rows n … 2n − 1 */
  n: number;
  seed: number;
  nullSamples: number;
}

const NO_EV: ToeplitzTest = { ev: NaN, ev_null_mean: NaN, ev_null_std: NaN, ev_z: NaN, ev_p: NaN };

/** The measures of one circuit on one token set. */
export function measureOn(kind: CircuitKind, dense: Matrix, set: number[], ctx: Pick<MeasureContext, 'n' | 'seed' | 'nullSamples'>): CircuitMeasures {
  if (kind === 'QK_pos') {
    const sub = select(dense, range(ctx.n, 2 * ctx.n), set); // [n, |set|]
    return { ...translational(sub), ...NO_EV };
  }
  const sub = select(dense, set, set); // [|set|, |set|]
  return { ...translational(sub), ...toeplitzTest(sub, relabelings(ctx.seed, set.length, ctx.nullSamples)) };
}

/** The measures of one circuit on all number tokens and without the edge tokens. */
export function measureCircuit(kind: CircuitKind, circuit: FactoredMatrix | Matrix, ctx: MeasureContext): { all: CircuitMeasures; inner: CircuitMeasures } {
  const dense = 'dense' in circuit ? circuit.dense() : circuit;
  return { all: measureOn(kind, dense, ctx.sets.all, ctx), inner: measureOn(kind, dense, ctx.sets.inner, ctx) };
}
