/**
 * Learning-rate schedules and the checkpoint schedule.
 *
 * - `linear-per-epoch` (ARENA's): constant within an epoch, stepping linearly from lr at the first
 *   epoch to lr_end at the last: lr_e = lr + (lr_end − lr) · e / (epochs − 1).
 * - `constant`: lr throughout; with `anneal_epochs` A of E epochs, epoch e ≥ E − A is at
 *   lr + (lr_end − lr) · (e − (E − A) + 1) / A (so the last epoch is at lr_end and the first E − A
 *   epochs are the constant run's, step for step).
 * - `cosine`: per step, lr_end + (lr − lr_end) · (1 + cos(π · step / total)) / 2.
 *
 * Checkpoints: step 0, the last step, `log_spaced` steps spaced evenly in log(step) over
 * [1, total] (dense early, where the model changes fastest: ARENA's model is at 99.8% token
 * accuracy after one epoch), `linear` evenly spaced steps and any `extra` steps up to the last;
 * duplicates merged.
 */
export type LrSchedule = 'linear-per-epoch' | 'constant' | 'cosine';

export function learningRate(kind: LrSchedule, lr: number, lrEnd: number, step: number, stepsPerEpoch: number, epochs: number, annealEpochs?: number): number {
  const total = stepsPerEpoch * epochs;
  switch (kind) {
    case 'constant': {
      if (annealEpochs === undefined) return lr;
      const e = Math.min(Math.floor(step / stepsPerEpoch), epochs - 1);
      const start = epochs - annealEpochs;
      return e < start ? lr : lr + ((lrEnd - lr) * (e - start + 1)) / annealEpochs;
    }
    case 'linear-per-epoch': {
      const e = Math.min(Math.floor(step / stepsPerEpoch), epochs - 1);
      return epochs > 1 ? lr + ((lrEnd - lr) * e) / (epochs - 1) : lr;
    }
    case 'cosine':
      return lrEnd + ((lr - lrEnd) * (1 + Math.cos((Math.PI * Math.min(step, total)) / total))) / 2;
  }
}

export function checkpointSteps(total: number, logSpaced: number, linear: number, extra: readonly number[] = []): number[] {
  const steps = new Set<number>([0, total, ...extra]);
  for (let i = 0; i < logSpaced; i++) steps.add(Math.round(Math.exp((Math.log(total) * i) / Math.max(1, logSpaced - 1))));
  for (let i = 1; i < linear; i++) steps.add(Math.round((total * i) / linear));
  return [...steps].filter((s) => s >= 0 && s <= total).sort((a, b) => a - b);
}
