/**
 * Worker thread of the llc stage: the training tokens are sent once, then jobs — `init` (init_loss
 * at a checkpoint), `curvature` (λ_max of the Hessian at a checkpoint, for the step size) and
 * `chain` (one SGLD chain's trace). Each job names the model configuration it runs on (the
 * canonical form changes ln_eps), and the worker keeps one single-threaded engine per
 * configuration: the pool already uses the cores.
 */
import { serveJobs } from '@sortscope/core';
import type { ModelConfig } from '@sortscope/train';
import { createEngine, type Engine } from '@sortscope/train';
import { type ChainSettings, runChain, type ChainTrace } from './chain.ts';
import { estimateInitLoss, type InitLoss } from './estimate.ts';
import { topEigenvalue } from './hessian.ts';
import { curvatureBatch, engineProblem, tokenStreams } from './problem.ts';

export interface WorkerInit {
  cfg: ModelConfig;
  tokens: Uint8Array;
  rows: number;
  backend?: string;
}

export type WorkerJob =
  | { kind: 'init'; cfg: ModelConfig; w0: Float32Array; batchSize: number; seed: number; batches: number }
  | { kind: 'curvature'; cfg: ModelConfig; w0: Float32Array; indices: Uint32Array | null; rows: number; seed: number }
  | { kind: 'chain'; cfg: ModelConfig; w0: Float32Array; batchSize: number; seed: number; target: string; chain: number; settings: ChainSettings };

const engines = new Map<string, Engine>();

async function engineFor(cfg: ModelConfig, backend?: string): Promise<Engine> {
  const key = JSON.stringify(cfg);
  let e = engines.get(key);
  if (!e) {
    if (engines.size >= 4) for (const [k, old] of engines) (old.dispose(), engines.delete(k));
    e = await createEngine(cfg, { backend, threads: 1 });
    engines.set(key, e);
  }
  return e;
}

serveJobs<WorkerJob, number | ChainTrace | InitLoss, WorkerInit>(async (job, init, progress) => {
  const problem = engineProblem(await engineFor(job.cfg, init.backend));
  if (job.kind === 'init') {
    return estimateInitLoss(problem, job.w0, tokenStreams(init.tokens, init.rows, job.cfg.n_ctx, job.batchSize, job.seed, 'all'), job.batches);
  }
  if (job.kind === 'curvature') {
    return topEigenvalue(problem, job.w0, job.indices, curvatureBatch(init.tokens, init.rows, job.cfg.n_ctx, job.rows, job.seed), job.seed);
  }
  const streams = tokenStreams(init.tokens, init.rows, job.cfg.n_ctx, job.batchSize, job.seed, job.target);
  let reported = 0;
  return runChain(problem, job.w0, job.settings, streams.batches(job.chain), streams.noise(job.chain), (draw) => {
    if ((draw + 1) % 10 === 0 || draw + 1 === job.settings.draws) {
      progress(draw + 1 - reported);
      reported = draw + 1;
    }
  });
});
