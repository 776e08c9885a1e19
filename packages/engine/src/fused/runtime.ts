/**
 * The fused engine's WebAssembly runtime: engine.wasm (built from ../../fused-src by
 * `npm run build:fused`, committed) instantiated once per thread on one shared
 * `WebAssembly.Memory`. The calling thread is thread 0; threads 1 … T−1 are worker_threads
 * (worker.mjs) sleeping on a job counter in that memory. A job: the caller describes it
 * (job_set), bumps the counter (Atomics.notify), runs its own share (thread_run(0)) and returns
 * when every thread has passed the job's last barrier, so calls stay synchronous.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The slice of the WebAssembly JS API used here (the repo's TypeScript lib has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
type WasmModule = object;
interface WasmApi {
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: object }>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const WASM_URL = new URL('./engine.wasm', import.meta.url);
const WORKER_URL = new URL('./worker.mjs', import.meta.url);
const STACK_BYTES = 1 << 16;
/** 2 GiB: the largest memory a wasm32 module addresses with signed offsets */
const MAX_PAGES = 32768;

export const MODE = { train: 0, eval: 1, forward: 2, sgld: 3 } as const;
/** Barrier and thread start-up settings; only the stress tests change them (see start()). */
export interface SyncOptions {
  spins?: number;
  waitMicros?: number;
  lateStartMs?: number;
}

/** slots of the control block (engine.c's ctl[8]) */
const CTL = { job: 0, exit: 1, abort: 2, count: 3, generation: 4, passes: 5, spin: 6, waitMicros: 7, lost: 8 } as const;
const CTL_SIZE = 16;

/** The C exports (engine.c). Pointers are byte offsets into the shared memory; 0 means out of memory. */
export interface FusedExports {
  thread_run(tid: number): void;
  ctl_addr(): number;
  alloc_bytes(n: number): number;
  heap_mark(): number;
  heap_reset(mark: number): void;
  ctx_new(nLayers: number, nHeads: number, dModel: number, dHead: number, dVocab: number, n: number, ln: number, eps: number, scale: number): number;
  ctx_reserve(ctx: number, rows: number, threads: number): number;
  ctx_psize(ctx: number): number;
  ctx_combos(ctx: number): number;
  ctx_nll(ctx: number): number;
  ctx_correct(ctx: number): number;
  ctx_abl_on(ctx: number): number;
  ctx_abl_z(ctx: number): number;
  ctx_hook(ctx: number, kind: number, layer: number, dst: number): number;
  io_reserve(n: number): number;
  io_set(i: number, params: number, tokens: number, rows: number, grad: number): void;
  io_loss(i: number): number;
  job_set(mode: number, threads: number, many: number, nio: number): void;
  job_ctx(t: number, ctx: number): void;
  step_set(w0: number, g0: number, idx: number, m: number, P: number, Ps: number, xi: number, nbeta: number, gamma: number, wd: number, half: number, scale: number, g: number, before: number, parts: number): void;
  step_sum(j: number): number;
  step_blocks_of(m: number): number;
  zig_normals(state: number, u: number, out: number, n: number, XS: number, X: number, slow: number): number;
  __stack_pointer: { value: number };
}

let compiled: Promise<WasmModule> | null = null;

function wasmModule(): Promise<WasmModule> {
  compiled ??= wasm.compile(readFileSync(WASM_URL));
  return compiled;
}

/**
 * Idle runtimes, at most one per thread count: dispose() parks a healthy runtime here and start()
 * takes it back, memory and threads included. A WebAssembly.Memory cannot be freed explicitly, and
 * V8 does not count shared memory towards its collection pressure, so runtimes dropped one after
 * another (about 50 MB each for the baseline model) piled up until the process ran out of memory.
 */
const idle = new Map<number, WasmRuntime>();

/** Ends the threads of the parked runtimes (the stress harness uses it to start threads afresh). */
export function releaseIdleRuntimes(): void {
  for (const rt of idle.values()) rt.terminateParked();
  idle.clear();
}

/** Terminates the helper threads of runtimes that were dropped without dispose(). */
const orphans = new FinalizationRegistry<Worker[]>((workers) => {
  for (const w of workers) void w.terminate();
});

export class WasmRuntime {
  private views: { f32: Float32Array; u8: Uint8Array; i32: Int32Array; u32: Uint32Array; f64: Float64Array } | null = null;

  private constructor(
    readonly memory: WasmMemory,
    readonly ex: FusedExports,
    private readonly workers: Worker[],
    readonly threads: number,
    private readonly ctl: number,
    /** set when a thread failed (kept apart from `this` so that workers' listeners do not pin it) */
    private readonly status: { broken: Error | null },
    /** the allocation mark after the thread stacks: a reused runtime starts again from here */
    private readonly mark: number,
  ) {}

  private setSync(sync: SyncOptions): void {
    const ctl32 = new Int32Array(this.memory.buffer, this.ctl, CTL_SIZE);
    ctl32[CTL.spin] = sync.spins === undefined ? 0 : sync.spins + 1;
    ctl32[CTL.waitMicros] = sync.waitMicros === undefined ? 0 : Math.max(1, sync.waitMicros);
  }

  /**
   * @param sync.spins barrier spins before a thread sleeps (default 20,000); sync.waitMicros the
   *   longest sleep before a thread rechecks (default 20,000 µs); sync.lateStartMs how long a new
   *   helper thread sleeps before it first looks for work. For the stress tests only.
   */
  static async start(threads: number, sync: SyncOptions = {}): Promise<WasmRuntime> {
    const parked = idle.get(threads);
    if (parked) {
      idle.delete(threads);
      parked.ex.heap_reset(parked.mark);
      parked.setSync(sync);
      return parked;
    }
    const module = await wasmModule();
    const memory = new wasm.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
    const instance = await wasm.instantiate(module, { env: { memory, now: () => performance.now() } });
    const ex = instance.exports as unknown as FusedExports;
    const ctl = ex.ctl_addr();
    const workers: Worker[] = [];
    try {
      for (let tid = 1; tid < threads; tid++) {
        const stack = ex.alloc_bytes(STACK_BYTES);
        if (!stack) throw new Error('fused engine: out of memory for thread stacks');
        const worker = new Worker(WORKER_URL, { workerData: { module, memory, tid, ctl, stackTop: stack + STACK_BYTES, lateStartMs: sync.lateStartMs ?? 0 } });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        });
      }
    } catch (err) {
      for (const w of workers) void w.terminate();
      throw err;
    }
    const status = { broken: null as Error | null };
    for (const w of workers)
      w.on('message', (m: { error?: string }) => {
        if (m?.error) status.broken = new Error(`fused engine worker failed: ${m.error}`);
      });
    // after the listeners (adding one refs the worker again): idle helper threads never keep the process alive
    for (const w of workers) w.unref();
    const rt = new WasmRuntime(memory, ex, workers, threads, ctl, status, ex.heap_mark());
    rt.setSync(sync);
    orphans.register(rt, workers, rt);
    return rt;
  }

  /** Typed views of the memory, renewed after it grew. */
  get mem(): { f32: Float32Array; u8: Uint8Array; i32: Int32Array; u32: Uint32Array; f64: Float64Array } {
    const buf = this.memory.buffer;
    if (!this.views || this.views.u8.byteLength !== buf.byteLength) this.views = { f32: new Float32Array(buf), u8: new Uint8Array(buf), i32: new Int32Array(buf), u32: new Uint32Array(buf), f64: new Float64Array(buf) };
    return this.views;
  }

  alloc(bytes: number, what: string): number {
    const p = this.ex.alloc_bytes(bytes);
    if (!p) throw new RangeError(`fused engine: out of memory allocating ${what} (${bytes} bytes; the memory is capped at 2 GiB)`);
    return p;
  }

  /**
   * Run the described job (job_set, job_ctx, io_set done) on all threads; returns when all are done.
   * A failed thread makes this and every later call throw.
   */
  run(): void {
    if (this.status.broken) throw this.status.broken;
    const i32 = new Int32Array(this.memory.buffer, this.ctl, CTL_SIZE);
    const gen0 = Atomics.load(i32, CTL.generation);
    const passes0 = Atomics.load(i32, CTL.passes);
    if (this.threads > 1) {
      Atomics.add(i32, CTL.job, 1);
      Atomics.notify(i32, CTL.job);
    }
    try {
      this.ex.thread_run(0);
    } catch (err) {
      // release the workers from their barriers; the engine's state is unknown from here on
      Atomics.store(i32, CTL.abort, 1);
      Atomics.add(i32, CTL.generation, 1);
      Atomics.notify(i32, CTL.generation);
      this.status.broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
    if (Atomics.load(i32, CTL.abort)) {
      this.status.broken ??= new Error('fused engine: a worker thread failed');
      throw this.status.broken;
    }
    // Every barrier thread 0 passed must have been released by all threads: the generation moves
    // once per release, and nobody may be left waiting at one. Anything else means the threads
    // lost step, and the numbers of this call cannot be trusted.
    const released = Atomics.load(i32, CTL.generation) - gen0;
    if (Atomics.load(i32, CTL.lost)) {
      this.status.broken = new Error(
        'fused engine: the threads lost step (the helper threads finished the call while thread 0 still waited at a barrier); ' +
          'the result was discarded. Please report this with the command that ran; --engine tfjs avoids the fused engine.',
      );
      throw this.status.broken;
    }
    const passed = Atomics.load(i32, CTL.passes) - passes0;
    const waiting = Atomics.load(i32, CTL.count);
    if (released !== passed || waiting !== 0) {
      this.status.broken = new Error(
        `fused engine: the threads lost step (thread 0 passed ${passed} barriers, ${released} were released, ${waiting} thread(s) still waiting); ` +
          'the result was discarded. Please report this with the command that ran; --engine tfjs avoids the fused engine.',
      );
      throw this.status.broken;
    }
  }

  /**
   * Done with this runtime: a healthy one is parked for the next start() with the same thread
   * count (its memory is reused, see `idle`); otherwise its threads end.
   */
  dispose(): void {
    if (!this.status.broken && !idle.has(this.threads)) {
      idle.set(this.threads, this);
      return;
    }
    this.terminate();
  }

  /** for releaseIdleRuntimes */
  terminateParked(): void {
    this.terminate();
  }

  private terminate(): void {
    orphans.unregister(this);
    const i32 = new Int32Array(this.memory.buffer, this.ctl, CTL_SIZE);
    // a thread still waiting at a barrier (after the threads lost step) leaves it through the abort path
    Atomics.store(i32, CTL.abort, 1);
    Atomics.add(i32, CTL.generation, 1);
    Atomics.notify(i32, CTL.generation);
    // an idle thread wakes to the exit flag and ends
    Atomics.store(i32, CTL.exit, 1);
    Atomics.add(i32, CTL.job, 1);
    Atomics.notify(i32, CTL.job);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
    this.status.broken ??= new Error('fused engine: used after dispose()');
  }
}
