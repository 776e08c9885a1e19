/**
 * A small pool of worker threads for independent jobs (SGLD chains, checkpoints). Results come
 * back in job order, so what a caller computes does not depend on how many workers ran or in what
 * order they finished. Each worker gets `init` once (e.g. the training tokens), then jobs; a pool
 * can run several batches of jobs (`run`) before it is closed.
 *
 * Worker side: the module named by `module` calls `serveJobs(handler)`; the handler receives
 * (job, init, progress) and returns the result (or a promise of it). `progress(x)` forwards x to
 * the caller's `onProgress`.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { SortscopeError } from './errors.ts';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/**
 * An error as it crosses the thread boundary: its name, message and stack, the exit code of a
 * SortscopeError (a ConfigError thrown in a worker stays a clear exit-2 error), and a system
 * error's code, call and path (so a full disk in a worker is said as plainly as in the main thread).
 */
interface WireError {
  name: string;
  message: string;
  stack?: string;
  exitCode?: number;
  code?: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

/** The fields of a Node system error that say what failed and where (environment-error.ts reads them). */
const SYSTEM_FIELDS = ['code', 'syscall', 'path', 'dest'] as const;

type Msg = { type: 'ready' } | { type: 'result'; id: number; result: unknown } | { type: 'error'; id: number; error: WireError } | { type: 'progress'; id: number; data: unknown };

function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & Partial<Omit<WireError, 'name' | 'message' | 'stack'>>;
  const wire: WireError = { name: e.name, message: e.message, stack: e.stack };
  if (err instanceof SortscopeError) wire.exitCode = err.exitCode;
  for (const k of SYSTEM_FIELDS) if (typeof e[k] === 'string') wire[k] = e[k];
  return wire;
}

/** A SortscopeError of the same name and exit code as in the worker. */
class WorkerError extends SortscopeError {
  override readonly exitCode: number;
  constructor(name: string, message: string, exitCode: number) {
    super(message);
    this.name = name;
    this.exitCode = exitCode;
  }
}

function fromWire(w: WireError, prefix: string): Error {
  // a domain error keeps its own message (it names the field or file); a defect says where it came from
  const err = w.exitCode !== undefined ? new WorkerError(w.name, w.message, w.exitCode) : Object.assign(new Error(`${prefix}: ${w.message}`), { name: w.name });
  for (const k of SYSTEM_FIELDS) if (w[k] !== undefined) Object.assign(err, { [k]: w[k] });
  if (w.stack) err.stack = w.stack;
  return err;
}

export interface PoolOptions {
  /** URL of the worker module (a .ts file that calls serveJobs) */
  module: URL;
  /** sent once to every worker as workerData.init */
  init: unknown;
  /** worker threads [default: the available cores] */
  size?: number;
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private handler: ((m: Msg, slot: Slot) => void) | null = null;
  private failure: Error | null = null;

  private constructor() {}

  static async start(opts: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const size = Math.max(1, opts.size ?? defaultWorkers());
    await Promise.all(
      Array.from({ length: size }, () => {
        const worker = new Worker(ENTRY, { workerData: { module: opts.module.href, init: opts.init } });
        const slot: Slot = { worker, busy: false };
        pool.slots.push(slot);
        return new Promise<void>((resolve, reject) => {
          worker.on('message', (m: Msg) => (m.type === 'ready' ? resolve() : pool.handler?.(m, slot)));
          worker.on('error', (e) => {
            pool.failure = e;
            reject(e);
            pool.handler?.({ type: 'error', id: -1, error: toWire(e) }, slot);
          });
        });
      }),
    );
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Run `jobs` on the pool; results in job order. */
  run<J, R>(jobs: J[], onProgress?: (data: unknown, job: number) => void): Promise<R[]> {
    if (this.failure) return Promise.reject(this.failure);
    const results: R[] = new Array(jobs.length);
    let next = 0;
    let done = 0;
    return new Promise<R[]>((resolve, reject) => {
      if (jobs.length === 0) return resolve(results);
      const feed = (slot: Slot) => {
        if (next >= jobs.length) {
          slot.busy = false;
          return;
        }
        slot.busy = true;
        const id = next++;
        slot.worker.postMessage({ id, job: jobs[id] });
      };
      this.handler = (m, slot) => {
        if (m.type === 'progress') onProgress?.(m.data, m.id);
        else if (m.type === 'result') {
          results[m.id] = m.result as R;
          if (++done === jobs.length) {
            this.handler = null;
            resolve(results);
          } else feed(slot);
        } else if (m.type === 'error') {
          this.handler = null;
          const err = fromWire(m.error, m.id >= 0 ? `worker job ${m.id}` : 'worker failed');
          this.failure = err;
          reject(err);
        }
      };
      for (const slot of this.slots) feed(slot);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** Start a pool, run one batch of jobs, close it. */
export async function runPool<J, R>(jobs: J[], opts: PoolOptions & { onProgress?: (data: unknown, job: number) => void }): Promise<R[]> {
  const pool = await WorkerPool.start({ ...opts, size: Math.min(opts.size ?? defaultWorkers(), Math.max(1, jobs.length)) });
  try {
    return await pool.run<J, R>(jobs, opts.onProgress);
  } finally {
    await pool.close();
  }
}

/** Worker side: answer jobs with `handler` until the pool terminates the thread. */
export function serveJobs<J, R, I>(handler: (job: J, init: I, progress: (data: unknown) => void) => R | Promise<R>): void {
  if (isMainThread || !parentPort) throw new Error('serveJobs must run inside a worker thread');
  const port = parentPort;
  const init = workerData.init as I;
  port.on('message', async ({ id, job }: { id: number; job: J }) => {
    try {
      const result = await handler(job, init, (data) => port.postMessage({ type: 'progress', id, data }));
      port.postMessage({ type: 'result', id, result });
    } catch (err) {
      port.postMessage({ type: 'error', id, error: toWire(err) });
    }
  });
  port.postMessage({ type: 'ready' });
}
