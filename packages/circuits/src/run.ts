/**
 * The per-checkpoint analysis (analyse.ts) for many checkpoints: in this thread, or on a pool of
 * worker threads (one tfjs engine each) when there are many. Each checkpoint's result depends only
 * on its parameters, the probe data and the config (the relabelings are derived from the seed and
 * the matrix size, null.ts), and results come back in checkpoint order, so the numbers and the
 * files do not depend on the number of workers (tested).
 */
import { defaultWorkers, type Progress, WorkerPool } from '@sortscope/core';
import { type Engine, createEngine } from '@sortscope/engine';
import { type ModelConfig } from '@sortscope/model';
import { analyseCheckpoint, type CheckpointAnalysis, needsEngine, type ProbeData } from './analyse.ts';
import type { CircuitsConfig } from './schema.ts';
import type { WorkerInit, WorkerJob, WorkerResult } from './worker.ts';

export interface RunOptions {
  /** worker threads; 0 = this thread [default: 0 below 8 checkpoints, else min(cores, 4)] */
  workers?: number;
  /** tfjs backend: auto | tfjs-node | wasm */
  backend?: string;
  progress?: Progress;
}

export function defaultWorkerCount(checkpoints: number): number {
  return checkpoints < 8 ? 0 : Math.min(defaultWorkers(), 4);
}

/**
 * @param params one flat parameter vector per checkpoint
 * @returns the analyses in checkpoint order, the engine's name (null when no forward pass ran) and the workers used
 */
export async function analyseCheckpoints(
  cfg: ModelConfig,
  params: Float32Array[],
  data: ProbeData,
  config: CircuitsConfig,
  opts: RunOptions = {},
): Promise<{ results: CheckpointAnalysis[]; engine: string | null; workers: number }> {
  const workers = Math.min(opts.workers ?? defaultWorkerCount(params.length), params.length);
  const progress = opts.progress;
  if (workers <= 0) {
    const engine: Engine | null = needsEngine(config, data.rows) ? await createEngine(cfg, { backend: opts.backend }) : null;
    try {
      const results = params.map((p, i) => {
        const r = analyseCheckpoint(engine, cfg, p, data, config, `checkpoint ${i}`);
        progress?.update(i + 1);
        return r;
      });
      return { results, engine: engine?.name ?? null, workers: 0 };
    } finally {
      engine?.dispose();
    }
  }
  const init: WorkerInit = { cfg, config, data, backend: opts.backend };
  const pool = await WorkerPool.start({ module: new URL('./worker.ts', import.meta.url), init, size: workers });
  try {
    const jobs: WorkerJob[] = params.map((p, index) => ({ index, params: p.slice() }));
    const out = await pool.run<WorkerJob, WorkerResult>(jobs, () => progress?.update(progress.done + 1));
    return { results: out.map((r) => r.analysis), engine: out.find((r) => r.engine)?.engine ?? null, workers };
  } finally {
    await pool.close();
  }
}
