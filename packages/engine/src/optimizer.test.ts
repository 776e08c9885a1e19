import { describe, expect, it } from 'vitest';
import { Rng } from '@sortscope/core';
import { adamState, adamStep } from './optimizer.ts';

// PyTorch 2.13 torch.optim.Adam / AdamW, betas (0.9, 0.999), eps 1e-8, weight_decay 0.05;
// produced by packages/engine/scripts/adam_reference.py
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

  it('is bit for bit the plain per-element formula (moments rounded to float32 before the update reads them)', () => {
    const n = 4099;
    const rng = Rng.derive(2, 'adam-ref');
    const params = new Float32Array(n);
    rng.fillNormal(params, 1);
    const ref = params.slice();
    for (const kind of ['adam', 'adamw'] as const) {
      const cfg = { kind, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };
      const [state, m, v] = [adamState(n), new Float32Array(n), new Float32Array(n)];
      for (let t = 1; t <= 3; t++) {
        const grad = new Float32Array(n);
        rng.fillNormal(grad, 0.1);
        adamStep(cfg, params, grad, state, 1e-3);
        const bc1 = 1 - cfg.beta1 ** t, sqrtBc2 = Math.sqrt(1 - cfg.beta2 ** t), stepSize = 1e-3 / bc1;
        const coupled = kind === 'adam' ? cfg.weight_decay : 0, decay = kind === 'adamw' ? 1 - 1e-3 * cfg.weight_decay : 1;
        for (let i = 0; i < n; i++) {
          const g = grad[i] + coupled * ref[i];
          m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g;
          v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g * g;
          ref[i] = ref[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + cfg.eps);
        }
        expect(Buffer.from(params.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
        expect(Buffer.from(state.m.buffer).equals(Buffer.from(m.buffer))).toBe(true);
      }
    }
  });
});
