// Entry point of sortscope worker threads: make TypeScript importable (tsx), then load the
// worker module named in workerData. (Node 20 ignores `--import tsx` in a worker's execArgv.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
