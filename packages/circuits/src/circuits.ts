/**
 * A head's circuits in the vocabulary basis (docs/science.md §3), for head h of layer L:
 *
 *   QK_h     = E · W_Q[h] · W_K[h]ᵀ · Eᵀ   [d_vocab, d_vocab]  rows = query token,    cols = key token
 *   OV_h     = E · W_V[h] · W_O[h] · U     [d_vocab, d_vocab]  rows = attended token, cols = output logit
 *   QK_pos_h = P · W_Q[h] · W_K[h]ᵀ · Eᵀ   [2n, d_vocab]       rows = query position, cols = key token
 *
 * with E, P, U from conventions.ts. Each is kept factored through the head's d_head bottleneck
 * (factored-matrix.ts). The bilinear forms are not scaled by 1/sqrt(d_head) (the model scales its
 * scores; TransformerLens' QK circuit does not) and contain no biases. A positive OV diagonal
 * entry OV[t, t] means that attending to token t raises the logit of t: the head copies t.
 */
import type { LayerInputs } from './conventions.ts';
import { FactoredMatrix } from './factored-matrix.ts';
import { matmul, transpose } from './matrix.ts';

export const CIRCUIT_KINDS = ['QK', 'OV', 'QK_pos'] as const;
export type CircuitKind = (typeof CIRCUIT_KINDS)[number];

export const CIRCUIT_NOTES: Record<CircuitKind, string> = {
  QK: 'E W_Q W_K^T E^T [d_vocab, d_vocab]: rows = query token, cols = key token (unscaled attention score, no biases)',
  OV: 'E W_V W_O U [d_vocab, d_vocab]: rows = attended token, cols = output logit (positive diagonal = copying)',
  QK_pos: 'P W_Q W_K^T E^T [2n, d_vocab]: rows = query position 0..2n-1, cols = key token',
};

export type HeadCircuits = Record<CircuitKind, FactoredMatrix>;

/** The three circuits of head `head` of one layer, factored. */
export function headCircuits(inp: LayerInputs, head: number): HeadCircuits {
  const { E, P, U } = inp;
  const { W_Q, W_K, W_V, W_O } = inp.heads[head];
  const keys = transpose(matmul(E, W_K)); // [d_head, d_vocab]
  return {
    QK: new FactoredMatrix(matmul(E, W_Q), keys), // [d_vocab, d_head] · [d_head, d_vocab]
    OV: new FactoredMatrix(matmul(E, W_V), matmul(W_O, U)), // [d_vocab, d_head] · [d_head, d_vocab]
    QK_pos: new FactoredMatrix(matmul(P, W_Q), keys), // [2n, d_head] · [d_head, d_vocab]
  };
}
