/**
 * SGLD chain-steps per second through the llc stage's own runner (packages/llc/src/run.ts: a pool
 * of worker threads, one single-threaded engine each, chains as jobs), on the ARENA checkpoint:
 * devinterp's sampler (`method: sgld`, raw weights, nβ = B/ln B, ε 1e-4), `chains` chains of
 * `draws` draws at batch `batch`, no burn-in, the training rows being the fixture's 10,000
 * evaluation sequences. Counted: SGLD steps (one gradient each); the MALA acceptance check's
 * extra gradient every 10th step is work on top, not counted as a step. devinterp 1.3 on
 * PyTorch 2.13 (2 threads) took 11.8 ms per SGLD step at batch 64 (85 steps/s) on this machine
 * class (packages/train/src/fused/README.md).
 */
import { availableParallelism } from 'node:os';
import { LlcConfigSchema, LlcRunner } from '@sortscope/llc';
import { loadWeights } from '@sortscope/train';
import { ARENA_DIR, ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/train/testing';

export const DEVINTERP_MS_PER_STEP_B64 = 11.8;

export interface ChainBenchResult {
  batch: number;
  chains: number;
  draws: number;
  workers: number;
  /** seconds of each timed repetition */
  seconds: number[];
  /** chain-steps per second: median, min and max over the repetitions */
  stepsPerSecond: { median: number; min: number; max: number };
}

export async function benchChains(opts: { batch?: number; chains?: number; draws?: number; workers?: number; reps?: number } = {}): Promise<ChainBenchResult | null> {
  if (!ARENA_DIR) return null;
  const batch = opts.batch ?? 64;
  const chains = opts.chains ?? 8;
  const draws = opts.draws ?? 200;
  const workers = opts.workers ?? Math.min(availableParallelism(), chains);
  const { params, cfg } = loadWeights(ARENA_WEIGHTS, { quiet: true });
  const tokens = arenaEvalTokens();
  const runner = await LlcRunner.start(cfg, { tokens, rows: tokens.length / cfg.n_ctx }, { workers });
  try {
    const config = LlcConfigSchema.parse({ method: 'sgld', batch_size: batch, chains, draws, burnin: 0 });
    // warm-up: every worker compiles and tiers up its engine
    await runner.estimate(params, [{ config: LlcConfigSchema.parse({ method: 'sgld', batch_size: batch, chains: workers, draws: 20, burnin: 0 }), target: { kind: 'all' } }]);
    const seconds: number[] = [];
    for (let i = 0; i < (opts.reps ?? 3); i++) {
      const t0 = performance.now();
      await runner.estimate(params, [{ config, target: { kind: 'all' } }]);
      seconds.push((performance.now() - t0) / 1000);
    }
    const rates = seconds.map((s) => (chains * draws) / s).sort((a, b) => a - b);
    return { batch, chains, draws, workers, seconds, stepsPerSecond: { median: rates[(rates.length - 1) >> 1], min: rates[0], max: rates[rates.length - 1] } };
  } finally {
    await runner.close();
  }
}
