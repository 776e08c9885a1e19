/**
 * The attention-only transformer's forward pass in tfjs, in TransformerLens' conventions:
 *
 *   resid_0  = one_hot(tokens) · W_E + W_pos[:P]                     [batch, pos, d_model]
 *   for each layer L:
 *     x      = LN1(resid_L)  (or resid_L without LayerNorm)
 *     q,k,v  = x · W_{Q,K,V}[h] + b_{Q,K,V}[h]                        [batch, head, pos, d_head]
 *     scores = q · kᵀ / sqrt(d_head), key > query masked to IGNORE     [batch, head, q_pos, k_pos]
 *     z      = softmax(scores) · v                                     [batch, head, q_pos, d_head]
 *     resid_{L+1} = resid_L + Σ_h z[h] · W_O[h] + b_O
 *   logits   = LN_final(resid) · W_U + b_U                             [batch, pos, d_vocab]
 *
 * With `scoredOnly`, the last layer computes queries, attention and the unembedding only at the
 * scored positions n … 2n − 1 (keys and values still at every position): the loss needs nothing
 * else, and it saves a third of a training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HeadAblation, HookName } from '../engine.ts';
import { IGNORE, type ModelConfig } from '@sortscope/model';
import { layerNorm, linear, mm, oneHotFloat } from './ops.ts';


export interface GraphOptions {
  scoredOnly: boolean;
  record?: (name: HookName, t: tf.Tensor) => void;
  ablate?: HeadAblation[];
}

/** Additive causal mask for queries at positions qStart … qStart+Q−1 over keys 0 … P−1: [Q, P]. */
function causalMask(qStart: number, Q: number, P: number): tf.Tensor {
  const m = new Float32Array(Q * P);
  for (let q = 0; q < Q; q++) for (let k = qStart + q + 1; k < P; k++) m[q * P + k] = IGNORE;
  return tf.tensor2d(m, [Q, P]);
}

/**
 * @param W parameters by TransformerLens name, in TransformerLens shapes
 * @param inputs [batch, P] int32, the fed tokens
 * @returns logits [batch, Q, d_vocab], Q = n if scoredOnly else P
 */
export function logitsGraph(cfg: ModelConfig, W: Record<string, tf.Tensor>, inputs: tf.Tensor2D, opts: GraphOptions): tf.Tensor {
  const [B, P] = inputs.shape;
  const { d_model: d, n_heads: H, d_head: dh, d_vocab: V } = cfg;
  const rec = opts.record ?? (() => {});
  const embed = tf.reshape(mm(oneHotFloat(tf.reshape(inputs, [B * P]), V), W['embed.W_E']), [B, P, d]); // [batch, pos, d_model]
  const posEmbed = tf.slice(W['pos_embed.W_pos'], [0, 0], [P, d]); // [pos, d_model]
  rec('hook_embed', embed);
  rec('hook_pos_embed', tf.broadcastTo(posEmbed, [B, P, d]));
  let resid = tf.add(embed, posEmbed); // [batch, pos, d_model]
  for (let L = 0; L < cfg.n_layers; L++) {
    const pre = `blocks.${L}` as const;
    rec(`${pre}.hook_resid_pre`, resid);
    const x = cfg.layer_norm ? layerNorm(resid, W[`${pre}.ln1.w`], W[`${pre}.ln1.b`], cfg.ln_eps) : resid;
    if (cfg.layer_norm) rec(`${pre}.ln1.hook_normalized`, x);
    const last = L === cfg.n_layers - 1;
    const qStart = last && opts.scoredOnly ? cfg.list_length : 0;
    const Q = P - qStart;
    const xq = qStart ? tf.slice(x, [0, qStart, 0], [B, Q, d]) : x; // [batch, q_pos, d_model]
    const heads = (t: tf.Tensor, n: number) => tf.reshape(t, [B, n, H, dh]); // [batch, pos, head, d_head]
    const qkv = (which: 'Q' | 'K' | 'V', src: tf.Tensor, n: number) =>
      heads(linear(src, tf.reshape(tf.transpose(W[`${pre}.attn.W_${which}`], [1, 0, 2]), [d, H * dh]), tf.reshape(W[`${pre}.attn.b_${which}`], [H * dh])), n);
    const q = qkv('Q', xq, Q); // [batch, q_pos, head, d_head]
    const k = qkv('K', x, P); // [batch, k_pos, head, d_head]
    const v = qkv('V', x, P);
    rec(`${pre}.attn.hook_q`, q);
    rec(`${pre}.attn.hook_k`, k);
    rec(`${pre}.attn.hook_v`, v);
    const qh = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [B * H, Q, dh]); // [batch·head, q_pos, d_head]
    const kT = tf.reshape(tf.transpose(k, [0, 2, 3, 1]), [B * H, dh, P]); // [batch·head, d_head, k_pos]
    const vh = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [B * H, P, dh]); // [batch·head, k_pos, d_head]
    const scores = tf.add(tf.mul(mm(qh, kT), 1 / Math.sqrt(dh)), causalMask(qStart, Q, P)); // [batch·head, q_pos, k_pos]
    const pattern = tf.softmax(scores); // [batch·head, q_pos, k_pos]
    rec(`${pre}.attn.hook_attn_scores`, tf.reshape(scores, [B, H, Q, P]));
    rec(`${pre}.attn.hook_pattern`, tf.reshape(pattern, [B, H, Q, P]));
    let z = tf.reshape(mm(pattern, vh), [B, H, Q, dh]); // [batch, head, q_pos, d_head]
    const ablations = (opts.ablate ?? []).filter((a) => a.layer === L);
    if (ablations.length) z = ablate(z, ablations, qStart, cfg);
    const zPos = tf.transpose(z, [0, 2, 1, 3]); // [batch, q_pos, head, d_head]
    rec(`${pre}.attn.hook_z`, zPos);
    const attnOut = linear(tf.reshape(zPos, [B, Q, H * dh]), tf.reshape(W[`${pre}.attn.W_O`], [H * dh, d]), W[`${pre}.attn.b_O`]); // [batch, q_pos, d_model]
    rec(`${pre}.hook_attn_out`, attnOut);
    resid = tf.add(qStart ? tf.slice(resid, [0, qStart, 0], [B, Q, d]) : resid, attnOut);
    rec(`${pre}.hook_resid_post`, resid);
  }
  const xf = cfg.layer_norm ? layerNorm(resid, W['ln_final.w'], W['ln_final.b'], cfg.ln_eps) : resid;
  if (cfg.layer_norm) rec('ln_final.hook_normalized', xf);
  return linear(xf, W['unembed.W_U'], W['unembed.b_U']); // [batch, Q, d_vocab]
}

/** z' = z · keep + replacement, per head; z [batch, head, q_pos, d_head]. */
function ablate(z: tf.Tensor, ablations: HeadAblation[], qStart: number, cfg: ModelConfig): tf.Tensor {
  const [, H, Q, dh] = z.shape;
  const keep = new Float32Array(H).fill(1);
  const rep = new Float32Array(H * Q * dh);
  for (const a of ablations) {
    keep[a.head] = 0;
    if (a.kind === 'mean') {
      if (!a.mean || a.mean.length !== 2 * cfg.list_length * dh) throw new Error(`mean-ablation of head ${a.layer}.${a.head} needs a mean z of shape [${2 * cfg.list_length}, ${dh}]`);
      rep.set(a.mean.subarray(qStart * dh, (qStart + Q) * dh), a.head * Q * dh);
    }
  }
  return tf.add(tf.mul(z, tf.tensor4d(keep, [1, H, 1, 1])), tf.tensor4d(rep, [1, H, Q, dh]));
}

/**
 * Per-token cross-entropy of logits [N, d_vocab] against targets [N] (int32): −log softmax(logits)[target].
 * The target is picked by a one-hot product (no gather, whose gradient wasm lacks).
 */
export function tokenNll(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(logp, oneHotFloat(targets, logits.shape[1])), -1)) as tf.Tensor1D;
}
