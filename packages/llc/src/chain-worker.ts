/**
 * Worker thread of the llc stage: the training tokens are sent once, then jobs —
 *   `full`       the mean loss and gradient over one fixed range of training rows (the whole-set
 *                pass: L(w0) and the tilt's ∇L_n(w0), summed over ranges by the runner), and
 *                the rows' per-token losses for the control variate;
 *   `init`       devinterp's init_loss on minibatches (method sgld);
 *   `precond`    the rmsprop preconditioner at a checkpoint (preconditioner.ts);
 *   `curvature`  λ_max of the Hessian (or of the preconditioned potential) for the step size;
 *   `decrement`  the Newton decrement at the checkpoint (decrement.ts);
 *   `grad`       the gradient on the curvature batch at one point (the relaxation's Hessian-vector
 *                products, two points each, on two workers: run.ts, relax.ts);
 *   `chain`      one segment of one SGLD chain (chain.ts), from its start or from where it stopped.
 * Each job names the model configuration it runs on (the canonical form changes ln_eps), and the
 * worker keeps one single-threaded engine per configuration: the pool already uses the cores.
 */
import { Rng, serveJobs } from '@sortscope/core';
import type { ModelConfig } from '@sortscope/model';
import { type Batch, createEngine, type Engine } from '@sortscope/engine';
import { type ChainSettings, type ChainStart, type ChainTrace, runChain } from './chain.ts';
import { preconditioning } from './chain-step.ts';
import { type Decrement, newtonDecrement } from './decrement.ts';
import { estimateInitLoss, type InitLoss } from './estimate.ts';
import { hessianVector, preconditionedTopEigenvalue, topEigenvalue } from './hessian.ts';
import { PRECONDITIONER_BATCHES, rmspropPreconditioner } from './preconditioner.ts';
import { curvatureBatch, engineProblem, rowBaseline, rowRange, tokenStream, tokenStreams } from './problem.ts';
import { tiltedProblem } from './tilt.ts';

export interface WorkerInit {
  cfg: ModelConfig;
  tokens: Uint8Array;
  rows: number;
  backend?: string;
}

/** a chain's settings as sent to a worker: the preconditioner as P alone (sqrt(P) is rebuilt there) */
export type ChainJobSettings = Omit<ChainSettings, 'precondition'> & { precondition: Float64Array | null };

export type WorkerJob =
  | { kind: 'full'; cfg: ModelConfig; w0: Float32Array; start: number; rows: number; nll: boolean }
  | { kind: 'init'; cfg: ModelConfig; w0: Float32Array; batchSize: number; seed: number; batches: number }
  | { kind: 'precond'; cfg: ModelConfig; w0: Float32Array; indices: Uint32Array | null; batchSize: number; seed: number; target: string; nbeta: number; gamma: number }
  | { kind: 'curvature'; cfg: ModelConfig; w0: Float32Array; indices: Uint32Array | null; rows: number; seed: number; precondition?: { sqrt: Float64Array; nbeta: number; gamma: number } }
  | { kind: 'decrement'; cfg: ModelConfig; w0: Float32Array; indices: Uint32Array | null; g: Float64Array; rows: number; seed: number; nbeta: number; gamma: number }
  | { kind: 'grad'; cfg: ModelConfig; w: Float32Array; rows: number; seed: number }
  | { kind: 'loss'; cfg: ModelConfig; w: Float32Array; start: number; rows: number }
  | { kind: 'chain'; cfg: ModelConfig; w0: Float32Array; batchSize: number; seed: number; target: string; chain: number; settings: ChainJobSettings; tilt: Float32Array | null; nll: Float32Array | null; start?: ChainStart };

export interface FullPass {
  /** mean loss and gradient over the range, and its rows (the runner weights ranges by rows) */
  loss: number;
  grad: Float64Array;
  rows: number;
  /** [rows, n] per-token losses at w0 (the control variate's L_B(w0) without a forward pass per draw), when asked */
  nll: Float32Array | null;
}

export type WorkerResult = FullPass | InitLoss | Float64Array | Float32Array | number | Decrement | ChainTrace;

const engines = new Map<string, Engine>();

/** the curvature batch of the last (rows, seed) asked for (λ_max, the decrement, and ~100 times per relaxation) */
let curvature: { key: string; batch: Batch } | null = null;
function cachedCurvatureBatch(init: WorkerInit, nCtx: number, rows: number, seed: number): Batch {
  const key = `${rows}/${seed}/${nCtx}`;
  if (curvature?.key !== key) curvature = { key, batch: curvatureBatch(init.tokens, init.rows, nCtx, rows, seed) };
  return curvature.batch;
}

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

serveJobs<WorkerJob, WorkerResult, WorkerInit>(async (job, init, progress) => {
  const engine = await engineFor(job.cfg, init.backend);
  const problem = engineProblem(engine);
  const nCtx = job.cfg.n_ctx;
  switch (job.kind) {
    case 'full': {
      const range = rowRange(init.tokens, nCtx, job.start, job.rows);
      if (job.nll && engine.lossAndGradWithNll) {
        const r = engine.lossAndGradWithNll(job.w0, range);
        return { loss: r.loss, grad: Float64Array.from(r.grad), rows: job.rows, nll: r.nll };
      }
      const r = problem.lossAndGrad(job.w0, range);
      return { loss: r.loss, grad: Float64Array.from(r.grad), rows: job.rows, nll: job.nll ? engine.evaluate(job.w0, range).nll : null };
    }
    case 'init':
      return estimateInitLoss(problem, job.w0, tokenStreams(init.tokens, init.rows, nCtx, job.batchSize, job.seed, 'all'), job.batches);
    case 'precond': {
      const batches = tokenStream(init.tokens, init.rows, nCtx, job.batchSize, (e) => Rng.derive(job.seed, 'llc', job.target, 'preconditioner', e));
      return rmspropPreconditioner(problem, job.w0, job.indices, batches, { batches: PRECONDITIONER_BATCHES, rows: job.batchSize, tokensPerRow: job.cfg.list_length, nbeta: job.nbeta, gamma: job.gamma });
    }
    case 'curvature': {
      const batch = cachedCurvatureBatch(init, nCtx, job.rows, job.seed);
      const p = job.precondition;
      return p ? preconditionedTopEigenvalue(problem, job.w0, job.indices, batch, p.sqrt, p.nbeta, p.gamma, job.seed) : topEigenvalue(problem, job.w0, job.indices, batch, job.seed);
    }
    case 'decrement': {
      const batch = cachedCurvatureBatch(init, nCtx, job.rows, job.seed);
      return newtonDecrement(job.g, (v) => hessianVector(problem, job.w0, job.indices, batch, v), job.nbeta, job.gamma);
    }
    case 'grad':
      return problem.lossAndGrad(job.w, cachedCurvatureBatch(init, nCtx, job.rows, job.seed)).grad.slice(); // a copy: the engine's may view its memory
    case 'loss':
      return problem.loss!(job.w, rowRange(init.tokens, nCtx, job.start, job.rows));
    case 'chain': {
      const streams = tokenStreams(init.tokens, init.rows, nCtx, job.batchSize, job.seed, job.target);
      const sampled = job.tilt ? tiltedProblem(problem, job.w0, job.tilt, job.settings.indices) : problem;
      const settings: ChainSettings = { ...job.settings, precondition: job.settings.precondition ? preconditioning(job.settings.precondition) : null, baseline: job.nll ? rowBaseline(job.nll, job.cfg.list_length) : null };
      const noise = job.start?.rng ? Rng.restore(job.start.rng) : streams.noise(job.chain);
      let reported = 0;
      return runChain(
        sampled,
        job.w0,
        settings,
        streams.batches(job.chain, job.start?.step ?? 0),
        noise,
        (draw) => {
          if ((draw + 1) % 10 === 0 || draw + 1 === settings.draws) {
            progress(draw + 1 - reported);
            reported = draw + 1;
          }
        },
        job.start,
      );
    }
  }
});
