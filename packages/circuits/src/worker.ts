/**
 * Worker thread of the circuits stage: one tfjs engine per thread (created on the first job that
 * needs it), the probe sequences and the config sent once, then one job per checkpoint.
 */
import { serveJobs } from '@sortscope/core';
import { type Engine, createEngine } from '@sortscope/engine';
import { type ModelConfig } from '@sortscope/model';
import { analyseCheckpoint, type CheckpointAnalysis, needsEngine, type ProbeData } from './analyse.ts';
import type { CircuitsConfig } from './schema.ts';

export interface WorkerInit {
  cfg: ModelConfig;
  config: CircuitsConfig;
  data: ProbeData;
  backend?: string;
}

export interface WorkerJob {
  index: number;
  /** the checkpoint's flat parameter vector */
  params: Float32Array;
}

export interface WorkerResult {
  analysis: CheckpointAnalysis;
  engine: string | null;
}

let engine: Engine | null = null;

serveJobs<WorkerJob, WorkerResult, WorkerInit>(async (job, init, progress) => {
  // one single-threaded engine per worker: the pool already uses the cores
  if (needsEngine(init.config, init.data.rows)) engine ??= await createEngine(init.cfg, { backend: init.backend, threads: 1 });
  const analysis = analyseCheckpoint(engine, init.cfg, job.params, init.data, init.config, `checkpoint ${job.index}`);
  progress(1);
  return { analysis, engine: engine?.name ?? null };
});
