/**
 * Worker thread of the llc stage: one tfjs engine per thread, the training tokens sent once,
 * then jobs: `init` (init_loss at a checkpoint) and `chain` (one SGLD chain's trace).
 */
import { serveJobs } from '@sortscope/core';
import type { ModelConfig } from '@sortscope/train';
import { createEngine, type Engine } from '@sortscope/train';
import { type ChainSettings, runChain, type ChainTrace } from './chain.ts';
import { estimateInitLoss } from './estimate.ts';
import { engineProblem, tokenStreams } from './problem.ts';

export interface WorkerInit {
  cfg: ModelConfig;
  tokens: Uint8Array;
  rows: number;
  backend?: string;
}

export type WorkerJob =
  | { kind: 'init'; w0: Float32Array; batchSize: number; seed: number; batches: number }
  | { kind: 'chain'; w0: Float32Array; batchSize: number; seed: number; target: string; chain: number; settings: ChainSettings };

let engine: Engine | null = null;

serveJobs<WorkerJob, number | ChainTrace, WorkerInit>(async (job, init, progress) => {
  // one single-threaded engine per worker: the pool already uses the cores
  engine ??= await createEngine(init.cfg, { backend: init.backend, threads: 1 });
  const problem = engineProblem(engine);
  if (job.kind === 'init') {
    return estimateInitLoss(problem, job.w0, tokenStreams(init.tokens, init.rows, init.cfg.n_ctx, job.batchSize, job.seed, 'all'), job.batches);
  }
  const streams = tokenStreams(init.tokens, init.rows, init.cfg.n_ctx, job.batchSize, job.seed, job.target);
  let reported = 0;
  return runChain(problem, job.w0, job.settings, streams.batches(job.chain), streams.noise(job.chain), (draw) => {
    if ((draw + 1) % 10 === 0 || draw + 1 === job.settings.draws) {
      progress(draw + 1 - reported);
      reported = draw + 1;
    }
  });
});
