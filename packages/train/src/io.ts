/**
 * Arrow I/O of the train stage (docs/artifacts.md):
 *   checkpoints.arrow          'train/checkpoints' v1         step, epoch, params (FixedSizeList<float32>[n_params])
 *   metrics-steps.arrow        'train/step-metrics' v1        step, epoch, lr, loss, grad_norm, weight_norm
 *   metrics-checkpoints.arrow  'train/checkpoint-metrics' v2  step, epoch, <set>_{loss, token_accuracy,
 *                               sequence_accuracy, loss_per_position} for each evaluation set; null
 *                               where a set does not apply (v1 wrote NaN: clean data have no noisy rows)
 *   partial/resume-<step>.arrow 'train/resume' v1             the state to resume from (removed at the end; partial.ts)
 * The parameter layout (name, shape, offset) and the model config are in the metadata of
 * checkpoints.arrow, so the flat vectors can be read without this code.
 */
import { type ArtifactMeta, regenerateHint, fixedSizeListVector, numberVector, optionalFloat64ListVector, optionalFloat64Vector, readArtifact, readFixedSizeList, readNumbers, ShapeError, tableOf, writeArtifact } from '@sortscope/core';
import type { Vector } from 'apache-arrow';
import type { EvalSummary, AdamState } from '@sortscope/engine';
import { type Layout, paramLayout } from '@sortscope/model';
import type { ModelConfig } from '@sortscope/model';
import type { CheckpointMetrics, StepLog, TrainState } from './train-loop.ts';

export const KINDS = {
  checkpoints: { kind: 'train/checkpoints', schemaVersion: 1 },
  steps: { kind: 'train/step-metrics', schemaVersion: 1 },
  checkpointMetrics: { kind: 'train/checkpoint-metrics', schemaVersion: 2 },
  resume: { kind: 'train/resume', schemaVersion: 1 },
} as const;

export const EVAL_SETS = ['validation', 'train', 'train_noisy', 'train_clean', 'train_noisy_vs_clean_targets'] as const;

type BaseMeta = Omit<ArtifactMeta, 'kind' | 'schemaVersion'>;
const REGENERATE = regenerateHint('train');

export function layoutMeta(layout: Layout) {
  return layout.params.map((p) => ({ name: p.name, shape: p.shape, offset: p.offset }));
}

export function writeCheckpoints(path: string, cfg: ModelConfig, steps: number[], stepsPerEpoch: number, params: Float32Array[], base: BaseMeta): string {
  const layout = paramLayout(cfg);
  const flat = new Float32Array(steps.length * layout.size);
  params.forEach((p, i) => flat.set(p, i * layout.size));
  const table = tableOf({
    step: numberVector(Int32Array.from(steps)),
    epoch: numberVector(Float64Array.from(steps, (s) => s / stepsPerEpoch)),
    params: fixedSizeListVector(flat, layout.size),
  });
  return writeArtifact(path, table, { ...base, ...KINDS.checkpoints, extra: { ...base.extra, model: cfg, layout: layoutMeta(layout) } });
}

export interface LoadedCheckpoints {
  cfg: ModelConfig;
  layout: Layout;
  steps: number[];
  epochs: number[];
  /** [checkpoints, n_params] */
  params: Float32Array;
  meta: ReturnType<typeof readArtifact>['meta'];
  sha256: string;
}

export function readCheckpoints(path: string): LoadedCheckpoints {
  const { table, meta, sha256 } = readArtifact(path, { ...KINDS.checkpoints, regenerate: REGENERATE });
  const cfg = meta.extra.model as ModelConfig;
  const layout = paramLayout(cfg);
  const stored = meta.extra.layout as { name: string; offset: number }[];
  if (stored.length !== layout.params.length || stored.some((p, i) => p.name !== layout.params[i].name || p.offset !== layout.params[i].offset)) {
    throw new ShapeError(`${path}: its parameter layout differs from this version's; regenerate it with: ${REGENERATE}`);
  }
  return {
    cfg,
    layout,
    steps: Array.from(readNumbers(table, 'step')),
    epochs: Array.from(readNumbers(table, 'epoch')),
    params: readFixedSizeList(table, 'params', layout.size, Float32Array),
    meta,
    sha256,
  };
}

/** One checkpoint's parameter vector (a view into `ck.params`). */
export function checkpointParams(ck: LoadedCheckpoints, index: number): Float32Array {
  return ck.params.subarray(index * ck.layout.size, (index + 1) * ck.layout.size);
}

export function writeStepMetrics(path: string, logs: StepLog[], base: BaseMeta): string {
  const col = (f: (l: StepLog) => number) => numberVector(Float64Array.from(logs, f));
  const table = tableOf({
    step: numberVector(Int32Array.from(logs, (l) => l.step)),
    epoch: col((l) => l.epoch),
    lr: col((l) => l.lr),
    loss: col((l) => l.loss),
    grad_norm: col((l) => l.grad_norm),
    weight_norm: col((l) => l.weight_norm),
  });
  return writeArtifact(path, table, { ...base, ...KINDS.steps });
}

export function writeCheckpointMetrics(path: string, rows: CheckpointMetrics[], n: number, base: BaseMeta): string {
  const cols: Record<string, Vector> = {
    step: numberVector(Int32Array.from(rows, (r) => r.step)),
    epoch: numberVector(Float64Array.from(rows, (r) => r.epoch)),
  };
  for (const set of EVAL_SETS) {
    const get = (r: CheckpointMetrics) => r[set] as EvalSummary | null;
    // a set that does not apply (the noisy rows of clean data) is null, not NaN; a computed NaN stays NaN
    cols[`${set}_loss`] = optionalFloat64Vector(rows.map((r) => get(r)?.loss));
    cols[`${set}_token_accuracy`] = optionalFloat64Vector(rows.map((r) => get(r)?.token_accuracy));
    cols[`${set}_sequence_accuracy`] = optionalFloat64Vector(rows.map((r) => get(r)?.sequence_accuracy));
    cols[`${set}_loss_per_position`] = optionalFloat64ListVector(rows.map((r) => get(r)?.loss_per_position), n); // [checkpoints, n]
  }
  return writeArtifact(path, tableOf(cols), { ...base, ...KINDS.checkpointMetrics });
}

export function readCheckpointMetrics(path: string) {
  const { table, meta } = readArtifact(path, { ...KINDS.checkpointMetrics, regenerate: REGENERATE });
  const columns = Object.fromEntries(table.schema.fields.filter((f) => !f.name.endsWith('per_position')).map((f) => [f.name, Array.from(readNumbers(table, f.name))]));
  return { columns, meta };
}

export function readStepMetrics(path: string) {
  const { table, meta } = readArtifact(path, { ...KINDS.steps, regenerate: REGENERATE });
  return { columns: Object.fromEntries(table.schema.fields.map((f) => [f.name, Array.from(readNumbers(table, f.name))])), meta };
}

export function writeResume(path: string, state: TrainState, base: BaseMeta): void {
  const size = state.params.length;
  const table = tableOf({
    step: numberVector(Int32Array.of(state.step)),
    params: fixedSizeListVector(state.params, size),
    adam_m: fixedSizeListVector(state.adam.m, size),
    adam_v: fixedSizeListVector(state.adam.v, size),
  });
  writeArtifact(path, table, { ...base, ...KINDS.resume, extra: { adam_t: state.adam.t, logs: state.logs, checkpoints: state.checkpoints } });
}

/** The saved state, or null with the reason when it is absent or belongs to another run. */
export function readResume(path: string, expectConfigHash: string, expectInputs: Record<string, string>): { state: TrainState } | { reason: string } {
  let read;
  try {
    read = readArtifact(path, { ...KINDS.resume, regenerate: 'delete it' });
  } catch (err) {
    return { reason: (err as Error).message };
  }
  const { table, meta } = read;
  if (meta.configHash !== expectConfigHash) return { reason: 'its config differs from this run' };
  if (JSON.stringify(meta.inputs) !== JSON.stringify(expectInputs)) return { reason: 'its dataset differs from this run' };
  const size = (table.getChild('params')!.type as { listSize: number }).listSize;
  const adam: AdamState = { m: readFixedSizeList(table, 'adam_m', size, Float32Array), v: readFixedSizeList(table, 'adam_v', size, Float32Array), t: meta.extra.adam_t as number };
  return {
    state: {
      step: readNumbers(table, 'step')[0],
      params: readFixedSizeList(table, 'params', size, Float32Array),
      adam,
      logs: meta.extra.logs as StepLog[],
      checkpoints: meta.extra.checkpoints as CheckpointMetrics[],
    },
  };
}
