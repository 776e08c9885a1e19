/**
 * The numbers docs/findings.md is written from, per experiment of a study (`sortscope findings`).
 *
 * Definitions (all on the artifacts the stages wrote; steps are training steps at checkpoints):
 * - t_acc99: first checkpoint whose clean validation token accuracy is ≥ 0.99.
 * - t_split: first checkpoint from which the vocabulary split stays put — at it and at every later
 *   checkpoint, the copier of each number token (the head with the largest positive OV diagonal,
 *   circuits §specialisation) agrees with the final checkpoint's on ≥ `agree` (0.9) of the tokens.
 * - LLC: the `all` target's λ̂ (mean over chains): its peak (max) and where, its value at the
 *   estimate nearest t_split, and at the end; drop = (peak − final) / peak.
 * - memorisation (noisy data): loss on the noisy training rows against the targets trained on,
 *   and against their clean targets, at the last checkpoint, next to the Bayes floor.
 */
import { copierFromRecords } from '@sortscope/circuits/copier';
import { blocksReading } from '@sortscope/llc/diagnostics';
import type { LoadedExperiment } from '@sortscope/report';

export interface HeadFacts {
  head: string;
  n_copied: number;
  regions: number;
  ablation: number;
  copy_suppression: number;
  qk_ev_z: number;
  qk_t_norm: number;
  ov_t_norm: number;
}

export interface ExperimentFacts {
  experiment: string;
  final_step: number;
  bayes: number | null;
  val_loss: number | null;
  val_token_acc: number | null;
  val_seq_acc: number | null;
  train_loss: number | null;
  noisy_rows_loss: number | null;
  noisy_rows_vs_clean_loss: number | null;
  t_acc99: number | null;
  t_split: number | null;
  llc_peak: number | null;
  llc_peak_step: number | null;
  llc_at_split: number | null;
  llc_final: number | null;
  llc_drop: number | null;
  llc_flagged: number | null;
  llc_chains: number | null;
  /** how often each flag was raised on the `all` target's chains, over all checkpoints */
  llc_flags: Record<string, number>;
  heads: HeadFacts[];
}

const last = <T>(a: readonly T[]): T | undefined => a[a.length - 1];
const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** First index i with values[i] ≥ threshold (NaN never counts); −1 if none. */
export function firstAtLeast(values: readonly number[], threshold: number): number {
  return values.findIndex((v) => v >= threshold);
}

/**
 * t_split from per-checkpoint copier assignments (copier[t] = head index or −1), in step order:
 * the first step from which every assignment agrees with the last on ≥ `agree` of the tokens.
 */
export function splitStep(steps: readonly number[], copiers: readonly Int32Array[], agree = 0.9): number | null {
  const final = last(copiers);
  if (!final || final.length === 0) return null;
  const agreement = copiers.map((c) => c.reduce((a, h, t) => a + (h === final[t] ? 1 : 0), 0) / final.length);
  let i = agreement.length - 1;
  while (i > 0 && agreement[i - 1] >= agree) i--;
  return steps[i];
}

/** The value at the step nearest `step` (ties: the earlier). */
export function nearest(steps: readonly number[], values: readonly number[], step: number): number | null {
  let best = -1;
  steps.forEach((s, i) => {
    if (best < 0 || Math.abs(s - step) < Math.abs(steps[best] - step)) best = i;
  });
  return best < 0 ? null : values[best];
}

function copiersByStep(e: LoadedExperiment): { steps: number[]; copiers: Int32Array[] } {
  const recs = e.circuits?.specialisation ?? [];
  const steps = [...new Set(recs.filter((r) => r.layer === 0).map((r) => r.step))].sort((a, b) => a - b);
  return { steps, copiers: steps.map((s) => copierFromRecords(recs, s, 0)) };
}

export function experimentFacts(e: LoadedExperiment): ExperimentFacts {
  const ck = e.train?.checkpoints ?? {};
  const ckSteps = ck.step ?? [];
  const at = (col: string) => finiteOrNull(last(ck[col] ?? []));
  const acc = ck.validation_token_accuracy ?? [];
  const iAcc = firstAtLeast(acc, 0.99);
  const { steps: cSteps, copiers } = copiersByStep(e);
  const tSplit = splitStep(cSteps, copiers);
  const all = (e.llc?.estimates ?? []).filter((r) => r.target === 'all' && Number.isFinite(r.llc_mean)).sort((a, b) => a.step - b.step);
  const peak = all.reduce<(typeof all)[number] | null>((m, r) => (m === null || r.llc_mean > m.llc_mean ? r : m), null);
  const final = last(all);
  const fs = last(cSteps);
  const heads: HeadFacts[] = [];
  if (e.circuits && fs !== undefined) {
    for (const r of e.circuits.specialisation.filter((x) => x.step === fs && x.layer === 0)) {
      const m = (kind: string) => e.circuits!.measures.find((x) => x.step === fs && x.layer === 0 && x.head === r.head && x.circuit === kind)?.all;
      heads.push({
        head: `L0H${r.head}`,
        n_copied: r.n_copied,
        regions: r.regions,
        ablation: r.ablation_loss_increase,
        copy_suppression: r.copy_suppression,
        qk_ev_z: m('QK')?.ev_z ?? NaN,
        qk_t_norm: m('QK')?.t_norm ?? NaN,
        ov_t_norm: m('OV')?.t_norm ?? NaN,
      });
    }
  }
  const fv = e.train?.final_validation;
  return {
    experiment: e.name,
    final_step: last(ckSteps) ?? NaN,
    bayes: e.train?.bayes?.mean ?? e.dataset?.bayes.mean ?? null,
    val_loss: fv?.loss ?? at('validation_loss'),
    val_token_acc: fv?.token_accuracy ?? at('validation_token_accuracy'),
    val_seq_acc: fv?.sequence_accuracy ?? at('validation_sequence_accuracy'),
    train_loss: at('train_loss'),
    noisy_rows_loss: at('train_noisy_loss'),
    noisy_rows_vs_clean_loss: at('train_noisy_vs_clean_targets_loss'),
    t_acc99: iAcc >= 0 ? ckSteps[iAcc] : null,
    t_split: tSplit,
    llc_peak: peak?.llc_mean ?? null,
    llc_peak_step: peak?.step ?? null,
    llc_at_split: tSplit === null ? null : nearest(all.map((r) => r.step), all.map((r) => r.llc_mean), tSplit),
    llc_final: final?.llc_mean ?? null,
    llc_drop: peak && final && peak.llc_mean > 0 ? (peak.llc_mean - final.llc_mean) / peak.llc_mean : null,
    llc_flagged: e.llc ? e.llc.chains.filter((c) => c.target === 'all' && blocksReading(c.flags)).length : null,
    llc_chains: e.llc ? e.llc.chains.filter((c) => c.target === 'all').length : null,
    llc_flags: flagCounts(e),
    heads,
  };
}

function flagCounts(e: LoadedExperiment): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of e.llc?.chains ?? []) if (c.target === 'all') for (const f of c.flags) out[f] = (out[f] ?? 0) + 1;
  return out;
}

export interface CurveRow {
  step: number;
  val_loss: number | null;
  val_token_acc: number | null;
  /** fraction of number tokens whose copier is the final checkpoint's */
  split_agreement: number | null;
  llc: number;
  llc_std: number;
  flagged: number;
}

/** The LLC curve (`all` target) with training and split progress at the same checkpoints. */
export function experimentCurve(e: LoadedExperiment): CurveRow[] {
  const ck = e.train?.checkpoints ?? {};
  const { steps: cSteps, copiers } = copiersByStep(e);
  const final = last(copiers);
  const at = (col: string, step: number) => {
    const i = (ck.step ?? []).indexOf(step);
    return i < 0 ? null : finiteOrNull(ck[col]?.[i]);
  };
  return (e.llc?.estimates ?? [])
    .filter((r) => r.target === 'all')
    .sort((a, b) => a.step - b.step)
    .map((r) => {
      const i = cSteps.indexOf(r.step);
      return {
        step: r.step,
        val_loss: at('validation_loss', r.step),
        val_token_acc: at('validation_token_accuracy', r.step),
        split_agreement: i < 0 || !final ? null : copiers[i].reduce((a, h, t) => a + (h === final[t] ? 1 : 0), 0) / final.length,
        llc: r.llc_mean,
        llc_std: r.llc_std,
        flagged: r.flagged_chains,
      };
    });
}

export function curveMarkdown(name: string, rows: readonly CurveRow[]): string {
  const out = [`${name}`, '', '| step | val loss | val tok acc | split agreement | LLC | ± std | flagged chains |', '|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) out.push(`| ${r.step} | ${fmt(r.val_loss)} | ${fmt(r.val_token_acc, 4)} | ${fmt(r.split_agreement, 2)} | ${fmt(r.llc)} | ${fmt(r.llc_std, 2)} | ${r.flagged} |`);
  return `${out.join('\n')}\n`;
}

/** A number in a Markdown table: `digits` significant digits, '–' for none. */
export const fmtValue = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Number(v.toPrecision(digits)).toString());
const fmt = fmtValue;

const flagText = (flags: Record<string, number>): string => {
  const e = Object.entries(flags);
  return e.length ? ` (${e.map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
};

/** The facts as two Markdown tables: training and LLC, and the heads at the last checkpoint. */
export function factsMarkdown(facts: readonly ExperimentFacts[]): string {
  const out = [
    '| experiment | step | Bayes | val loss | val tok acc | val seq acc | train loss | noisy rows | noisy vs clean | t_acc99 | t_split | LLC peak (step) | LLC at t_split | LLC final | drop | flagged chains |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const f of facts) {
    out.push(
      `| ${f.experiment} | ${f.final_step} | ${fmt(f.bayes)} | ${fmt(f.val_loss)} | ${fmt(f.val_token_acc, 4)} | ${fmt(f.val_seq_acc, 4)} | ${fmt(f.train_loss)} | ${fmt(f.noisy_rows_loss)} | ${fmt(f.noisy_rows_vs_clean_loss)} | ${f.t_acc99 ?? '–'} | ${f.t_split ?? '–'} | ${fmt(f.llc_peak)}${f.llc_peak_step === null ? '' : ` (${f.llc_peak_step})`} | ${fmt(f.llc_at_split)} | ${fmt(f.llc_final)} | ${f.llc_drop === null ? '–' : `${(100 * f.llc_drop).toFixed(0)}%`} | ${f.llc_flagged ?? '–'}/${f.llc_chains ?? '–'}${flagText(f.llc_flags)} |`,
    );
  }
  out.push('', '| experiment | head | tokens copied | regions | ablation Δloss | copy suppression | QK EV z | QK T_norm | OV T_norm |', '|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const f of facts) for (const h of f.heads) out.push(`| ${f.experiment} | ${h.head} | ${h.n_copied} | ${h.regions} | ${fmt(h.ablation)} | ${fmt(h.copy_suppression)} | ${fmt(h.qk_ev_z)} | ${fmt(h.qk_t_norm)} | ${fmt(h.ov_t_norm)} |`);
  return `${out.join('\n')}\n`;
}
