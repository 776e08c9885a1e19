// A helper thread of the fused engine (runtime.ts): one instance of engine.wasm on the engine's
// shared memory. It sleeps on the job counter ctl[0] and, for each job, runs its share
// (thread_run(tid)), which ends at a barrier with the other threads. Plain JavaScript: no loader.
import { parentPort, workerData } from 'node:worker_threads';

const { module, memory, tid, ctl, stackTop, lateStartMs } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, now: () => performance.now() } });
instance.exports.__stack_pointer.value = stackTop;
const i32 = new Int32Array(memory.buffer, ctl, 8); // [job generation, exit, abort, barrier count, barrier generation, …] (engine.c)
let seen = Atomics.load(i32, 0);
parentPort.postMessage('ready');
// the stress tests' "late" helper threads: the first jobs are issued before this thread looks for them
if (lateStartMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, lateStartMs);
for (;;) {
  Atomics.wait(i32, 0, seen);
  const now = Atomics.load(i32, 0);
  if (now === seen) continue; // woken without a new job: wait again
  seen = now;
  if (Atomics.load(i32, 1)) break;
  try {
    instance.exports.thread_run(tid);
  } catch (err) {
    // release the other threads from their barriers, then report
    Atomics.store(i32, 2, 1);
    Atomics.add(i32, 4, 1);
    Atomics.notify(i32, 4);
    parentPort.postMessage({ error: String(err?.stack ?? err) });
    break;
  }
  // let the event loop run V8's pending tasks for this thread: without them its wasm code is
  // never tiered up from the baseline compiler (about 2× slower)
  await new Promise((resolve) => setImmediate(resolve));
}
