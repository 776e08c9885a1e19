import { Rng } from '@sortscope/core';
import { describe, expect, it } from 'vitest';
import { malaAcceptance } from './mala.ts';
import { defaultNbeta, drift, sgldStep } from './sgld.ts';

describe('SGLD step', () => {
  it('without noise, with γ = 0, nβ = 1 and ε = 2η, is one SGD step with rate η', () => {
    const w = Float32Array.from([0.5, -1, 2]);
    const w0 = w.slice();
    const grad = Float32Array.from([0.1, -0.4, 3]);
    const eta = 0.05;
    const g = new Float64Array(3);
    const p = { epsilon: 2 * eta, gamma: 0, nbeta: 1, weight_decay: 0, noise_level: 0 };
    drift(p, w, w0, grad, null, g);
    sgldStep(p, w, g, null, null);
    expect(Array.from(w)).toEqual([0.5 - eta * 0.1, -1 + eta * 0.4, 2 - eta * 3].map(Math.fround));
  });

  it('localization pulls toward w0 and the noise has variance ε (not scaled by nβ)', () => {
    const p = { epsilon: 0.01, gamma: 10, nbeta: 1000, weight_decay: 0, noise_level: 1 };
    const w0 = new Float32Array(20_000);
    const w = w0.slice();
    w.fill(1);
    const g = new Float64Array(w.length);
    drift(p, w, w0, new Float32Array(w.length), null, g);
    expect(g[0]).toBe(10); // γ·(w − w0)
    const before = w.slice();
    const res = sgldStep(p, w, g, null, Rng.derive(0, 'noise-test'));
    let s2 = 0;
    for (let i = 0; i < w.length; i++) s2 += (w[i] - (before[i] - 0.005 * 10)) ** 2;
    expect(s2 / w.length).toBeCloseTo(0.01, 3);
    expect(res.noiseNorm ** 2 / w.length).toBeCloseTo(0.01, 3);
  });

  it('weight-restricted steps move only the chosen coordinates', () => {
    const p = { epsilon: 0.1, gamma: 1, nbeta: 1, weight_decay: 0, noise_level: 1 };
    const w = new Float32Array(6);
    const idx = Uint32Array.from([1, 4]);
    const g = new Float64Array(2);
    drift(p, w, w.slice(), Float32Array.from([9, 1, 9, 9, 2, 9]), idx, g);
    expect(Array.from(g)).toEqual([1, 2]);
    sgldStep(p, w, g, idx, Rng.derive(1, 'r'));
    expect([w[0], w[2], w[3], w[5]]).toEqual([0, 0, 0, 0]);
    expect(w[1]).not.toBe(0);
  });

  it('default nβ = B / ln B', () => {
    expect(defaultNbeta(512)).toBeCloseTo(82.0733, 4);
    expect(defaultNbeta(256)).toBeCloseTo(46.1662, 4);
    expect(defaultNbeta(128)).toBeCloseTo(26.3807, 4);
    expect(defaultNbeta(1000)).toBeCloseTo(144.7648, 4);
  });
});

describe('MALA acceptance (science.md §4 cases)', () => {
  it.each([
    [[0, 0], [0, 0], 0, [1.5, 5.5], [1.5, 5.5], 16.25, 0.1, 0.6661436],
    [[1, 1], [1, 1], 1, [1.5, 0.5], [1.5, 0.5], 1.25, 0.5, 0.9692332],
    [[0, 0], [0, 0], 0, [10.5, 5.5], [10.5, 5.5], 70.25, 0.1, 0.1726912],
    [[0, 0], [0, 0], 0, [10.5, 5.5], [10.5, 5.5], 70.25, 0.5, 0.00015359],
  ])('prev %j → cur %j … ε %f', (pw, pg, pu, cw, cg, cu, eps, expected) => {
    expect(Math.abs(malaAcceptance(pw, pg, pu, cw, cg, cu, eps) - expected)).toBeLessThan(1e-5);
  });
});
