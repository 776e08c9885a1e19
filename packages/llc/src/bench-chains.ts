/**
 * SGLD chain-steps per second through the llc stage's own runner (packages/llc/src/run.ts: a pool
 * of worker threads, one single-threaded engine each, chains as jobs), on the ARENA checkpoint:
 * devinterp's sampler (`method: sgld`, raw weights, nβ = B/ln B, ε 1e-4), `chains` chains of
 * `draws` draws at batch `batch`, no burn-in, the training rows being the fixture's 10,000
 * evaluation sequences. Counted: SGLD steps (one gradient each); the MALA acceptance check's
 * extra gradient every 10th step is work on top, not counted as a step. devinterp 1.3 on
 * PyTorch 2.13 (2 threads) took 11.8 ms per SGLD step at batch 64 (85 steps/s) on this machine
 * class (packages/engine/src/fused/README.md).
 */
import { availableParallelism } from 'node:os';
import { LlcConfigSchema, LlcRunner, type NoiseStream } from '@sortscope/llc';
import { loadWeights } from '@sortscope/model';
import { ARENA_DIR, ARENA_WEIGHTS, arenaEvalTokens } from '@sortscope/model/testing';

export const DEVINTERP_MS_PER_STEP_B64 = 11.8;

interface Rates {
  /** seconds of each timed repetition */
  seconds: number[];
  /** chain-steps per second: median, min and max over the repetitions */
  stepsPerSecond: { median: number; min: number; max: number };
}

export interface ChainBenchResult extends Rates {
  batch: number;
  chains: number;
  draws: number;
  workers: number;
  /** per noise stream (llc `noise_stream`), timed in turn rep by rep; the top-level rates are the first stream's */
  byStream: Partial<Record<NoiseStream, Rates>>;
}

function rates(seconds: number[], steps: number): Rates {
  const r = seconds.map((s) => steps / s).sort((a, b) => a - b);
  return { seconds, stepsPerSecond: { median: r[(r.length - 1) >> 1], min: r[0], max: r[r.length - 1] } };
}

export async function benchChains(
  opts: { batch?: number; chains?: number; draws?: number; workers?: number; reps?: number; streams?: NoiseStream[] } = {},
): Promise<ChainBenchResult | null> {
  if (!ARENA_DIR) return null;
  const batch = opts.batch ?? 64;
  const chains = opts.chains ?? 8;
  const draws = opts.draws ?? 200;
  const streams = opts.streams ?? ['box-muller'];
  const workers = opts.workers ?? Math.min(availableParallelism(), chains);
  const { params, cfg } = loadWeights(ARENA_WEIGHTS, { quiet: true });
  const tokens = arenaEvalTokens();
  const runner = await LlcRunner.start(cfg, { tokens, rows: tokens.length / cfg.n_ctx }, { workers });
  try {
    const base = { method: 'sgld', batch_size: batch, chains, draws, burnin: 0 } as const;
    // warm-up: every worker compiles and tiers up its engine
    await runner.estimate(params, [{ config: LlcConfigSchema.parse({ ...base, chains: workers, draws: 20 }), target: { kind: 'all' } }]);
    const seconds = streams.map(() => [] as number[]);
    for (let i = 0; i < (opts.reps ?? 3); i++)
      for (const [k, noise_stream] of streams.entries()) {
        const config = LlcConfigSchema.parse({ ...base, noise_stream });
        const t0 = performance.now();
        await runner.estimate(params, [{ config, target: { kind: 'all' } }]);
        seconds[k].push((performance.now() - t0) / 1000);
      }
    const byStream = Object.fromEntries(streams.map((s, k) => [s, rates(seconds[k], chains * draws)]));
    return { batch, chains, draws, workers, ...rates(seconds[0], chains * draws), byStream };
  } finally {
    await runner.close();
  }
}
