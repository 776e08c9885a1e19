/**
 * The fused WebAssembly engine: the Engine interface (../engine.ts) on the same model as the
 * tfjs engine, computed by hand-written forward and backward passes in wasm SIMD
 * (../../fused-src, built into engine.wasm) on one or more threads. See README.md here for the
 * design and measured speed; the tfjs engine stays the reference it is tested against.
 *
 * Numbers: float32 throughout (the loss is summed in float64), bitwise independent of the thread
 * count and of how calls are batched (lossAndGradMany gives exactly the separate calls' results).
 */
import { availableParallelism } from 'node:os';
import { ConfigError, ShapeError } from '@sortscope/core';
import { type Activation, type Batch, type SgldStepArgs, type SgldStepResult, type Engine, type EvalResult, type ForwardResult, type HeadAblation, hookShape, type HookName } from '../engine.ts';
import { assertParamVector, type Layout, paramLayout } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import { MODE, type SyncOptions, WasmRuntime } from './runtime.ts';
import { StepState } from './sgld-step.ts';

/** Rows per evaluate / forward call into wasm (bounds the activation memory; results do not depend on it). */
const EVAL_CHUNK = 512;
const FORWARD_CHUNK = 256;
/** the most threads the wasm side keeps scratch space for */
const MAX_THREADS = 8;

const HOOK_KIND: Record<string, number> = {
  hook_resid_pre: 2,
  'ln1.hook_normalized': 3,
  'attn.hook_q': 4,
  'attn.hook_k': 5,
  'attn.hook_v': 6,
  'attn.hook_attn_scores': 7,
  'attn.hook_pattern': 8,
  'attn.hook_z': 9,
  hook_attn_out: 10,
  hook_resid_post: 11,
};
const HOOK_LOGITS = 13;

/** (kind, layer) of a hook the engine can return for cfg, or null (like tfjs, absent from the cache) */
function hookKind(name: HookName, cfg: ModelConfig): { kind: number; layer: number } | null {
  if (name === 'hook_embed') return { kind: 0, layer: 0 };
  if (name === 'hook_pos_embed') return { kind: 1, layer: 0 };
  if (name === 'ln_final.hook_normalized') return cfg.layer_norm ? { kind: 12, layer: 0 } : null;
  const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
  const kind = m ? HOOK_KIND[m[2]] : undefined;
  if (!m || kind === undefined || +m[1] >= cfg.n_layers || (kind === 3 && !cfg.layer_norm)) return null;
  return { kind, layer: +m[1] };
}

/** Bytes of activations per batch row (the buffers of ctx_reserve_rows in ctx.h). */
function bytesPerRow(cfg: ModelConfig): number {
  const r4 = (x: number) => Math.ceil(x / 4) * 4;
  const { n_layers: NL, n_heads: H } = cfg;
  const P = 2 * cfg.list_length;
  const dp = r4(cfg.d_model);
  const HP = H * r4(cfg.d_head);
  const every = P * 3 * HP + H * P * P + 2 * P * HP + P * dp; // dT, PAT, Z and dZ, AO
  const later = 4 * P * dp + 2 * P + P * 3 * HP; // Res, X, dX, dRes, LN stats, T
  return 4 * (2 * P + NL * every + (NL - 1) * later + 5 * P * dp + P * r4(cfg.d_vocab) + 4 * P);
}

/**
 * Whether the fused engine runs this configuration: the sequence format of the dataset
 * (n_ctx = 2n + 1, byte tokens), 1–12 layers, and a batch row of activations under 4 MiB
 * (e.g. d_model 1024 with 20 positions, or 256 positions at d_model 128).
 */
export function fusedSupports(cfg: ModelConfig): boolean {
  const n = cfg.list_length;
  return (
    Number.isInteger(n) && n >= 1 && cfg.n_ctx === 2 * n + 1 && n <= 128 &&
    cfg.n_layers >= 1 && cfg.n_layers <= 12 && cfg.n_heads >= 1 && cfg.d_head >= 1 && cfg.d_model >= 1 &&
    cfg.d_vocab >= 2 && cfg.d_vocab <= 256 && bytesPerRow(cfg) <= 4 << 20 && paramLayout(cfg).size <= 32 << 20
  );
}

export function defaultFusedThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
}

interface Staging {
  chains: number;
  rows: number;
  params: number;
  grads: number;
  tokens: number;
  out: number;
  outFloats: number;
}

export class FusedEngine implements Engine {
  readonly name = 'fused-wasm';
  readonly layout: Layout;
  private staging: Staging = { chains: 0, rows: 0, params: 0, grads: 0, tokens: 0, out: 0, outFloats: 0 };
  private readonly P: number;
  private steps: StepState | null = null;

  private constructor(
    readonly cfg: ModelConfig,
    private runtime: WasmRuntime | null,
    /** one context (parameters + activations) per thread */
    private readonly ctxs: number[],
  ) {
    this.layout = paramLayout(cfg);
    this.P = 2 * cfg.list_length;
  }

  /**
   * @param opts.threads threads per call (default: the available cores, at most 8)
   * @param opts.sync barrier spins and sleep length (runtime.ts); only the stress tests change them
   */
  static async create(cfg: ModelConfig, opts: { threads?: number; sync?: SyncOptions } = {}): Promise<FusedEngine> {
    if (!fusedSupports(cfg)) throw new ConfigError(`the fused engine does not support this model (${JSON.stringify(cfg)}); use the tfjs engine`);
    const threads = opts.threads ?? defaultFusedThreads();
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new ConfigError(`threads: got ${threads}; expected an integer in 1 … ${MAX_THREADS}`);
    const rt = await WasmRuntime.start(threads, opts.sync);
    try {
      const { n_layers, n_heads, d_model, d_head, d_vocab, list_length, layer_norm, ln_eps } = cfg;
      const ctxs = Array.from({ length: threads }, () => rt.ex.ctx_new(n_layers, n_heads, d_model, d_head, d_vocab, list_length, layer_norm ? 1 : 0, ln_eps, 1 / Math.sqrt(d_head)));
      const engine = new FusedEngine(cfg, rt, ctxs);
      if (ctxs.some((c) => !c)) throw new RangeError('fused engine: out of memory for the parameters');
      if (rt.ex.ctx_psize(ctxs[0]) !== engine.layout.size) throw new Error(`fused engine: wasm counts ${rt.ex.ctx_psize(ctxs[0])} parameters, layout.ts ${engine.layout.size}`);
      return engine;
    } catch (err) {
      rt.dispose();
      throw err;
    }
  }

  /** the runtime, until dispose() hands it back */
  private get rt(): WasmRuntime {
    if (!this.runtime) throw new Error('fused engine: used after dispose()');
    return this.runtime;
  }

  get threads(): number {
    return this.rt.threads;
  }

  /** Bytes of WebAssembly memory held (grows with the largest batch seen, then stays). */
  memoryBytes(): number {
    return this.rt.memory.buffer.byteLength;
  }

  lossAndGrad(params: Float32Array, batch: Batch): { loss: number; grad: Float32Array } {
    assertParamVector(params, this.layout);
    this.checkBatch(batch);
    return this.runTrain([params], [batch], false)[0];
  }

  /** lossAndGrad and the per-token losses it summed ([rows, n], bit for bit evaluate's nll) from the same pass */
  lossAndGradWithNll(params: Float32Array, batch: Batch): { loss: number; grad: Float32Array; nll: Float32Array } {
    const r = this.lossAndGrad(params, batch);
    const at = this.rt.ex.ctx_nll(this.ctxs[0]) / 4;
    return { ...r, nll: this.rt.mem.f32.slice(at, at + batch.rows * this.cfg.list_length) };
  }

  /**
   * Losses and gradients of several (params, batch) pairs, e.g. one SGLD step of several chains,
   * in one call: with T threads, T pairs at a time each run whole on one thread (no barriers
   * inside a step), the rest split across all threads. Results are bitwise those of separate
   * lossAndGrad calls.
   */
  lossAndGradMany(params: Float32Array[], batches: Batch[]): { loss: number; grad: Float32Array }[] {
    if (params.length !== batches.length) throw new ShapeError(`lossAndGradMany: ${params.length} parameter vectors but ${batches.length} batches`);
    params.forEach((p, i) => assertParamVector(p, this.layout, `params[${i}]`));
    batches.forEach((b) => this.checkBatch(b));
    const T = this.threads;
    const many = params.length >= T && T > 1 ? params.length - (params.length % T) : 0;
    const out: { loss: number; grad: Float32Array }[] = [];
    if (many) out.push(...this.runTrain(params.slice(0, many), batches.slice(0, many), true));
    for (let i = many; i < params.length; i++) out.push(...this.runTrain([params[i]], [batches[i]], false));
    return out;
  }

  private runTrain(params: Float32Array[], batches: Batch[], many: boolean): { loss: number; grad: Float32Array }[] {
    const st = this.runGradients(MODE.train, params, batches, many);
    const mem = this.rt.mem.f32;
    const size = this.layout.size;
    return params.map((_, i) => ({ loss: this.rt.ex.io_loss(i), grad: mem.slice(st.grads / 4 + i * size, st.grads / 4 + (i + 1) * size) }));
  }

  /** one job of `mode` (train, or sgld: train and then the step) on the staged (params, batch) pairs; returns the staging */
  private runGradients(mode: number, params: Float32Array[], batches: Batch[], many: boolean): Staging {
    const { ex } = this.rt;
    const rows = Math.max(...batches.map((b) => b.rows));
    const st = this.stage(params.length, rows, 0);
    this.reserve(rows, many ? this.ctxs.length : 1);
    if (!ex.io_reserve(params.length)) throw new RangeError('fused engine: out of memory');
    const { f32, u8 } = this.rt.mem;
    const size = this.layout.size;
    params.forEach((p, i) => {
      f32.set(p, st.params / 4 + i * size);
      u8.set(batches[i].tokens, st.tokens + i * rows * this.cfg.n_ctx);
      ex.io_set(i, st.params + 4 * i * size, st.tokens + i * rows * this.cfg.n_ctx, batches[i].rows, st.grads + 4 * i * size);
    });
    this.ctxs.forEach((c, t) => ex.job_ctx(t, c));
    ex.job_set(mode, this.threads, many ? 1 : 0, params.length);
    this.rt.run();
    return st;
  }

  /** lossAndGrad at w and the SGLD step on it in one job (sgld-step.ts); w is stepped in place */
  sgldStep(w: Float32Array, batch: Batch, a: SgldStepArgs): SgldStepResult {
    assertParamVector(w, this.layout);
    this.checkBatch(batch);
    this.steps ??= new StepState(this.rt);
    this.steps.prepare(this.layout.size, a);
    const st = this.runGradients(MODE.sgld, [w], [batch], false);
    w.set(this.rt.mem.f32.subarray(st.params / 4, st.params / 4 + w.length));
    return this.steps.result(this.rt.ex.io_loss(0), a);
  }

  evaluate(params: Float32Array, batch: Batch, opts: { ablate?: HeadAblation[] } = {}): EvalResult {
    const n = this.cfg.list_length;
    const nll = new Float32Array(batch.rows * n);
    const correct = new Uint8Array(batch.rows * n);
    this.chunks(params, batch, EVAL_CHUNK, MODE.eval, opts.ablate, (r0, rows) => {
      const { f32, u8 } = this.rt.mem;
      const c = this.ctxs[0];
      nll.set(f32.subarray(this.rt.ex.ctx_nll(c) / 4, this.rt.ex.ctx_nll(c) / 4 + rows * n), r0 * n);
      correct.set(u8.subarray(this.rt.ex.ctx_correct(c), this.rt.ex.ctx_correct(c) + rows * n), r0 * n);
    });
    return { nll, correct };
  }

  forward(params: Float32Array, batch: Batch, opts: { hooks?: readonly HookName[]; ablate?: HeadAblation[] } = {}): ForwardResult {
    const { cfg, P } = this;
    const logits = new Float32Array(batch.rows * P * cfg.d_vocab);
    const cache: Partial<Record<HookName, Activation>> = {};
    const wanted = [...new Set(opts.hooks ?? [])].flatMap((name) => {
      const k = hookKind(name, cfg);
      if (!k) return [];
      const shape = hookShape(name, cfg, batch.rows);
      cache[name] = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
      return [{ name, ...k }];
    });
    this.chunks(params, batch, FORWARD_CHUNK, MODE.forward, opts.ablate, (r0, rows) => {
      const copy = (kind: number, layer: number, dst: Float32Array) => {
        const st = this.staging;
        const count = this.rt.ex.ctx_hook(this.ctxs[0], kind, layer, st.out);
        const per = count / rows;
        dst.set(this.rt.mem.f32.subarray(st.out / 4, st.out / 4 + count), r0 * per);
      };
      copy(HOOK_LOGITS, 0, logits);
      for (const h of wanted) copy(h.kind, h.layer, cache[h.name]!.data);
    });
    return { logits, cache };
  }

  dispose(): void {
    this.steps = null;
    this.runtime?.dispose();
    this.runtime = null;
  }

  /** evaluate / forward in chunks of at most `chunk` rows, all threads on each chunk */
  private chunks(params: Float32Array, batch: Batch, chunk: number, mode: number, ablate: HeadAblation[] | undefined, read: (r0: number, rows: number) => void): void {
    assertParamVector(params, this.layout);
    this.checkBatch(batch);
    const { ex } = this.rt;
    const ctx = this.cfg.n_ctx;
    const rows = Math.min(chunk, batch.rows);
    const st = this.stage(1, rows, mode === MODE.forward ? rows * this.maxHookFloatsPerRow() : 0);
    this.reserve(rows, 1);
    this.writeAblations(ablate ?? []);
    this.rt.mem.f32.set(params, st.params / 4);
    if (!ex.io_reserve(1)) throw new RangeError('fused engine: out of memory');
    ex.job_ctx(0, this.ctxs[0]);
    for (let r0 = 0; r0 < batch.rows; r0 += rows) {
      const b = Math.min(rows, batch.rows - r0);
      this.rt.mem.u8.set(batch.tokens.subarray(r0 * ctx, (r0 + b) * ctx), st.tokens);
      ex.io_set(0, st.params, st.tokens, b, st.grads);
      ex.job_set(mode, this.threads, 0, 1);
      this.rt.run();
      read(r0, b);
    }
  }

  private maxHookFloatsPerRow(): number {
    const { d_model, n_heads, d_head, d_vocab } = this.cfg;
    const P = this.P;
    return Math.max(P * d_model, n_heads * P * P, P * n_heads * d_head, P * d_vocab);
  }

  private checkBatch(batch: Batch): void {
    const { n_ctx, d_vocab } = this.cfg;
    if (!Number.isInteger(batch.rows) || batch.rows < 1) throw new ShapeError(`batch.rows: got ${batch.rows}; expected a positive integer`);
    if (batch.tokens.length !== batch.rows * n_ctx) throw new ShapeError(`batch.tokens has ${batch.tokens.length} values; expected [${batch.rows}, ${n_ctx}]`);
    for (let i = 0; i < batch.tokens.length; i++)
      if (batch.tokens[i] >= d_vocab) throw new ShapeError(`batch.tokens[${i}] = ${batch.tokens[i]} is not a token of the vocabulary (d_vocab ${d_vocab})`);
  }

  /** ablation flags and replacement z of every (layer, head) into the wasm context */
  private writeAblations(ablate: HeadAblation[]): void {
    const { n_layers: NL, n_heads: H, d_head: dh } = this.cfg;
    const P = this.P;
    const hp = Math.ceil(dh / 4) * 4;
    const c = this.ctxs[0];
    const { i32, f32 } = this.rt.mem;
    const on = i32.subarray(this.rt.ex.ctx_abl_on(c) / 4, this.rt.ex.ctx_abl_on(c) / 4 + NL * H);
    const z = f32.subarray(this.rt.ex.ctx_abl_z(c) / 4, this.rt.ex.ctx_abl_z(c) / 4 + NL * H * P * hp);
    on.fill(0);
    for (const a of ablate) {
      if (!(a.layer >= 0 && a.layer < NL && a.head >= 0 && a.head < H)) throw new ShapeError(`ablation of head ${a.layer}.${a.head}: the model has ${NL} layers of ${H} heads`);
      const base = (a.layer * H + a.head) * P * hp;
      if (!on[a.layer * H + a.head]) z.fill(0, base, base + P * hp);
      on[a.layer * H + a.head] = 1;
      // as tfjs: a head's z becomes the last mean given for it, else 0
      if (a.kind === 'mean') {
        if (!a.mean || a.mean.length !== P * dh) throw new Error(`mean-ablation of head ${a.layer}.${a.head} needs a mean z of shape [${P}, ${dh}]`);
        for (let p = 0; p < P; p++) z.set(a.mean.subarray(p * dh, (p + 1) * dh), base + p * hp);
      }
    }
  }

  private reserve(rows: number, contexts: number): void {
    for (let t = 0; t < contexts; t++)
      if (!this.rt.ex.ctx_reserve(this.ctxs[t], rows, this.threads)) throw new RangeError(`fused engine: out of memory for ${rows} rows of activations`);
  }

  /** staging space in wasm memory for `chains` × (params, gradient, tokens of `rows` rows) and `outFloats` */
  private stage(chains: number, rows: number, outFloats: number): Staging {
    const s = this.staging;
    if (chains > s.chains || rows > s.rows) {
      const c = chains > s.chains ? Math.max(chains, 2 * s.chains) : s.chains;
      const r = rows > s.rows ? Math.max(rows, 2 * s.rows) : s.rows;
      const size = this.layout.size;
      this.staging = { ...s, chains: c, rows: r, params: this.rt.alloc(4 * c * size, 'parameters'), grads: this.rt.alloc(4 * c * size, 'gradients'), tokens: this.rt.alloc(c * r * this.cfg.n_ctx, 'tokens') };
    }
    if (outFloats > this.staging.outFloats) this.staging = { ...this.staging, out: this.rt.alloc(4 * Math.max(outFloats, 2 * this.staging.outFloats), 'activations'), outFloats: Math.max(outFloats, 2 * this.staging.outFloats) };
    return this.staging;
  }
}
