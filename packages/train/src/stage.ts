/**
 * The train stage's declaration and its I/O wrapper: read the dataset, train with checkpoints
 * (resuming from artifacts/train/<key>/partial/ when an earlier run was interrupted: partial.ts), then write
 * checkpoints.arrow, metrics-steps.arrow, metrics-checkpoints.arrow and final.safetensors.
 * partial/ is left in place: the guarded run (packages/workspace/src/stage-guard.ts) removes it once
 * the manifest certifies the result; a library caller may remove it when it no longer wants to resume.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertFiniteResult, hashJson, log, PARTIAL, Progress, sealWritten, writeFileAtomic } from '@sortscope/core';
import { readSplit, splitFile } from '@sortscope/dataset';
import { headAblationLossIncrease, evaluateTokens, summarize, adamState, createEngine } from '@sortscope/engine';
import { initParams, type ModelConfig, modelConfig, saveWeights } from '@sortscope/model';
import { writeCheckpointMetrics, writeCheckpoints, writeResume, writeStepMetrics } from './io.ts';
import { ckptFile, collectCheckpoints, resumeFile, resumePoint } from './partial.ts';
import type { Engine } from '@sortscope/engine';
import { type TrainConfig, TrainConfigSchema, trainStage } from './schema.ts';
import { runTraining, trainPlan, type TrainState } from './train-loop.ts';

export { trainStage };

export const TRAIN_FILES = {
  checkpoints: 'checkpoints.arrow',
  steps: 'metrics-steps.arrow',
  checkpointMetrics: 'metrics-checkpoints.arrow',
  weights: 'final.safetensors',
  runInfo: 'run-info.json',
} as const;

export interface TrainStageOptions {
  outDir: string;
  datasetDir: string;
  quiet?: boolean;
  /** tfjs backend: auto | tfjs-node | wasm */
  backend?: string;
}

export async function runTrainStage(config: TrainConfig, opts: TrainStageOptions) {
  const t0 = performance.now();
  const train = readSplit(splitFile(opts.datasetDir, 'train'));
  const validation = readSplit(splitFile(opts.datasetDir, 'validation'));
  const cfg = modelConfig(config.model, { d_vocab: train.vocab.d_vocab, list_length: train.vocab.n });
  const engine = await createEngine(cfg, { backend: opts.backend });
  try {
    return await trainWith(engine, config, opts, { t0, train, validation, cfg });
  } finally {
    engine.dispose();
  }
}

async function trainWith(engine: Engine, config: TrainConfig, opts: TrainStageOptions, ctx: { t0: number; train: ReturnType<typeof readSplit>; validation: ReturnType<typeof readSplit>; cfg: ModelConfig }) {
  const { t0, train, validation, cfg } = ctx;
  const plan = trainPlan(config, train.rows);
  log(`train: engine ${engine.name}; ${engine.layout.size} parameters; ${plan.totalSteps} steps (${plan.stepsPerEpoch}/epoch), ${plan.checkpointSteps.length} checkpoints → ${opts.outDir}`, opts.quiet);

  const inputs = { train: train.sha256, validation: validation.sha256 };
  const base = { stage: trainStage.name, stageVersion: trainStage.version, config, seed: config.seed, inputs, extra: {} };
  const partial = join(opts.outDir, PARTIAL);
  const configHash = hashJson(config);
  let state: TrainState = { step: 0, params: initParams(cfg, engine.layout, config.seed), adam: adamState(engine.layout.size), logs: [], checkpoints: [] };
  // a saved partial run is resumed (`--fresh` removes it before the stage starts: workspace/stage-guard.ts)
  const found = resumePoint(partial, plan.checkpointSteps, configHash, inputs);
  for (const note of found.notes) log(`train: ${note}; recomputing from the last sound checkpoint`, opts.quiet);
  if (found.state) {
    state = found.state;
    log(`train: resuming from step ${state.step} (${resumeFile(partial, state.step)})`, opts.quiet);
  }
  mkdirSync(partial, { recursive: true });

  const progress = new Progress({ label: 'train', total: plan.totalSteps, quiet: opts.quiet });
  progress.update(state.step);
  const data = {
    trainTokens: train.tokens,
    trainClean: train.clean,
    noiseApplied: train.noiseApplied,
    trainRows: train.rows,
    validationTokens: validation.tokens,
    validationRows: validation.rows,
  };
  state = runTraining(engine, config, data, state, {
    progress,
    onCheckpoint(s) {
      // the checkpoint's parameters, then the resume state (both atomic): a crash between them only repeats work
      writeCheckpoints(ckptFile(partial, s.step), cfg, [s.step], plan.stepsPerEpoch, [s.params], base);
      sealWritten(ckptFile(partial, s.step));
      writeResume(resumeFile(partial, s.step), s, base);
      sealWritten(resumeFile(partial, s.step));
    },
  });
  progress.finish(`final train loss ${state.logs.at(-1)?.loss.toFixed(4) ?? '?'}`);

  // final evaluation on the whole validation split, and each head's mean-ablation importance
  const n = cfg.list_length;
  const finalValidation = summarize(evaluateTokens(engine, state.params, validation.tokens, validation.rows, { batchSize: config.eval.batch_size }), n);
  const ablationRows = Math.min(validation.rows, config.eval.validation_rows);
  const ablation = headAblationLossIncrease(engine, state.params, validation.tokens, ablationRows, config.eval.batch_size);
  assertFiniteResult([finalValidation.loss, ...ablation.flat()], 'train: final validation loss and head ablations');
  // the checkpoints written: the plan's, up to the step a stop_at ended the run at (then that step too)
  const written = state.checkpoints.map((c) => c.step);
  const loaded = collectCheckpoints(partial, written, configHash, inputs);
  const stoppedAt = state.step < plan.totalSteps ? state.step : null;
  if (stoppedAt !== null) log(`train: stopped at step ${stoppedAt}: the training-sample loss reached train.stop_at.train_loss ${config.stop_at!.train_loss}`, opts.quiet);
  const extra = { engine: engine.name, bayes_loss: train.bayes, final_validation: finalValidation, head_ablation_loss_increase: ablation, steps_per_epoch: plan.stepsPerEpoch, total_steps: state.step, ...(config.stop_at ? { stopped_at: stoppedAt } : {}) };
  const files = {
    checkpoints: join(opts.outDir, TRAIN_FILES.checkpoints),
    steps: join(opts.outDir, TRAIN_FILES.steps),
    checkpointMetrics: join(opts.outDir, TRAIN_FILES.checkpointMetrics),
    weights: join(opts.outDir, TRAIN_FILES.weights),
  };
  writeCheckpoints(files.checkpoints, cfg, loaded.map((c) => c.steps[0]), plan.stepsPerEpoch, loaded.map((c) => c.params), { ...base, extra });
  writeStepMetrics(files.steps, state.logs, { ...base, extra: { engine: engine.name } });
  writeCheckpointMetrics(files.checkpointMetrics, state.checkpoints, n, { ...base, extra });
  saveWeights(files.weights, state.params, cfg, { 'sortscope.step': String(state.step), 'sortscope.config_hash': configHash });
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(join(opts.outDir, TRAIN_FILES.runInfo), `${JSON.stringify({ engine: engine.name, seconds, steps: state.step }, null, 2)}\n`);
  // partial/ stays until the manifest certifies the result (stage-guard removes it then): a run
  // stopped between here and the manifest resumes from its checkpoints instead of starting over
  log(
    `train: done in ${seconds.toFixed(1)}s; validation loss ${finalValidation.loss.toFixed(4)}, token accuracy ${(100 * finalValidation.token_accuracy).toFixed(2)}%, ` +
      `sequence accuracy ${(100 * finalValidation.sequence_accuracy).toFixed(2)}%; head ablation ${ablation.map((l) => l.map((x) => x.toFixed(3)).join('/')).join(' | ')}`,
    opts.quiet,
  );
  return { files, summary: { engine: engine.name, seconds, final_validation: finalValidation, head_ablation_loss_increase: ablation, total_steps: state.step } };
}
