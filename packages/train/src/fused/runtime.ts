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

export const MODE = { train: 0, eval: 1, forward: 2 } as const;

/** The C exports (engine.c). Pointers are byte offsets into the shared memory; 0 means out of memory. */
export interface FusedExports {
  thread_run(tid: number): void;
  ctl_addr(): number;
  alloc_bytes(n: number): number;
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
  __stack_pointer: { value: number };
}

let compiled: Promise<WasmModule> | null = null;

function wasmModule(): Promise<WasmModule> {
  compiled ??= wasm.compile(readFileSync(WASM_URL));
  return compiled;
}

/** Terminates the helper threads of runtimes that were dropped without dispose(). */
const orphans = new FinalizationRegistry<Worker[]>((workers) => {
  for (const w of workers) void w.terminate();
});

export class WasmRuntime {
  private views: { f32: Float32Array; u8: Uint8Array; i32: Int32Array } | null = null;

  private constructor(
    readonly memory: WasmMemory,
    readonly ex: FusedExports,
    private readonly workers: Worker[],
    readonly threads: number,
    private readonly ctl: number,
    /** set when a thread failed (kept apart from `this` so that workers' listeners do not pin it) */
    private readonly status: { broken: Error | null },
  ) {}

  static async start(threads: number): Promise<WasmRuntime> {
    const module = await wasmModule();
    const memory = new wasm.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
    const instance = await wasm.instantiate(module, { env: { memory } });
    const ex = instance.exports as unknown as FusedExports;
    const ctl = ex.ctl_addr();
    const workers: Worker[] = [];
    try {
      for (let tid = 1; tid < threads; tid++) {
        const stack = ex.alloc_bytes(STACK_BYTES);
        if (!stack) throw new Error('fused engine: out of memory for thread stacks');
        const worker = new Worker(WORKER_URL, { workerData: { module, memory, tid, ctl, stackTop: stack + STACK_BYTES } });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        });
        worker.unref();
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
    const rt = new WasmRuntime(memory, ex, workers, threads, ctl, status);
    orphans.register(rt, workers, rt);
    return rt;
  }

  /** Typed views of the memory, renewed after it grew. */
  get mem(): { f32: Float32Array; u8: Uint8Array; i32: Int32Array } {
    const buf = this.memory.buffer;
    if (!this.views || this.views.u8.byteLength !== buf.byteLength) this.views = { f32: new Float32Array(buf), u8: new Uint8Array(buf), i32: new Int32Array(buf) };
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
    const i32 = new Int32Array(this.memory.buffer, this.ctl, 8);
    if (this.threads > 1) {
      Atomics.add(i32, 0, 1);
      Atomics.notify(i32, 0);
    }
    try {
      this.ex.thread_run(0);
    } catch (err) {
      // release the workers from their barriers; the engine's state is unknown from here on
      Atomics.store(i32, 2, 1);
      Atomics.add(i32, 4, 1);
      Atomics.notify(i32, 4);
      this.status.broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
    if (Atomics.load(i32, 2)) {
      this.status.broken ??= new Error('fused engine: a worker thread failed');
      throw this.status.broken;
    }
  }

  dispose(): void {
    orphans.unregister(this);
    const i32 = new Int32Array(this.memory.buffer, this.ctl, 8);
    Atomics.store(i32, 1, 1);
    Atomics.add(i32, 0, 1);
    Atomics.notify(i32, 0);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
    this.status.broken = new Error('fused engine: used after dispose()');
  }
}
