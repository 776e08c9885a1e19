import { describe, expect, it } from 'vitest';
import { adamState, adamStep } from './optimizer.ts';

// PyTorch 2.13 torch.optim.Adam / AdamW, betas (0.9, 0.999), eps 1e-8, weight_decay 0.05;
// produced by packages/train/scripts/adam_reference.py
const TORCH = {
  adam: [
    [0.49900001287460327, -1.2489999532699585, 1.9989999532699585, 0.0],
    [0.4985212981700897, -1.249088168144226, 1.9986649751663208, -0.00037206310662440956],
    [0.4985649585723877, -1.2491532564163208, 1.9985028505325317, -0.00024435791419819],
  ],
  adamw: [
    [0.49897500872612, -1.2489374876022339, 1.9988999366760254, 0.0],
    [0.49849647283554077, -1.2490893602371216, 1.9986498355865479, -0.00037206310662440956],
    [0.49856093525886536, -1.2491806745529175, 1.9985020160675049, -0.0002443541889078915],
  ],
};
const grads = [[0.1, -0.2, 0.3, 0.0], [0.05, 0.4, -0.1, 1e-3], [-0.3, 0.2, 0.25, -2.0]];
const lrs = [1e-3, 5e-4, 2e-4];

describe('Adam on the flat vector', () => {
  for (const kind of ['adam', 'adamw'] as const) {
    it(`${kind} follows PyTorch step for step (float32 tolerance)`, () => {
      const w = Float32Array.from([0.5, -1.25, 2.0, 0.0]);
      const state = adamState(4);
      grads.forEach((g, i) => {
        adamStep({ kind, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.05 }, w, Float32Array.from(g), state, lrs[i]);
        TORCH[kind][i].forEach((v, j) => expect(Math.abs(w[j] - v)).toBeLessThan(2e-7 * Math.max(1, Math.abs(v))));
      });
      expect(state.t).toBe(3);
    });
  }
});
