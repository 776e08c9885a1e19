/**
 * LLC estimates for many parameter vectors (checkpoints) and targets, on a pool of worker
 * threads: per point one init_loss job and (targets × chains) chain jobs. Each job's random
 * streams depend only on (seed, target, chain) (problem.ts), so the numbers do not depend on the
 * number of workers.
 */
import { log, Progress, WorkerPool } from '@sortscope/core';
import type { ModelConfig } from '@sortscope/train';
import { paramLayout } from '@sortscope/train';
import type { ChainSettings, ChainTrace } from './chain.ts';
import type { WorkerInit, WorkerJob } from './chain-worker.ts';
import { chainResult, combineChains, type LlcEstimate, sampledNorm } from './estimate.ts';
import { type LlcConfig, targetName } from './schema.ts';
import { targetIndices } from './targets.ts';

export interface TrainingData {
  tokens: Uint8Array;
  rows: number;
}

export function chainSettings(c: LlcConfig, indices: Uint32Array | null): ChainSettings {
  return {
    sgld: { epsilon: c.epsilon, gamma: c.gamma, nbeta: c.nbeta, weight_decay: c.weight_decay, noise_level: c.noise_level },
    draws: c.draws,
    burnin: c.burnin,
    stepsBetweenDraws: c.steps_between_draws,
    indices,
  };
}

export class LlcRunner {
  private constructor(
    private readonly pool: WorkerPool,
    readonly cfg: ModelConfig,
  ) {}

  static async start(cfg: ModelConfig, data: TrainingData, opts: { workers?: number; backend?: string }): Promise<LlcRunner> {
    const init: WorkerInit = { cfg, tokens: data.tokens, rows: data.rows, backend: opts.backend };
    return new LlcRunner(await WorkerPool.start({ module: new URL('./chain-worker.ts', import.meta.url), init, size: opts.workers }), cfg);
  }

  get workers(): number {
    return this.pool.size;
  }

  /** Estimates for one parameter vector under `configs` (one per target, or one per grid point). */
  async estimate(w0: Float32Array, configs: { config: LlcConfig; target: LlcConfig['targets'][number] }[], progress?: Progress): Promise<LlcEstimate[]> {
    const layout = paramLayout(this.cfg);
    const jobs: WorkerJob[] = [];
    const inits = new Map<string, number>(); // (batch size, seed, chains) → job index
    const chainJobs: { config: number; chain: number; job: number }[] = [];
    const norms: number[] = [];
    configs.forEach(({ config, target }, k) => {
      const initKey = `${config.batch_size}/${config.seed}/${config.chains}`;
      if (!inits.has(initKey)) {
        inits.set(initKey, jobs.length);
        jobs.push({ kind: 'init', w0, batchSize: config.batch_size, seed: config.seed, batches: config.chains });
      }
      const settings = chainSettings(config, targetIndices(target, layout, this.cfg));
      norms.push(sampledNorm(w0, settings.indices));
      for (let c = 0; c < config.chains; c++) {
        chainJobs.push({ config: k, chain: c, job: jobs.length });
        jobs.push({ kind: 'chain', w0, batchSize: config.batch_size, seed: config.seed, target: targetName(target), chain: c, settings });
      }
    });
    const results = await this.pool.run<WorkerJob, number | ChainTrace>(jobs, (d) => progress?.update(progress.done + (d as number)));
    return configs.map(({ config }, k) => {
      const init = results[inits.get(`${config.batch_size}/${config.seed}/${config.chains}`)!] as number;
      const chains = chainJobs
        .filter((j) => j.config === k)
        .map((j) => chainResult(j.chain, results[j.job] as ChainTrace, init, config.nbeta, norms[k]));
      return combineChains(init, chains);
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export function warnings(c: LlcConfig, quiet?: boolean): void {
  if (c.noise_level !== 1) log(`llc: warning: noise_level = ${c.noise_level} ≠ 1 removes SGLD's posterior-sampling guarantees`, quiet);
  if (c.nbeta === 1) log('llc: warning: nbeta = 1 is almost never what you want (devinterp warns likewise)', quiet);
}

/** NaN chains named, for the log. */
export function nanReport(label: string, est: LlcEstimate): string[] {
  return est.chains.filter((c) => c.trace.nan).map((c) => `${label}: chain ${c.chain} stopped by a NaN loss at draw ${c.trace.nan!.draw} (SGLD step ${c.trace.nan!.step})`);
}
