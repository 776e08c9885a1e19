/**
 * Chains run in rounds until their estimate is stable (docs/llc.md, "Converged chains"): every chain
 * of every estimate runs its first `draws`; after each round an estimate whose chains pass the
 * stability rule (convergence.ts) or have reached `maxDraws` stops, and the others continue — each
 * chain from where it stopped (chain.ts `end`), for as many draws again (the length doubles), up to
 * `maxDraws`. A chain continued in rounds gives the same draws as one run straight through, so the
 * result does not depend on the rounds' scheduling or on the number of workers.
 */
import { Rng } from '@sortscope/core';
import { type ChainSettings, type ChainStart, type ChainTrace, concatTraces, runChain, type SgldProblem } from './chain.ts';
import { assessConvergence, type Convergence } from './convergence.ts';
import { newtonDecrement } from './decrement.ts';
import { chainResult, combineChains, type LlcEstimate, markEstimate, sampledNorm, type Streams } from './estimate.ts';
import { type DrawWindow, increments } from './estimator.ts';
import { tiltedProblem } from './tilt.ts';

export interface SamplingPlan {
  chains: number;
  /** the chains' settings; `draws` is the first round's */
  settings: ChainSettings;
  nbeta: number;
  /** L(w0), against which draws are taken without the control variate */
  init: number;
  maxDraws: number;
  tolerance: number;
}

/** One segment of one chain: `settings.draws` more draws, from `start` (absent: the chain's beginning). */
export interface SegmentJob {
  plan: number;
  chain: number;
  settings: ChainSettings;
  start?: ChainStart;
}

export interface Sampled {
  /** [plan][chain] the whole trace */
  traces: ChainTrace[][];
  convergence: Convergence[];
  rounds: number[];
}

export async function sampleInRounds(plans: SamplingPlan[], runSegments: (jobs: SegmentJob[]) => Promise<ChainTrace[]>, onExtend?: (moreDraws: number) => void): Promise<Sampled> {
  const parts: ChainTrace[][][] = plans.map((p) => Array.from({ length: p.chains }, () => []));
  const convergence: Convergence[] = new Array(plans.length);
  const rounds = plans.map(() => 0);
  let jobs: SegmentJob[] = plans.flatMap((p, k) => Array.from({ length: p.chains }, (_, c) => ({ plan: k, chain: c, settings: p.settings })));
  while (jobs.length) {
    const results = await runSegments(jobs);
    jobs.forEach((j, i) => parts[j.plan][j.chain].push(results[i]));
    const active = [...new Set(jobs.map((j) => j.plan))];
    jobs = [];
    for (const k of active) {
      const p = plans[k];
      rounds[k]++;
      const whole = parts[k].map(concatTraces);
      const ok = whole.filter((t) => !t.nan);
      const draws = ok[0]?.loss.length ?? 0;
      convergence[k] = assessConvergence(ok.map((t) => increments(t, p.init)), p.nbeta, p.tolerance);
      if (ok.length === 0 || convergence[k].stable || draws >= p.maxDraws) continue;
      const more = Math.min(draws, p.maxDraws - draws);
      onExtend?.(more * ok.length);
      whole.forEach((t, c) => {
        if (!t.nan) jobs.push({ plan: k, chain: c, settings: { ...p.settings, draws: more }, start: t.end });
      });
    }
  }
  return { traces: parts.map((chains) => chains.map(concatTraces)), convergence, rounds };
}

/** Segments run in this thread, on `problem` from `w0`, with each chain's streams continued where they stopped. */
export function inThreadSegments<B>(problem: SgldProblem<B>, w0: Float32Array, streams: Streams<B>): (jobs: SegmentJob[]) => Promise<ChainTrace[]> {
  return async (jobs) =>
    jobs.map((j) => {
      const noise = j.start?.rng ? Rng.restore(j.start.rng) : streams.noise(j.chain);
      return runChain(problem, w0, j.settings, streams.batches(j.chain, j.start?.step ?? 0), noise, undefined, j.start);
    });
}

export interface InThreadEstimate<B> {
  chains: number;
  /** sgld parameters, the first round's draws, burn-in and the coordinates sampled */
  settings: ChainSettings;
  /** every training row as one batch: L(w0) and ∇L(w0) exactly */
  all: B;
  tilt: boolean;
  controlVariate: boolean;
  window: DrawWindow;
  maxDraws: number;
  tolerance: number;
  /** H·v at w0 for the Newton decrement (decrement.ts); absent: not computed */
  hvp?: (v: Float64Array) => Float64Array;
}

/**
 * The llc stage's estimator (run.ts) in this thread, for problems small enough to need no workers
 * (the toys of the known-answer tests): L(w0) and its gradient on all rows, the tilt, the control
 * variate, the draw window, the rounds, the Newton decrement and the estimate-level flags.
 */
export async function estimateInThread<B>(problem: SgldProblem<B>, w0: Float32Array, streams: Streams<B>, o: InThreadEstimate<B>): Promise<LlcEstimate> {
  const full = problem.lossAndGrad(w0, o.all);
  const g0 = Float32Array.from(full.grad);
  const sampled = o.tilt ? tiltedProblem(problem, w0, g0, o.settings.indices) : problem;
  const settings = { ...o.settings, controlVariate: o.controlVariate };
  const { nbeta, gamma } = settings.sgld;
  const plan: SamplingPlan = { chains: o.chains, settings, nbeta, init: full.loss, maxDraws: o.maxDraws, tolerance: o.tolerance };
  const run = await sampleInRounds([plan], inThreadSegments(sampled, w0, streams));
  const norm = sampledNorm(w0, settings.indices);
  const results = run.traces[0].map((t, c) => chainResult(c, t, full.loss, nbeta, norm, o.window));
  const est = combineChains(full.loss, results, nbeta);
  est.convergence = run.convergence[0];
  est.rounds = run.rounds[0];
  if (o.hvp) {
    const idx = settings.indices;
    const g = idx ? Float64Array.from(idx, (i) => g0[i]) : Float64Array.from(g0);
    est.stationarity = { ...newtonDecrement(g, o.hvp, nbeta, gamma), gradient_norm: Math.hypot(...g), tilt: o.tilt };
  }
  return markEstimate(est);
}
