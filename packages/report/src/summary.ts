/**
 * One row of the study's summary table per experiment (also written as summary.json): where
 * training ended up, against what was achievable.
 *
 * - clean accuracy: the train stage's final evaluation on the whole clean validation split when
 *   recorded, else the last checkpoint's validation sample;
 * - final train loss: the last checkpoint's loss on the fixed training sample (against the targets
 *   trained on, noisy ones included) and its distance to the Bayes loss of the training data — a
 *   train loss below the floor means memorisation;
 * - LLC: the `all` target's estimate at the last estimated step, with the chains flagged there;
 * - per head at the circuits' last checkpoint: vocabulary regions, tokens copied, mean-ablation
 *   loss increase, and the symmetry measures (T_norm, Toeplitz EV z) of QK and OV.
 */
import { lastFinite, sig } from './format.ts';
import type { LoadedExperiment } from './load.ts';
import type { ExperimentModel, HeadSummary, SummaryRow } from './model-types.ts';

export type { HeadSummary, SummaryRow };



const r6 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : sig(v, 6));

function noiseOf(e: LoadedExperiment): string | null {
  const n = e.dataset?.config.noise as { kind: string; p?: number } | undefined;
  if (!n) return null;
  return n.kind === 'none' ? 'none' : `${n.kind}${n.p !== undefined ? ` p=${n.p}` : ''}`;
}

function accuracy(e: LoadedExperiment) {
  const t = e.train;
  if (!t) return { token: null, sequence: null, loss: null, source: null };
  if (t.final_validation) return { token: t.final_validation.token_accuracy, sequence: t.final_validation.sequence_accuracy, loss: t.final_validation.loss, source: `final evaluation, ${t.final_validation.rows} clean validation rows` };
  const c = t.checkpoints;
  const last = lastFinite(c.validation_token_accuracy ?? []);
  if (!last) return { token: null, sequence: null, loss: null, source: null };
  return { token: last.value, sequence: c.validation_sequence_accuracy?.[last.index] ?? null, loss: c.validation_loss?.[last.index] ?? null, source: `validation sample at step ${c.step[last.index]}` };
}

function heads(model: Omit<ExperimentModel, 'summary'>): { step: number | null; heads: Record<string, HeadSummary> } {
  const c = model.circuits;
  if (!c || c.specialisation.length === 0) return { step: null, heads: {} };
  const step = Math.max(...c.specialisation.map((r) => r.step));
  const out: Record<string, HeadSummary> = {};
  for (const s of c.specialisation.filter((r) => r.step === step)) {
    const m = (circuit: string) => c.measures.find((r) => r.step === step && r.head === s.head && r.circuit === circuit);
    out[s.head] = {
      regions: s.regions,
      n_copied: s.n_copied,
      ablation_loss_increase: s.ablation,
      qk_t_norm: m('QK')?.t_norm ?? null,
      qk_ev_z: m('QK')?.ev_z ?? null,
      ov_t_norm: m('OV')?.t_norm ?? null,
      ov_ev_z: m('OV')?.ev_z ?? null,
    };
  }
  return { step, heads: out };
}

export function summaryRow(e: LoadedExperiment, model: Omit<ExperimentModel, 'summary'>): SummaryRow {
  const acc = accuracy(e);
  const c = e.train?.checkpoints;
  const trainLoss = c ? lastFinite(c.train_loss ?? []) : null;
  const bayes = model.training?.bayes_mean ?? e.dataset?.bayes.mean ?? null;
  const all = model.llc?.rows.filter((r) => r.target === 'all').sort((a, b) => a.step - b.step).at(-1);
  const h = heads(model);
  return {
    experiment: e.name,
    description: e.description,
    noise: noiseOf(e),
    final_step: model.training?.last_step ?? null,
    clean_token_accuracy: r6(acc.token),
    clean_sequence_accuracy: r6(acc.sequence),
    clean_loss: r6(acc.loss),
    clean_accuracy_source: acc.source,
    train_loss: r6(trainLoss?.value),
    bayes_loss: r6(bayes),
    train_loss_above_bayes: trainLoss && bayes !== null ? r6(trainLoss.value - bayes) : null,
    llc: all ? { step: all.step, mean: all.mean, std: all.std, flagged_chains: all.flagged, chains: model.llc!.config.chains } : null,
    stage_boundaries: model.stages ? model.stages.boundaries.map((b) => ({ step_before: b.step_before, step_after: b.step_after })) : null,
    circuits_step: h.step,
    convention: model.circuits?.convention ?? null,
    heads: h.heads,
    missing: e.missing.map((m) => m.stage),
  };
}
