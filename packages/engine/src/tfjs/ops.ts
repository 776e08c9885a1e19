/**
 * The few tfjs building blocks of the model, written for the wasm backend's strengths
 * (measured in packages/engine/src/fused/README.md, "Other implementations"):
 * - `mm`: matrix product with a custom gradient that transposes explicitly and then multiplies.
 *   tfjs' own matMul gradient uses BatchMatMul with transposeA/transposeB, which wasm runs at
 *   1–2 GFLOP/s instead of 10–24: this alone makes a training step 2.7–3× faster.
 * - embeddings as one-hot matrix products (tf.gather's gradient needs UnsortedSegmentSum,
 *   which wasm lacks); the numbers are identical.
 * - `layerNorm` exactly as TransformerLens: x ← x − mean(x); x / sqrt(mean(x²) + eps) · w + b.
 */
import * as tf from '@tensorflow/tfjs-core';

function swapLast2(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(t, perm);
}

/** a · b for rank-2 [m,k]·[k,n] or batched rank-3 [b,m,k]·[b,k,n]. */
export const mm = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor2D, swapLast2(sb) as tf.Tensor2D), tf.matMul(swapLast2(sa) as tf.Tensor2D, dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** x [..., d] → x @ W [d, out] + bias [out], through a rank-2 product. */
export function linear(x: tf.Tensor, W: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const d = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const y = mm(tf.reshape(x, [-1, d]), W); // [N, out]
  const out = bias ? tf.add(y, bias) : y;
  return tf.reshape(out, [...lead, W.shape[1]!]);
}

/** TransformerLens LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const xc = tf.sub(x, tf.mean(x, -1, true));
  const scale = tf.sqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
  return tf.add(tf.mul(tf.div(xc, scale), w), b);
}

/** one-hot rows as float32 [N, depth] (for embeddings and the cross-entropy). */
export function oneHotFloat(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.oneHot(tf.cast(indices, 'int32') as tf.Tensor1D, depth), 'float32');
}
