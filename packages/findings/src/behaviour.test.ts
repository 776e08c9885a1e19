/**
 * Essential dynamics and confidence under ablation: PCA preserves the trajectory's geometry and
 * finds its turning points; on a real tiny run, the clean loss and the heads' ablation increases
 * equal what the train stage recorded for the same rows.
 */
import { join } from 'node:path';
import { useTempDirs } from '@sortscope/core/testing';
import { calibrationReport } from '@sortscope/circuits';
import { DatasetConfigSchema, readSplit, runDatasetStage, splitFile } from '@sortscope/dataset';
import { checkpointParams, readCheckpoints, runTrainStage, TRAIN_FILES, TrainConfigSchema } from '@sortscope/train';
import { describe, expect, it } from 'vitest';
import { essentialDynamics, runBehaviour, turningPoints } from './behaviour.ts';

const tmp = useTempDirs('behaviour');

describe('essential dynamics', () => {
  it('turning points are the prominent local extrema', () => {
    const steps = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    expect(turningPoints(steps, [0, 1, 2, 3, 2, 1, 0, 1, 2])).toEqual([3, 6]);
    expect(turningPoints(steps, [0, 1, 2, 3, 2.9, 3.5, 4, 5, 6])).toEqual([]); // a wiggle of 2% of the range
    expect(turningPoints(steps, [1, 1, 1, 1, 1, 1, 1, 1, 1])).toEqual([]);
  });

  it('the first two PCs of a planar trajectory embedded in 500 dimensions keep every distance; the explained variance sums to 1', () => {
    const steps = Array.from({ length: 12 }, (_, t) => t * 10);
    const e1 = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i + 1));
    const e2raw = Float32Array.from({ length: 500 }, (_, i) => Math.cos(3 * i));
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    const k = dot(e1, e2raw) / dot(e1, e1);
    const e2 = e2raw.map((x, i) => x - k * e1[i]);
    const coords = steps.map((_, t) => [t, 0.3 * (t - 6) ** 2]);
    const xs = coords.map(([a, b]) => Float32Array.from(e1, (x, i) => a * x + b * e2[i]));
    const ed = essentialDynamics(steps, xs, 2);
    expect(ed.explained[0] + ed.explained[1]).toBeCloseTo(1, 4);
    const dist = (p: number[], q: number[]) => Math.hypot(p[0] - q[0], p[1] - q[1]);
    const dx = (a: number, b: number) => Math.hypot(...Array.from(xs[a], (x, i) => x - xs[b][i]));
    for (const [a, b] of [[0, 11], [3, 7], [5, 6]]) expect(dist(ed.scores[a], ed.scores[b])).toBeCloseTo(dx(a, b), 1);
    expect(ed.turning.flat().length).toBeGreaterThan(0); // the parabola turns at t = 6
  });
});

describe('runBehaviour on a tiny run', () => {
  it('clean loss and head ablation match the train stage on the same rows', async () => {
    const root = tmp();
    const ds = join(root, 'dataset');
    const tr = join(root, 'train');
    runDatasetStage(DatasetConfigSchema.parse({ list_length: 4, max_number: 15, n_train: 2000, n_validation: 200, n_test: 0 }), ds, { quiet: true });
    const train = TrainConfigSchema.parse({ model: { d_model: 16, d_head: 8 }, batch_size: 32, epochs: 2, checkpoints: { log_spaced: 6, linear: 3 }, eval: { validation_rows: 200, train_rows: 200 } });
    await runTrainStage(train, { outDir: tr, datasetDir: ds, quiet: true, backend: 'wasm' });
    const b = await runBehaviour(tr, ds, { probeRows: 32, ablationRows: 200, backend: 'wasm' });
    const ck = readCheckpoints(join(tr, TRAIN_FILES.checkpoints));
    expect(b.ed.steps).toEqual(ck.steps);
    expect(b.ed.scores).toHaveLength(ck.steps.length);
    expect(b.ed.explained[0]).toBeGreaterThan(0.3);
    const extra = ck.meta.extra as { final_validation: { loss: number }; head_ablation_loss_increase: number[][] };
    expect(b.confidence.clean.loss).toBeCloseTo(extra.final_validation.loss, 4);
    b.confidence.heads.forEach((h, i) => expect(h.loss - b.confidence.clean.loss).toBeCloseTo(extra.head_ablation_loss_increase[0][i], 4));
    expect(b.confidence.clean.confidence).toBeGreaterThan(b.confidence.clean.p_target - 1e-9);
    // calibration: at the last checkpoint only by default, its clean loss the same as the engine's
    const cal = b.calibration!;
    expect(cal.steps).toEqual([ck.steps.at(-1)]);
    expect(cal.rows).toBe(200);
    expect(cal.clean[0].loss).toBeCloseTo(b.confidence.clean.loss, 4);
    expect(cal.suppression_removed.map((v) => `${v.head} ${v.sources}`)).toEqual(['0 all', '0 inputs', '0 outputs', '1 all', '1 inputs', '1 outputs']);
    // at chosen checkpoints (a step that is no checkpoint is skipped), the points are calibrationReport's
    const two = await runBehaviour(tr, ds, { probeRows: 8, ablationRows: 20, backend: 'wasm', calibrationSteps: [ck.steps[2], 123_456], calibrationRows: 50 });
    expect(two.calibration!.steps).toEqual([ck.steps[2], ck.steps.at(-1)]);
    const direct = calibrationReport(ck.cfg, checkpointParams(ck, 2), readSplit(splitFile(ds, 'validation')).tokens, 50);
    expect(two.calibration!.clean[0].ece).toBe(Number(direct.clean.ece.toPrecision(6)));
    expect(two.calibration!.suppression_removed[2].points[0].removed_logit).toBe(Number(direct.suppression_removed[2].removed_logit.toPrecision(6)));
  }, 600_000);
});
