/**
 * LLC estimates for many parameter vectors (checkpoints) and targets, on a pool of worker
 * threads: per point one init_loss job and (targets × chains) chain jobs. Each job's random
 * streams depend only on (seed, target, chain) (problem.ts), so the numbers do not depend on the
 * number of workers.
 */
import { log, Progress, WorkerPool } from '@sortscope/core';
import type { ModelConfig } from '@sortscope/train';
import type { ChainSettings, ChainTrace } from './chain.ts';
import type { WorkerInit, WorkerJob } from './chain-worker.ts';
import { chainResult, combineChains, type InitLoss, type LlcEstimate, sampledNorm } from './estimate.ts';
import { needsCurvature, prepare, type Prepared, resolveSampler, type SamplerSettings, sampledFor } from './prepare.ts';
import { type LlcConfig, targetName } from './schema.ts';

export interface TrainingData {
  tokens: Uint8Array;
  rows: number;
}

export function chainSettings(c: LlcConfig, indices: Uint32Array | null, sampler: SamplerSettings): ChainSettings {
  return {
    sgld: { epsilon: sampler.epsilon, gamma: c.gamma, nbeta: sampler.nbeta, weight_decay: c.weight_decay, noise_level: c.noise_level, ...(c.noise_stream ? { noise_stream: c.noise_stream } : {}) },
    draws: c.draws,
    burnin: c.burnin,
    stepsBetweenDraws: c.steps_between_draws,
    indices,
  };
}

/** rows of the fixed batch λ_max is measured on */
export const CURVATURE_ROWS = 512;

export class LlcRunner {
  private constructor(
    private readonly pool: WorkerPool,
    readonly cfg: ModelConfig,
    readonly trainRows: number,
  ) {}

  static async start(cfg: ModelConfig, data: TrainingData, opts: { workers?: number; backend?: string }): Promise<LlcRunner> {
    const init: WorkerInit = { cfg, tokens: data.tokens, rows: data.rows, backend: opts.backend };
    return new LlcRunner(await WorkerPool.start({ module: new URL('./chain-worker.ts', import.meta.url), init, size: opts.workers }), cfg, data.rows);
  }

  get workers(): number {
    return this.pool.size;
  }

  /**
   * Estimates for one parameter vector under `configs` (one per target, or one per grid point):
   * each config's estimator prepares the checkpoint (prepare.ts), measures λ_max where its step
   * size needs it, then runs init_loss and the chains on the worker pool. `cfg` (default: the
   * runner's) is the model configuration w0 belongs to (a symmetric image may have another ln_eps).
   */
  async estimate(w0: Float32Array, configs: { config: LlcConfig; target: LlcConfig['targets'][number] }[], progress?: Progress, cfg: ModelConfig = this.cfg): Promise<LlcEstimate[]> {
    const prepared = new Map<string, Prepared>();
    const prep = (c: LlcConfig) => {
      if (!prepared.has(c.method)) prepared.set(c.method, prepare(c.method, cfg, w0));
      return prepared.get(c.method)!;
    };
    const plans = configs.map(({ config, target }) => {
      const p = prep(config);
      return { config, target, p, indices: sampledFor(target, p) };
    });
    // phase 1: λ_max where a step size comes from the curvature (one job per distinct (method, target, seed))
    const curvJobs: WorkerJob[] = [];
    const curvKey = (k: number) => `${plans[k].config.method}/${targetName(plans[k].target)}/${plans[k].config.seed}`;
    const curvIndex = new Map<string, number>();
    plans.forEach((pl, k) => {
      if (!needsCurvature(pl.config) || curvIndex.has(curvKey(k))) return;
      curvIndex.set(curvKey(k), curvJobs.length);
      curvJobs.push({ kind: 'curvature', cfg: pl.p.cfg, w0: pl.p.w0, indices: pl.indices, rows: CURVATURE_ROWS, seed: pl.config.seed });
    });
    const lambdas = curvJobs.length ? ((await this.pool.run<WorkerJob, number | ChainTrace>(curvJobs)) as number[]) : [];
    const samplers = plans.map((pl, k) => resolveSampler(pl.config, this.trainRows, needsCurvature(pl.config) ? lambdas[curvIndex.get(curvKey(k))!] : null, pl.p.residualScale));
    // phase 2: init_loss and the chains
    const jobs: WorkerJob[] = [];
    const inits = new Map<string, number>(); // (method, batch size, seed, chains) → job index
    // L(w0) on init_batches minibatches (canonical: 32 by default; sgld: one per chain, as devinterp)
    const initBatches = (c: LlcConfig) => c.init_batches ?? (c.method === 'sgld' ? c.chains : 32);
    const initKey = (c: LlcConfig) => `${c.method}/${c.batch_size}/${c.seed}/${initBatches(c)}`;
    const chainJobs: { config: number; chain: number; job: number }[] = [];
    const norms: number[] = [];
    plans.forEach(({ config, target, p, indices }, k) => {
      if (!inits.has(initKey(config))) {
        inits.set(initKey(config), jobs.length);
        jobs.push({ kind: 'init', cfg: p.cfg, w0: p.w0, batchSize: config.batch_size, seed: config.seed, batches: initBatches(config) });
      }
      const settings = chainSettings(config, indices, samplers[k]);
      norms.push(sampledNorm(p.w0, settings.indices));
      for (let c = 0; c < config.chains; c++) {
        chainJobs.push({ config: k, chain: c, job: jobs.length });
        jobs.push({ kind: 'chain', cfg: p.cfg, w0: p.w0, batchSize: config.batch_size, seed: config.seed, target: targetName(target), chain: c, settings });
      }
    });
    const results = await this.pool.run<WorkerJob, InitLoss | ChainTrace>(jobs, (d) => progress?.update(progress.done + (d as number)));
    return plans.map(({ config }, k) => {
      const init = results[inits.get(initKey(config))!] as InitLoss;
      const chains = chainJobs
        .filter((j) => j.config === k)
        .map((j) => chainResult(j.chain, results[j.job] as ChainTrace, init.mean, samplers[k].nbeta, norms[k]));
      return { ...combineChains(init, chains, samplers[k].nbeta), sampler: samplers[k] };
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export function warnings(c: LlcConfig, quiet?: boolean): void {
  if (c.noise_level !== 1) log(`llc: warning: noise_level = ${c.noise_level} ≠ 1 removes SGLD's posterior-sampling guarantees`, quiet);
  if (c.nbeta === 1) log('llc: warning: nbeta = 1 is almost never what you want (devinterp warns likewise)', quiet);
  if (c.method === 'sgld') log('llc: note: method sgld samples the raw parameters; on LayerNorm models its λ̂ changes with the weights\' scale (docs/llc.md)', quiet);
}

/** NaN chains named, for the log. */
export function nanReport(label: string, est: LlcEstimate): string[] {
  return est.chains.filter((c) => c.trace.nan).map((c) => `${label}: chain ${c.chain} stopped by a NaN loss at draw ${c.trace.nan!.draw} (SGLD step ${c.trace.nan!.step})`);
}
