/**
 * The training loop as a function of (config, engine, data, starting state): no file I/O; the
 * caller persists checkpoints and the resume state through `onCheckpoint`.
 *
 * Step s (0-based) uses epoch e = floor(s / steps_per_epoch), whose order of the training rows is
 * Rng.derive(seed, 'train', 'shuffle', e).permutation(rows), and batch b = s mod steps_per_epoch
 * of it (the last batch of an epoch holds the remainder, as PyTorch's DataLoader without
 * drop_last). The checkpoint at step s holds the parameters before step s's update (step 0 is the
 * initialisation; the last is after the final update). Because every random choice is derived
 * from (seed, epoch), a run resumed from the state saved at a checkpoint takes exactly the same
 * steps as an uninterrupted one.
 */
import { type Progress, Rng, SortscopeError } from '@sortscope/core';
import type { Engine } from '@sortscope/engine';
import { type EvalSummary, evaluateTokens, summarize, adamStep, type AdamState } from '@sortscope/engine';
import { frozenParams } from './freeze.ts';
import { checkpointSteps, learningRate } from './schedule.ts';
import type { TrainConfig } from './schema.ts';

export interface TrainData {
  /** [rows, n_ctx] the training sequences as trained on (noisy where the dataset is) */
  trainTokens: Uint8Array;
  /** [rows, n_ctx] the clean versions */
  trainClean: Uint8Array;
  /** [rows] 1 where the dataset's noise selected the row */
  noiseApplied: Uint8Array;
  trainRows: number;
  /** [rows, n_ctx] clean validation sequences */
  validationTokens: Uint8Array;
  validationRows: number;
}

export interface StepLog {
  step: number;
  epoch: number;
  lr: number;
  loss: number;
  grad_norm: number;
  weight_norm: number;
}

export interface CheckpointMetrics {
  step: number;
  epoch: number;
  /** clean validation sample */
  validation: EvalSummary;
  /** training sample, against the targets trained on */
  train: EvalSummary;
  /** the noisy / clean rows of the training sample (null when the data are clean) */
  train_noisy: EvalSummary | null;
  train_clean: EvalSummary | null;
  /** the noisy rows of the training sample fed their clean version: does the model still sort them? */
  train_noisy_vs_clean_targets: EvalSummary | null;
}

export interface TrainState {
  step: number;
  params: Float32Array;
  adam: AdamState;
  logs: StepLog[];
  checkpoints: CheckpointMetrics[];
}

export interface TrainPlan {
  stepsPerEpoch: number;
  totalSteps: number;
  checkpointSteps: number[];
}

/** Training stopped because it diverged (exit code 5); see `divergence` for the rule. */
export class TrainingDiverged extends SortscopeError {
  override readonly exitCode = 5;
  override name = 'TrainingDiverged';
}

/**
 * The divergence rule. Training stops, and no checkpoint is written past the last finite one, when
 *  - the training loss or the gradient norm of a step is not finite, or a checkpoint's parameters
 *    or evaluations are not (NaN or ±Inf anywhere), or
 *  - after warm-up (the first WARMUP_FRACTION of the steps, at least WARMUP_MIN_STEPS), a
 *    checkpoint's validation loss exceeds FACTOR × its value at step 0. At initialisation the loss
 *    is about ln(d_vocab) (uniform guessing); 3× that is far beyond any model that learned anything,
 *    noise controls included (permute p = 1 ends near ln 10 per position).
 */
export const divergence = { FACTOR: 3, WARMUP_FRACTION: 0.05, WARMUP_MIN_STEPS: 10 } as const;

function diverged(cfg: TrainConfig, step: number, epoch: number, lr: number, what: string, lastFinite: number | null): TrainingDiverged {
  const last = lastFinite === null ? 'no checkpoint was written' : `the last checkpoint written is step ${lastFinite}`;
  return new TrainingDiverged(
    `training diverged at step ${step} (epoch ${epoch + 1}): ${what}; ${last}. ` +
      `The setting most likely responsible is train.lr (${lr.toPrecision(3)} at that step, schedule ${cfg.schedule}): try ${(lr / 10).toPrecision(2)}` +
      (cfg.weight_decay > 1 ? `, or a smaller train.weight_decay (${cfg.weight_decay})` : '') +
      '. The rule: packages/train/src/train-loop.ts, `divergence`.',
  );
}

function allFinite(v: Float32Array): number {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return i;
  return -1;
}

export function trainPlan(cfg: TrainConfig, trainRows: number): TrainPlan {
  const stepsPerEpoch = Math.ceil(trainRows / cfg.batch_size);
  const totalSteps = Math.min(stepsPerEpoch * cfg.epochs, cfg.max_steps ?? Infinity);
  return { stepsPerEpoch, totalSteps, checkpointSteps: checkpointSteps(totalSteps, cfg.checkpoints.log_spaced, cfg.checkpoints.linear, cfg.checkpoints.steps) };
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function gatherRows(src: Uint8Array, rows: ArrayLike<number>, from: number, to: number, ctx: number): Uint8Array {
  const out = new Uint8Array((to - from) * ctx);
  for (let i = from; i < to; i++) out.set(src.subarray(rows[i] * ctx, rows[i] * ctx + ctx), (i - from) * ctx);
  return out;
}

/** The fixed evaluation samples: the first validation rows, and a seeded sample of training rows. */
export function evalSamples(cfg: TrainConfig, data: TrainData, ctx: number) {
  const vRows = Math.min(cfg.eval.validation_rows, data.validationRows);
  const tRows = Math.min(cfg.eval.train_rows, data.trainRows);
  const pick = Rng.derive(cfg.seed, 'train', 'eval-sample').permutation(data.trainRows).subarray(0, tRows).sort();
  const noisy = Uint8Array.from(pick, (r) => data.noiseApplied[r]);
  return {
    validation: data.validationTokens.subarray(0, vRows * ctx),
    vRows,
    train: gatherRows(data.trainTokens, pick, 0, tRows, ctx),
    trainCleanVersion: gatherRows(data.trainClean, pick, 0, tRows, ctx),
    tRows,
    noisy,
    anyNoisy: noisy.some((x) => x === 1),
  };
}

export function checkpointMetrics(engine: Engine, params: Float32Array, cfg: TrainConfig, samples: ReturnType<typeof evalSamples>, step: number, stepsPerEpoch: number): CheckpointMetrics {
  const n = engine.cfg.list_length;
  const bs = cfg.eval.batch_size;
  const train = evaluateTokens(engine, params, samples.train, samples.tRows, { batchSize: bs });
  const clean = Uint8Array.from(samples.noisy, (x) => 1 - x);
  const some = (sel: Uint8Array) => sel.some((x) => x === 1);
  return {
    step,
    epoch: step / stepsPerEpoch,
    validation: summarize(evaluateTokens(engine, params, samples.validation, samples.vRows, { batchSize: bs }), n),
    train: summarize(train, n),
    train_noisy: samples.anyNoisy ? summarize(train, n, samples.noisy) : null,
    train_clean: samples.anyNoisy && some(clean) ? summarize(train, n, clean) : null,
    train_noisy_vs_clean_targets: samples.anyNoisy ? summarize(evaluateTokens(engine, params, samples.trainCleanVersion, samples.tRows, { batchSize: bs }), n, samples.noisy) : null,
  };
}

/** `train.stop_at`: is the fixed training sample's loss (as a checkpoint reports it) at most the target? */
function stopLossReached(engine: Engine, params: Float32Array, cfg: TrainConfig, samples: ReturnType<typeof evalSamples>): boolean {
  const loss = summarize(evaluateTokens(engine, params, samples.train, samples.tRows, { batchSize: cfg.eval.batch_size }), engine.cfg.list_length).loss;
  return loss <= cfg.stop_at!.train_loss;
}

export interface TrainHooks {
  /** called at every checkpoint step with the metrics and the state to persist for resuming */
  onCheckpoint(state: TrainState, metrics: CheckpointMetrics): void;
  progress?: Progress;
}

/**
 * Train from `state` (step 0 or a resumed checkpoint) to the end, or with `stop_at` to the first
 * checked step whose training-sample loss reaches the target (recorded as a checkpoint; the
 * returned state's step is that step); returns the final state.
 */
export function runTraining(engine: Engine, cfg: TrainConfig, data: TrainData, state: TrainState, hooks: TrainHooks): TrainState {
  const ctx = engine.cfg.n_ctx;
  const plan = trainPlan(cfg, data.trainRows);
  const ckpts = new Set(plan.checkpointSteps);
  const samples = evalSamples(cfg, data, ctx);
  const adamCfg = { kind: cfg.optimizer, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weight_decay: cfg.weight_decay };
  const recorded = new Set(state.checkpoints.map((c) => c.step));
  const warmup = Math.max(divergence.WARMUP_MIN_STEPS, Math.ceil(divergence.WARMUP_FRACTION * plan.totalSteps));
  let lastFinite: number | null = state.checkpoints.at(-1)?.step ?? null;
  const frozen = cfg.freeze ? frozenParams(engine.cfg, cfg.freeze.params, cfg.freeze.from_step) : null;
  let order: Uint32Array | null = null;
  let orderEpoch = -1;
  for (let step = state.step; ; step++) {
    state.step = step;
    const epochNow = Math.floor(step / plan.stepsPerEpoch);
    const lrNow = learningRate(cfg.schedule, cfg.lr, cfg.lr_end, Math.min(step, plan.totalSteps - 1), plan.stepsPerEpoch, cfg.epochs, cfg.anneal_epochs);
    const stopHere = cfg.stop_at !== undefined && step > 0 && step < plan.totalSteps && step % cfg.stop_at.every === 0 && stopLossReached(engine, state.params, cfg, samples);
    if ((ckpts.has(step) || stopHere) && !recorded.has(step)) {
      const bad = allFinite(state.params);
      if (bad >= 0) throw diverged(cfg, step, epochNow, lrNow, `parameter ${bad} is ${state.params[bad]}`, lastFinite);
      const metrics = checkpointMetrics(engine, state.params, cfg, samples, step, plan.stepsPerEpoch);
      const losses = [metrics.validation.loss, metrics.train.loss, metrics.train_noisy?.loss, metrics.train_clean?.loss, metrics.train_noisy_vs_clean_targets?.loss];
      if (losses.some((x) => x !== undefined && !Number.isFinite(x))) throw diverged(cfg, step, epochNow, lrNow, `a checkpoint evaluation is not finite (validation loss ${metrics.validation.loss}, training-sample loss ${metrics.train.loss})`, lastFinite);
      const v0 = state.checkpoints.find((c) => c.step === 0)?.validation.loss;
      if (v0 !== undefined && step >= warmup && metrics.validation.loss > divergence.FACTOR * v0)
        throw diverged(cfg, step, epochNow, lrNow, `validation loss ${metrics.validation.loss.toPrecision(4)} is more than ${divergence.FACTOR}× its value at step 0 (${v0.toPrecision(4)})`, lastFinite);
      state.checkpoints.push(metrics);
      recorded.add(step);
      hooks.onCheckpoint(state, metrics);
      lastFinite = step;
    }
    if (stopHere || step >= plan.totalSteps) break;
    const epoch = Math.floor(step / plan.stepsPerEpoch);
    if (epoch !== orderEpoch) {
      order = Rng.derive(cfg.seed, 'train', 'shuffle', epoch).permutation(data.trainRows);
      orderEpoch = epoch;
    }
    const b = step - epoch * plan.stepsPerEpoch;
    const from = b * cfg.batch_size;
    const to = Math.min(from + cfg.batch_size, data.trainRows);
    const batch = { tokens: gatherRows(data.trainTokens, order!, from, to, ctx), rows: to - from };
    const lr = learningRate(cfg.schedule, cfg.lr, cfg.lr_end, step, plan.stepsPerEpoch, cfg.epochs, cfg.anneal_epochs);
    const { loss, grad } = engine.lossAndGrad(state.params, batch);
    const gradNorm = norm(grad);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw diverged(cfg, step, epoch, lr, `the training loss is ${loss} and the gradient norm ${gradNorm}`, lastFinite);
    if (step % cfg.log_every === 0) state.logs.push({ step, epoch: step / plan.stepsPerEpoch, lr, loss, grad_norm: gradNorm, weight_norm: norm(state.params) });
    const hold = frozen !== null && step >= frozen.fromStep;
    if (hold) frozen.capture(state.params);
    adamStep(adamCfg, state.params, grad, state.adam, lr);
    if (hold) frozen.restore(state.params);
    hooks.progress?.update(step + 1, `epoch ${epoch + 1}/${cfg.epochs}  loss ${loss.toFixed(4)}`);
  }
  return state;
}
