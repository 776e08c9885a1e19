/**
 * The fused engine's SGLD step (`FusedEngine.sgldStep`; the C side is ../../fused-src/sgld.h): the
 * chain's fixed inputs (w0, the tilt g0, the sampled indices, the preconditioner) are copied into
 * WebAssembly memory once per chain (kept while the caller passes the same arrays), the noise ξ is
 * drawn there — the ziggurat's fast path in C, its ≈ 1.5% tail and wedge deviates finished here
 * with V8's Math.exp/log (packages/core/src/ziggurat.ts), or Box–Muller by Rng.normals straight
 * into wasm memory — and one MODE_SGLD job runs lossAndGrad and the step on all threads.
 *
 * Numbers: bit for bit packages/llc/src/chain-step.ts (drift, block sums and the float32 store)
 * and the tilt of packages/llc/src/tilt.ts; the noise is the chain's own stream, the same values
 * in the same order as zigguratNormals / Rng.normals (sgld-step.test.ts holds all of it).
 */
import { zigguratSlowPath, zigguratTables } from '@sortscope/core';
import type { SgldStepArgs, SgldStepResult } from '../engine.ts';
import type { WasmRuntime } from './runtime.ts';

/** byte offsets of the step's buffers in wasm memory, for chains of `size` parameters and `m` sampled coordinates */
interface Slots {
  size: number;
  m: number;
  w0: number;
  g0: number;
  idx: number;
  P: number;
  Ps: number;
  xi: number;
  g: number;
  before: number;
  parts: number;
  u: number;
  slow: number;
  state: number;
  XS: number;
  X: number;
}

export class StepState {
  private slots: Slots | null = null;
  /** the arrays last copied in (by reference) */
  private have: { w0: Float32Array | null; tilt: Float32Array | null; indices: Uint32Array | null; p: Float64Array | null } = { w0: null, tilt: null, indices: null, p: null };

  constructor(private readonly rt: WasmRuntime) {}

  private reserve(size: number, m: number): Slots {
    const s = this.slots;
    if (s && s.size === size && s.m >= m) return s;
    const a = (bytes: number, what: string) => this.rt.alloc(Math.max(bytes, 8), what);
    const blocks = this.rt.ex.step_blocks_of(m);
    const slots: Slots = {
      size,
      m,
      w0: a(4 * size, 'w0'),
      g0: a(4 * size, 'the tilt'),
      idx: a(4 * m, 'sampled indices'),
      P: a(8 * m, 'the preconditioner'),
      Ps: a(8 * m, 'the preconditioner'),
      xi: a(8 * m, 'the noise'),
      g: a(8 * m, 'the drift'),
      before: a(8 * m, 'the weights before the step'),
      parts: a(8 * 5 * blocks, 'block sums'),
      u: a(4 * m, 'the ziggurat draws'),
      slow: a(4 * m, 'the ziggurat draws'),
      state: a(16, 'the generator state'),
      XS: a(8 * 256, 'the ziggurat tables'),
      X: a(8 * 257, 'the ziggurat tables'),
    };
    const { f64 } = this.rt.mem;
    f64.set(zigguratTables.XS, slots.XS / 8);
    f64.set(zigguratTables.X, slots.X / 8);
    this.slots = slots;
    this.have = { w0: null, tilt: null, indices: null, p: null };
    return slots;
  }

  /**
   * Set up the step for params at `params` and gradient at `grads` (byte offsets, already staged)
   * and draw its noise; returns after step_set, ready for a MODE_SGLD job.
   */
  prepare(size: number, a: SgldStepArgs): void {
    const m = a.indices ? a.indices.length : size;
    if (a.precondition && (a.precondition.p.length !== m || a.precondition.sqrt.length !== m)) throw new RangeError(`sgldStep: preconditioner of length ${a.precondition.p.length}, expected ${m}`);
    if (a.keep && (a.keep.g.length !== m || a.keep.before.length !== m)) throw new RangeError(`sgldStep: keep buffers of length ${a.keep.g.length}, expected ${m}`);
    if (a.w0.length !== size || (a.tilt && a.tilt.length !== size)) throw new RangeError(`sgldStep: w0 has ${a.w0.length} values${a.tilt ? ` and the tilt ${a.tilt.length}` : ''}; the model has ${size}`);
    const s = this.reserve(size, m);
    const { ex } = this.rt;
    const mem = this.rt.mem;
    if (this.have.w0 !== a.w0) (mem.f32.set(a.w0, s.w0 / 4), (this.have.w0 = a.w0));
    if (a.tilt && this.have.tilt !== a.tilt) (mem.f32.set(a.tilt, s.g0 / 4), (this.have.tilt = a.tilt));
    if (a.indices && this.have.indices !== a.indices) {
      for (const i of a.indices) if (!(i < size)) throw new RangeError(`sgldStep: sampled index ${i} is outside the ${size} parameters`);
      mem.u32.set(a.indices, s.idx / 4);
      this.have.indices = a.indices;
    }
    if (a.precondition && this.have.p !== a.precondition.p) {
      mem.f64.set(a.precondition.p, s.P / 8);
      mem.f64.set(a.precondition.sqrt, s.Ps / 8);
      this.have.p = a.precondition.p;
    }
    const scale = Math.sqrt(a.epsilon) * a.noiseLevel;
    const noisy = a.noise !== null && scale !== 0;
    if (noisy) this.draw(a, s, m);
    ex.step_set(s.w0, a.tilt ? s.g0 : 0, a.indices ? s.idx : 0, m, a.precondition ? s.P : 0, a.precondition ? s.Ps : 0, noisy ? s.xi : 0, a.nbeta, a.gamma, a.weightDecay, a.epsilon / 2, scale, a.keep ? s.g : 0, a.keep ? s.before : 0, s.parts);
  }

  /** ξ of the step into s.xi, from the chain's stream */
  private draw(a: SgldStepArgs, s: Slots, m: number): void {
    const rng = a.noise!;
    if (a.stream === 'ziggurat') {
      const { u32 } = this.rt.mem;
      rng.saveWords(u32, s.state / 4);
      const ns = this.rt.ex.zig_normals(s.state, s.u, s.xi, m, s.XS, s.X, s.slow);
      const mem = this.rt.mem;
      rng.loadWords(mem.u32, s.state / 4);
      for (let j = 0; j < ns; j++) {
        const k = mem.i32[s.slow / 4 + j];
        mem.f64[s.xi / 8 + k] = zigguratSlowPath(rng, mem.u32[s.u / 4 + k]);
      }
    } else rng.normals(this.rt.mem.f64.subarray(s.xi / 8, s.xi / 8 + m));
  }

  /** after the job: the sums, and the kept drift and weights */
  result(loss: number, a: SgldStepArgs): SgldStepResult {
    const { ex } = this.rt;
    const s = this.slots!;
    if (a.keep) {
      const { f64 } = this.rt.mem;
      a.keep.g.set(f64.subarray(s.g / 8, s.g / 8 + a.keep.g.length));
      a.keep.before.set(f64.subarray(s.before / 8, s.before / 8 + a.keep.before.length));
    }
    return { loss, slope: a.tilt ? ex.step_sum(4) : 0, dist2: ex.step_sum(0), wd2: ex.step_sum(1), driftNorm: Math.sqrt(ex.step_sum(2)), noiseNorm: Math.sqrt(ex.step_sum(3)) };
  }
}
