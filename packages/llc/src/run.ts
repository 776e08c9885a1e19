/**
 * LLC estimates for many parameter vectors (checkpoints) and targets, on a pool of worker threads.
 * Per checkpoint and estimator (docs/llc.md):
 *
 *   0. the relaxation (relax.ts; canonical, `relax`): the minimum w* of nβ·L_n + γ/2·‖w − w0‖² near
 *      the checkpoint, once per (nβ, γ, seed) and shared by every target; the steps below then take
 *      w0 := w* (the Newton decrement recorded is the first Newton iteration's, at the checkpoint);
 *   1. the whole training set at w0, in fixed ranges of rows: L(w0) and ∇L_n(w0) (the tilt and the
 *      Newton decrement); devinterp's minibatch init_loss for method sgld; the rmsprop preconditioner;
 *   2. λ_max for the step size (canonical), and the Newton decrement of every estimate;
 *   3. the chains, in rounds until each estimate is stable or reaches max_draws (sampling.ts); the
 *      control variate's L_B(w0) comes from phase 1's per-token losses (problem.ts rowBaseline).
 *
 * Each job's random streams depend only on (seed, target, chain) (problem.ts), and every sum over
 * ranges is taken in a fixed order, so the numbers do not depend on the number of workers.
 */
import { ConfigError, log, Progress, WorkerPool } from '@sortscope/core';
import type { ModelConfig } from '@sortscope/model';
import type { ChainTrace } from './chain.ts';
import type { ChainJobSettings, FullPass, WorkerInit, WorkerJob, WorkerResult } from './chain-worker.ts';
import { type Decrement, decrementOf, newtonSolveAsync } from './decrement.ts';
import { hvpFromGradients, hvpPoints } from './hessian.ts';
import { relax, type Relaxation, relaxationRecord } from './relax.ts';
import { chainResult, combineChains, type InitLoss, type LlcEstimate, markEstimate, sampledNorm } from './estimate.ts';
import { needsCurvature, prepare, type Prepared, resolveNbeta, resolveSampler, type SamplerSettings, sampledFor } from './prepare.ts';
import { effectiveBurnin } from './mixing.ts';
import { sampleInRounds, type SamplingPlan, type SegmentJob } from './sampling.ts';
import { estimatorOptions, type EstimatorOptions, type LlcConfig, type Target, targetName } from './schema.ts';
import { FULL_PASS_ROWS } from './problem.ts';

export interface TrainingData {
  tokens: Uint8Array;
  rows: number;
}

export function chainSettings(c: LlcConfig, indices: Uint32Array | null, sampler: SamplerSettings, precondition: Float64Array | null): ChainJobSettings {
  return {
    sgld: { epsilon: sampler.epsilon, gamma: sampler.gamma, nbeta: sampler.nbeta, weight_decay: c.weight_decay, noise_level: c.noise_level, noise_stream: c.noise_stream },
    draws: c.draws,
    burnin: effectiveBurnin(c, sampler.epsilon, sampler.gamma), // c.burnin unless min_mixing asks for more (mixing.ts)
    stepsBetweenDraws: c.steps_between_draws,
    indices,
    controlVariate: sampler.control_variate,
    precondition,
  };
}

/** rows of the fixed batch λ_max and the Newton decrement are measured on */
export const CURVATURE_ROWS = 512;

interface Plan {
  config: LlcConfig;
  target: Target;
  o: EstimatorOptions;
  /** the point the chains run at: the prepared checkpoint, or its relaxation */
  p: Prepared;
  /** which point: the method, or the method and the relaxation's (nβ, γ, seed) */
  at: string;
  relaxation: Relaxation | null;
  indices: Uint32Array | null;
  nbeta: number;
}

/** A map from keys to job indices: each distinct job is run once. */
class Jobs {
  readonly list: WorkerJob[] = [];
  private readonly index = new Map<string, number>();
  add(key: string, job: () => WorkerJob): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.list.length;
      this.index.set(key, i);
      this.list.push(job());
    }
    return i;
  }
}

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

  private run(jobs: WorkerJob[], onProgress?: (d: unknown) => void): Promise<WorkerResult[]> {
    return jobs.length ? this.pool.run<WorkerJob, WorkerResult>(jobs, onProgress) : Promise.resolve([]);
  }

  /**
   * Estimates for one parameter vector under `configs` (one per target, or one per grid point):
   * each config's estimator prepares the checkpoint (prepare.ts) and runs the three phases above.
   * `cfg` (default: the runner's) is the model configuration w0 belongs to (a symmetric image may
   * have another ln_eps). The progress counts draws; it grows when chains are lengthened.
   */
  async estimate(w0: Float32Array, configs: { config: LlcConfig; target: Target }[], progress?: Progress, cfg: ModelConfig = this.cfg): Promise<LlcEstimate[]> {
    // checked here, in the main thread, before any job is posted: a worker's RangeError is no message for a user
    for (const { config } of configs)
      if (config.batch_size > this.trainRows) throw new ConfigError(`llc.batch_size: got ${config.batch_size}; expected at most ${this.trainRows}, the training rows the chains draw their minibatches from`);
    const prepared = new Map<string, Prepared>();
    const plans: Plan[] = configs.map(({ config, target }) => {
      if (!prepared.has(config.method)) prepared.set(config.method, prepare(config.method, cfg, w0));
      const p = prepared.get(config.method)!;
      return { config, target, o: estimatorOptions(config), p, at: config.method, relaxation: null, indices: sampledFor(target, p), nbeta: resolveNbeta(config, this.trainRows, p.cfg.list_length) };
    });

    // phase 0: the relaxation, one per (method, nβ, γ, seed), in turn (the pool runs one batch of jobs at a time)
    const relaxed = new Map<string, { p: Prepared; r: Relaxation }>();
    for (const pl of plans) {
      if (!pl.o.relax) continue;
      const key = `${pl.config.method}/relaxed/${pl.nbeta}/${pl.o.gamma}/${pl.config.seed}`;
      if (!relaxed.has(key)) {
        const r = await this.relax(pl.p, pl.nbeta, pl.o.gamma, pl.config.seed, progress);
        relaxed.set(key, { p: { ...pl.p, w0: r.w }, r });
      }
      const { p, r } = relaxed.get(key)!;
      Object.assign(pl, { p, at: key, relaxation: r });
    }
    const points = new Map<string, Prepared>(plans.map((pl) => [pl.at, pl.p]));

    // phase 1: the whole training set at each prepared point; devinterp's init_loss; preconditioners
    const a = new Jobs();
    const fullJobs = new Map<string, number[]>();
    for (const [m, p] of points) {
      const idx: number[] = [];
      const nll = plans.some((pl) => pl.at === m && pl.o.control_variate);
      for (const { start, rows } of fullRanges(this.trainRows)) idx.push(a.add(`full/${m}/${start}`, () => ({ kind: 'full', cfg: p.cfg, w0: p.w0, start, rows, nll })));
      fullJobs.set(m, idx);
    }
    const initBatches = (c: LlcConfig) => c.init_batches ?? c.chains;
    const initJob = plans.map((pl) =>
      pl.o.exact_init ? -1 : a.add(`init/${pl.at}/${pl.config.batch_size}/${pl.config.seed}/${initBatches(pl.config)}`, () => ({ kind: 'init', cfg: pl.p.cfg, w0: pl.p.w0, batchSize: pl.config.batch_size, seed: pl.config.seed, batches: initBatches(pl.config) })),
    );
    const precondKey = (pl: Plan) => `${pl.at}/${targetName(pl.target)}/${pl.config.seed}/${pl.config.batch_size}/${pl.nbeta}/${pl.o.gamma}`;
    const precondJob = plans.map((pl) =>
      pl.config.preconditioner === 'none' ? -1 : a.add(`precond/${precondKey(pl)}`, () => ({ kind: 'precond', cfg: pl.p.cfg, w0: pl.p.w0, indices: pl.indices, batchSize: pl.config.batch_size, seed: pl.config.seed, target: targetName(pl.target), nbeta: pl.nbeta, gamma: pl.o.gamma })),
    );
    const phase1 = await this.run(a.list);
    const full = new Map<string, { loss: number; grad: Float64Array; nll: Float32Array | null }>();
    for (const [m, idx] of fullJobs) full.set(m, sumFullPasses(idx.map((i) => phase1[i] as FullPass), this.trainRows));
    const precond = precondJob.map((j) => (j < 0 ? null : (phase1[j] as Float64Array)));

    // phase 2: λ_max for the step size; the Newton decrement of every estimate
    const b = new Jobs();
    const curvJob = plans.map((pl, k) => {
      if (!needsCurvature(pl.config)) return -1;
      const P = precond[k];
      const key = `${pl.at}/${targetName(pl.target)}/${pl.config.seed}${P ? `/P/${precondKey(pl)}` : ''}`;
      return b.add(`curv/${key}`, () => ({ kind: 'curvature', cfg: pl.p.cfg, w0: pl.p.w0, indices: pl.indices, rows: CURVATURE_ROWS, seed: pl.config.seed, ...(P ? { precondition: { sqrt: P.map(Math.sqrt), nbeta: pl.nbeta, gamma: pl.o.gamma } } : {}) }));
    });
    const restrictedGrad = (pl: Plan) => {
      const g = full.get(pl.at)!.grad;
      return pl.indices ? Float64Array.from(pl.indices, (i) => g[i]) : g.slice();
    };
    // relaxed: the decrement at the checkpoint is the relaxation's first Newton iteration (whole model)
    const decJob = plans.map((pl) =>
      pl.relaxation ? -1 : b.add(`dec/${pl.at}/${targetName(pl.target)}/${pl.nbeta}/${pl.o.gamma}/${pl.config.seed}`, () => ({ kind: 'decrement', cfg: pl.p.cfg, w0: pl.p.w0, indices: pl.indices, g: restrictedGrad(pl), rows: CURVATURE_ROWS, seed: pl.config.seed, nbeta: pl.nbeta, gamma: pl.o.gamma })),
    );
    const phase2 = await this.run(b.list);
    const samplers = plans.map((pl, k) => resolveSampler(pl.config, this.trainRows, pl.p.cfg.list_length, curvJob[k] < 0 ? null : (phase2[curvJob[k]] as number), pl.p.residualScale));

    // phase 3: the chains, in rounds
    const inits: InitLoss[] = plans.map((pl, k) => (pl.o.exact_init ? { mean: full.get(pl.at)!.loss, se: NaN } : (phase1[initJob[k]] as InitLoss)));
    const tilts = plans.map((pl) => (pl.o.tilt ? Float32Array.from(full.get(pl.at)!.grad) : null));
    const settings = plans.map((pl, k) => chainSettings(pl.config, pl.indices, samplers[k], precond[k]));
    const samplingPlans: SamplingPlan[] = plans.map((pl, k) => ({
      chains: pl.config.chains,
      settings: { ...settings[k], precondition: null }, // the driver only reads lengths; the worker gets P
      nbeta: samplers[k].nbeta,
      init: inits[k].mean,
      maxDraws: pl.o.max_draws,
      tolerance: pl.config.tolerance,
    }));
    const runSegments = (jobs: SegmentJob[]) =>
      this.run(
        jobs.map((j) => {
          const pl = plans[j.plan];
          return { kind: 'chain', cfg: pl.p.cfg, w0: pl.p.w0, batchSize: pl.config.batch_size, seed: pl.config.seed, target: targetName(pl.target), chain: j.chain, settings: { ...settings[j.plan], draws: j.settings.draws }, tilt: tilts[j.plan], nll: pl.o.control_variate ? full.get(pl.at)!.nll : null, ...(j.start ? { start: j.start } : {}) } satisfies WorkerJob;
        }),
        (d) => progress?.update(progress.done + (d as number)),
      ) as Promise<ChainTrace[]>;
    const sampled = await sampleInRounds(samplingPlans, runSegments, (more) => progress?.extend(more));

    return plans.map((pl, k) => {
      const norm = sampledNorm(pl.p.w0, pl.indices);
      const results = sampled.traces[k].map((t, c) => chainResult(c, t, inits[k].mean, samplers[k].nbeta, norm, pl.o.window));
      const est = combineChains(inits[k], results, samplers[k].nbeta);
      const r = pl.relaxation;
      const dec: Decrement = r ? decrementOf(r.atCheckpoint) : (phase2[decJob[k]] as Decrement);
      const g = restrictedGrad(pl);
      let g2 = 0;
      for (const x of g) g2 += x * x;
      est.sampler = samplers[k];
      est.convergence = sampled.convergence[k];
      est.rounds = sampled.rounds[k];
      est.stationarity = {
        ...dec,
        gradient_norm: Math.sqrt(g2),
        tilt: pl.o.tilt,
        relaxation: r ? relaxationRecord(r) : null,
      };
      return markEstimate(est);
    });
  }

  /** Phase 0 (relax.ts): the minimum of the sampled potential near `p.w0`, over every sampled coordinate. */
  private async relax(p: Prepared, nbeta: number, gamma: number, seed: number, progress?: Progress): Promise<Relaxation> {
    const indices = sampledFor({ kind: 'all' }, p) ?? Uint32Array.from({ length: p.w0.length }, (_, i) => i);
    const ranges = fullRanges(this.trainRows);
    return relax(p.w0, indices, nbeta, gamma, {
      full: async (w) => {
        const { loss, grad } = sumFullPasses((await this.run(ranges.map(({ start, rows }) => ({ kind: 'full', cfg: p.cfg, w0: w, start, rows, nll: false })))) as FullPass[], this.trainRows);
        return { loss, grad: Float64Array.from(indices, (i) => grad[i]) };
      },
      loss: async (w) => {
        const parts = (await this.run(ranges.map(({ start, rows }) => ({ kind: 'loss', cfg: p.cfg, w, start, rows })))) as number[];
        let loss = 0;
        parts.forEach((l, i) => (loss += l * ranges[i].rows));
        return loss / this.trainRows;
      },
      // conjugate gradients here; each Hessian-vector product's two gradients on two workers (the same numbers as hessianVector)
      solve: (w, b) =>
        newtonSolveAsync(
          b,
          async (v) => {
            const { wp, wm, h } = hvpPoints(w, indices, v);
            const [gp, gm] = (await this.run([wp, wm].map((at) => ({ kind: 'grad', cfg: p.cfg, w: at, rows: CURVATURE_ROWS, seed })))) as Float32Array[];
            return hvpFromGradients(gp, gm, indices, v.length, h);
          },
          nbeta,
          gamma,
        ),
      onStep: (k, drop, distance) => progress?.update(progress.done, `relaxing (γ ${gamma}): step ${k}, U −${drop.toFixed(1)}, ‖w − w0‖ ${distance.toPrecision(3)}`),
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The fixed ranges of training rows a whole-set pass is split into (summed in this order, whatever the workers). */
function fullRanges(trainRows: number): { start: number; rows: number }[] {
  const ranges: { start: number; rows: number }[] = [];
  for (let start = 0; start < trainRows; start += FULL_PASS_ROWS) ranges.push({ start, rows: Math.min(FULL_PASS_ROWS, trainRows - start) });
  return ranges;
}

/** L_n, ∇L_n and (when the passes kept them) the per-token losses of the whole training set, from the passes over fullRanges in order. */
function sumFullPasses(parts: FullPass[], trainRows: number): { loss: number; grad: Float64Array; nll: Float32Array | null } {
  const grad = new Float64Array(parts[0].grad.length);
  const nll = parts[0].nll ? new Float32Array(parts.reduce((n, part) => n + part.nll!.length, 0)) : null;
  let loss = 0;
  let at = 0;
  for (const part of parts) {
    loss += part.loss * part.rows;
    for (let i = 0; i < grad.length; i++) grad[i] += part.grad[i] * part.rows;
    if (nll) (nll.set(part.nll!, at), (at += part.nll!.length));
  }
  for (let i = 0; i < grad.length; i++) grad[i] /= trainRows;
  return { loss: loss / trainRows, grad, nll };
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
