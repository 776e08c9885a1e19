/**
 * The vendored gradient registrations (vendor/tfjs-gradients.cjs, loaded by backend.ts): built
 * from the installed tfjs-core version, and giving the analytic gradients of the ops the engine
 * differentiates through (matrix product, softmax cross-entropy, ReLU, mean/variance, rsqrt).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';

const close = async (t: tf.Tensor, want: number[], tol = 1e-5) => {
  const got = Array.from(await t.data());
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThan(tol));
};

beforeAll(async () => {
  await initBackend('wasm');
}, 600_000);

describe('tfjs gradients (vendored)', () => {
  it('are bundled from the installed tfjs-core version', () => {
    const require = createRequire(import.meta.url);
    const installed = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
    const banner = readFileSync(new URL('../../vendor/tfjs-gradients.cjs', import.meta.url), 'utf8').slice(0, 200);
    expect(banner, 'rebuild with packages/engine/scripts/vendor-tfjs-gradients.sh').toContain(`@tensorflow/tfjs-core ${installed} gradients`);
  });

  it('give the analytic gradients', async () => {
    // d/dx Σ (x·x) = 2x
    await close(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, -2, 3])), [2, -4, 6]);
    // d/dA Σ (A B) = 1 Bᵀ: each row of the gradient is the row sums of B
    const B = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    await close(tf.grad((A: tf.Tensor) => tf.sum(tf.matMul(A as tf.Tensor2D, B)))(tf.zeros([2, 3])), [3, 7, 11, 3, 7, 11]);
    // softmax cross-entropy: d/dz −log softmax(z)_y = softmax(z) − onehot(y)
    const z = [0.5, -1, 2];
    const p = z.map((v) => Math.exp(v) / z.reduce((a, u) => a + Math.exp(u), 0));
    await close(tf.grad((t: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(t), tf.tensor1d([0, 1, 0])))))(tf.tensor1d(z)), p.map((v, i) => v - (i === 1 ? 1 : 0)));
    // ReLU: 1 where x > 0
    await close(tf.grad((x: tf.Tensor) => tf.sum(tf.relu(x)))(tf.tensor1d([-1, 0.5, 2])), [0, 1, 1]);
    // d/dx rsqrt(x) = −½ x^(−3/2); d/dx mean((x − mean x)²) = 2(x − mean x)/n
    await close(tf.grad((x: tf.Tensor) => tf.sum(tf.rsqrt(x)))(tf.tensor1d([1, 4])), [-0.5, -0.5 / 8]);
    await close(tf.grad((x: tf.Tensor) => tf.moments(x).variance)(tf.tensor1d([1, 2, 6])), [(2 * (1 - 3)) / 3, (2 * (2 - 3)) / 3, (2 * (6 - 3)) / 3]);
  });
});
