/** Test fixtures: compact checkpoint rows carrying only λ̂ per target (mean, flagged chains). */
import type { CheckpointRow, LlcPoint } from './data.ts';

/** one estimate: std 1% and se 0.5% of |λ̂| unless `over` says otherwise */
export const llcPoint = (mean: number, flagged = 0, over: Partial<LlcPoint> = {}): LlcPoint => ({ mean, std: Math.abs(mean) / 100, se: Math.abs(mean) / 200, flagged, n_ok: 4, init_loss: 0.1, ...over });

export const llcRow = (step: number, llc: Record<string, [mean: number, flagged: number]>): CheckpointRow => ({
  step,
  val_loss: null,
  val_token_acc: null,
  overlap: null,
  co_copied: null,
  regions: [],
  n_copied: [],
  split_agreement: null,
  llc: Object.fromEntries(Object.entries(llc).map(([t, [mean, flagged]]) => [t, llcPoint(mean, flagged)])),
  norms: {},
});
