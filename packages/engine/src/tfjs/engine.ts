/**
 * The tfjs implementation of the Engine interface (engine.ts). Each call copies the flat
 * parameter vector into one tensor per parameter, runs the graph of forward.ts inside tf.tidy
 * and copies the results out, so no tensor outlives a call (tested: tf.memory().numTensors is
 * unchanged across steps).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@sortscope/core';
import { type Activation, type Batch, type Engine, type EvalResult, type ForwardResult, type HeadAblation, hookShape, type HookName } from '../engine.ts';
import { assertParamVector, type Layout, paramLayout } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { initBackend } from './backend.ts';
import { logitsGraph, tokenNll } from './forward.ts';

export class TfjsEngine implements Engine {
  readonly layout: Layout;

  private constructor(
    readonly cfg: ModelConfig,
    readonly name: string,
  ) {
    this.layout = paramLayout(cfg);
  }

  /** Initialise the backend (once per process) and make an engine for `cfg`. */
  static async create(cfg: ModelConfig, opts: { backend?: string } = {}): Promise<TfjsEngine> {
    return new TfjsEngine(cfg, await initBackend(opts.backend));
  }

  private tensors(params: Float32Array): tf.Tensor[] {
    assertParamVector(params, this.layout);
    return this.layout.params.map((p) => tf.tensor(params.subarray(p.offset, p.offset + p.size), p.shape, 'float32'));
  }

  private byName(ts: tf.Tensor[]): Record<string, tf.Tensor> {
    return Object.fromEntries(this.layout.params.map((p, i) => [p.name, ts[i]]));
  }

  /** inputs [rows, 2n] int32 and targets [rows·n] int32 from full sequences. */
  private split(batch: Batch): { inputs: tf.Tensor2D; targets: tf.Tensor1D } {
    const { n_ctx, list_length: n } = this.cfg;
    if (batch.tokens.length !== batch.rows * n_ctx) throw new ShapeError(`batch.tokens has ${batch.tokens.length} values; expected [${batch.rows}, ${n_ctx}]`);
    const P = 2 * n;
    const inputs = new Int32Array(batch.rows * P);
    const targets = new Int32Array(batch.rows * n);
    for (let r = 0; r < batch.rows; r++) {
      for (let i = 0; i < P; i++) inputs[r * P + i] = batch.tokens[r * n_ctx + i];
      for (let i = 0; i < n; i++) targets[r * n + i] = batch.tokens[r * n_ctx + n + 1 + i];
    }
    return { inputs: tf.tensor2d(inputs, [batch.rows, P], 'int32'), targets: tf.tensor1d(targets, 'int32') };
  }

  lossAndGrad(params: Float32Array, batch: Batch): { loss: number; grad: Float32Array } {
    const grad = new Float32Array(this.layout.size);
    let loss = NaN;
    tf.tidy(() => {
      const { inputs, targets } = this.split(batch);
      const f = (...ts: tf.Tensor[]) => {
        const logits = logitsGraph(this.cfg, this.byName(ts), inputs, { scoredOnly: true }); // [rows, n, d_vocab]
        return tf.mean(tokenNll(tf.reshape(logits, [-1, this.cfg.d_vocab]) as tf.Tensor2D, targets)) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)(this.tensors(params));
      loss = value.dataSync()[0];
      this.layout.params.forEach((p, i) => grad.set(grads[i].dataSync() as Float32Array, p.offset));
    });
    return { loss, grad };
  }

  evaluate(params: Float32Array, batch: Batch, opts: { ablate?: HeadAblation[] } = {}): EvalResult {
    return tf.tidy(() => {
      const { inputs, targets } = this.split(batch);
      const scored = logitsGraph(this.cfg, this.byName(this.tensors(params)), inputs, { scoredOnly: true, ablate: opts.ablate }); // [rows, n, d_vocab]
      const logits = tf.reshape(scored, [-1, this.cfg.d_vocab]) as tf.Tensor2D; // [rows·n, d_vocab]
      const nll = tokenNll(logits, targets).dataSync() as Float32Array;
      const pred = tf.argMax(logits, -1).dataSync();
      const t = targets.dataSync();
      const correct = new Uint8Array(nll.length);
      for (let i = 0; i < correct.length; i++) correct[i] = pred[i] === t[i] ? 1 : 0;
      return { nll: Float32Array.from(nll), correct };
    });
  }

  forward(params: Float32Array, batch: Batch, opts: { hooks?: readonly HookName[]; ablate?: HeadAblation[] } = {}): ForwardResult {
    const wanted = new Set(opts.hooks ?? []);
    const cache: Partial<Record<HookName, Activation>> = {};
    const logits = tf.tidy(() => {
      const { inputs } = this.split(batch);
      const record = (name: HookName, t: tf.Tensor) => {
        if (!wanted.has(name)) return;
        const shape = hookShape(name, this.cfg, batch.rows);
        if (t.shape.join() !== shape.join()) throw new ShapeError(`hook ${name} has shape [${t.shape}], expected [${shape}]`);
        cache[name] = { shape, data: Float32Array.from(t.dataSync() as Float32Array) };
      };
      const out = logitsGraph(this.cfg, this.byName(this.tensors(params)), inputs, { scoredOnly: false, record, ablate: opts.ablate });
      return Float32Array.from(out.dataSync() as Float32Array); // [rows, 2n, d_vocab]
    });
    return { logits, cache };
  }

  dispose(): void {
    // every call disposes its own tensors; nothing is held between calls
  }
}
