/**
 * Adam on the flat parameter vector, exactly as PyTorch's torch.optim.Adam / AdamW (float32 state):
 *
 *   adam  (coupled L2, ARENA's):  g ← g + λ·w
 *   adamw (decoupled):            w ← w · (1 − lr·λ)
 *   then  m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *         w ← w − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 *
 * λ = weight_decay, t = the 1-based step count. tfjs has neither variant, and on a flat vector
 * the update costs well under a millisecond.
 */
export interface AdamConfig {
  kind: 'adam' | 'adamw';
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
}

export interface AdamState {
  /** first and second moments, same length as the parameters */
  m: Float32Array;
  v: Float32Array;
  /** updates taken so far */
  t: number;
}

export function adamState(size: number): AdamState {
  return { m: new Float32Array(size), v: new Float32Array(size), t: 0 };
}

export function adamStep(cfg: AdamConfig, params: Float32Array, grad: Float32Array, state: AdamState, lr: number): void {
  const { beta1, beta2, eps, weight_decay: wd } = cfg;
  const { m, v } = state;
  state.t += 1;
  const bc1 = 1 - beta1 ** state.t;
  const sqrtBc2 = Math.sqrt(1 - beta2 ** state.t);
  const stepSize = lr / bc1;
  const coupled = cfg.kind === 'adam' ? wd : 0;
  const decay = cfg.kind === 'adamw' ? 1 - lr * wd : 1;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const n = params.length;
  for (let i = 0; i < n; i++) {
    const p = params[i];
    const g = grad[i] + coupled * p;
    // the moments are float32: the update reads them back rounded, as stored
    const mi = Math.fround(beta1 * m[i] + a1 * g);
    const vi = Math.fround(beta2 * v[i] + a2 * g * g);
    m[i] = mi;
    v[i] = vi;
    params[i] = p * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
}
