import { Rng, zigguratNormals } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { chainBuffers, chainPoint, chainStep } from './chain-step.ts';
import { drift, type SgldParams, sgldStep } from './sgld.ts';

/** the reference: drift, then the potential's norms, then the step (as chain.ts did before chainStep) */
function reference(p: SgldParams, w: Float32Array, w0: Float32Array, grad: Float32Array, idx: Uint32Array | null, rng: Rng | null) {
  const m = idx ? idx.length : w.length;
  const at = (k: number) => (idx ? idx[k] : k);
  const g = new Float64Array(m);
  drift(p, w, w0, grad, idx, g);
  let dist2 = 0;
  for (let k = 0; k < m; k++) dist2 += (w[at(k)] - w0[at(k)]) ** 2;
  let wd2 = 0;
  if (p.weight_decay) for (let k = 0; k < m; k++) wd2 += w[at(k)] ** 2;
  const before = Float64Array.from({ length: m }, (_, k) => w[at(k)]);
  const { driftNorm, noiseNorm } = sgldStep(p, w, g, idx, rng);
  return { g, before, dist2, wd2, driftNorm, noiseNorm };
}

describe('chainStep', () => {
  const cases: [string, Partial<SgldParams>, boolean][] = [
    ['full, no weight decay', {}, false],
    ['full, weight decay', { weight_decay: 0.01 }, false],
    ['indexed', { weight_decay: 0.003 }, true],
    ['no noise', { noise_level: 0 }, false],
    ['noise level 0.5, indexed', { noise_level: 0.5 }, true],
  ];
  for (const [name, over, indexed] of cases)
    it(`is bit for bit drift + potential + sgldStep (${name}), over several steps with an odd length`, () => {
      const p: SgldParams = { epsilon: 1e-3, gamma: 300, nbeta: 1234.5, weight_decay: 0, noise_level: 1, ...over };
      const n = 1001; // odd: the Box–Muller spare value carries over between steps
      const init = new Float32Array(n);
      Rng.derive(3, 'w').fillNormal(init, 0.5);
      const w0 = init.slice();
      const idx = indexed ? Uint32Array.from({ length: 333 }, (_, k) => 3 * k + 1) : null;
      const m = idx ? idx.length : n;
      const [wa, wb] = [init.slice(), init.slice()];
      const [ra, rb] = [Rng.derive(4, 'noise'), Rng.derive(4, 'noise')];
      const buf = chainBuffers(m);
      for (let step = 0; step < 4; step++) {
        const grad = new Float32Array(n);
        Rng.derive(5, 'grad', step).fillNormal(grad, 1);
        const want = reference(p, wa, w0, grad, idx, ra);
        const [g, copy] = [new Float64Array(m), new Float64Array(m)];
        const point = chainPoint(p, wb, w0, grad, idx, g, copy); // at w, before chainStep moves it
        const got = chainStep(p, wb, w0, grad, idx, rb, buf, true);
        expect([Array.from(g), Array.from(copy), point.dist2, point.wd2]).toEqual([Array.from(buf.g), Array.from(buf.before), got.dist2, got.wd2]);
        expect(Buffer.from(wb.buffer).equals(Buffer.from(wa.buffer))).toBe(true);
        expect(Array.from(buf.g)).toEqual(Array.from(want.g));
        expect(Array.from(buf.before)).toEqual(Array.from(want.before));
        expect([got.dist2, got.wd2, got.driftNorm, got.noiseNorm]).toEqual([want.dist2, want.wd2, want.driftNorm, want.noiseNorm]);
        if (p.noise_level === 0) expect(got.noiseNorm).toBe(0);
        else expect(got.noiseNorm).toBeGreaterThan(0);
      }
      expect(ra.nextU32()).toBe(rb.nextU32()); // the noise streams consumed alike
      if (idx) expect(wb[0]).toBe(init[0]); // unsampled coordinates stay at w0
    });

  it("with noise_stream 'ziggurat' takes ξ from zigguratNormals of the chain's stream (and not Box–Muller's)", () => {
    const p: SgldParams = { epsilon: 1e-3, gamma: 300, nbeta: 1234.5, weight_decay: 0.002, noise_level: 1, noise_stream: 'ziggurat' };
    const n = 1001;
    const init = new Float32Array(n);
    Rng.derive(3, 'w').fillNormal(init, 0.5);
    const w0 = init.slice();
    const [wz, wr, wb] = [init.slice(), init.slice(), init.slice()];
    const [rz, rr] = [Rng.derive(4, 'noise'), Rng.derive(4, 'noise')];
    const buf = chainBuffers(n);
    for (let step = 0; step < 3; step++) {
      const grad = new Float32Array(n);
      Rng.derive(5, 'grad', step).fillNormal(grad, 1);
      // the reference: the drift, then w ← w − (ε/2)·g + sqrt(ε)·σ·ξ with ξ = zigguratNormals
      const g = new Float64Array(n);
      drift(p, wr, w0, grad, null, g);
      const xi = new Float64Array(n);
      zigguratNormals(rr, xi);
      for (let k = 0; k < n; k++) wr[k] = wr[k] - (p.epsilon / 2) * g[k] + Math.sqrt(p.epsilon) * xi[k];
      chainStep(p, wz, w0, grad, null, rz, buf, false);
      expect(Buffer.from(wz.buffer).equals(Buffer.from(wr.buffer))).toBe(true);
      expect(Array.from(buf.xi)).toEqual(Array.from(xi));
      chainStep({ ...p, noise_stream: 'box-muller' }, wb, w0, grad, null, Rng.derive(4, 'noise', step), buf, false);
    }
    expect(Buffer.from(wz.buffer).equals(Buffer.from(wb.buffer))).toBe(false);
    expect(rz.nextU32()).toBe(rr.nextU32());
  });

  it('refuses buffers of the wrong length', () => {
    const p: SgldParams = { epsilon: 1e-3, gamma: 1, nbeta: 1, weight_decay: 0, noise_level: 1 };
    const w = new Float32Array(5);
    expect(() => chainStep(p, w, w, w, null, null, chainBuffers(4), false)).toThrow(/length 4, expected 5/);
    expect(() => chainPoint(p, w, w, w, null, new Float64Array(4), new Float64Array(4))).toThrow(/length 4, expected 5/);
  });
});
