/**
 * The compact results of a study (`sortscope findings --save`): everything docs/findings.md cites,
 * per experiment, small enough to commit (docs/findings/<study>.json), so the numbers can be
 * printed and checked on a clone that has none of the artifacts. Built from the artifacts by
 * `compactExperiment`; every table of `sortscope findings` is computed from this form only.
 *
 * Per checkpoint (the training run's; circuit columns where the circuits stage ran, LLC columns where
 * the llc stage estimated):
 *   val_loss, val_token_acc          clean validation set (train stage's checkpoint metrics)
 *   overlap                          mean Jaccard overlap of the heads' copy ranges {t : OV_h[t,t] > 0}
 *                                    over head pairs (1 head: null)
 *   co_copied                        number tokens in at least two heads' copy ranges
 *   regions[h], n_copied[h]          contiguous runs of tokens head h wins, and how many it wins
 *   split_agreement                  fraction of tokens whose copier is the final checkpoint's
 *   llc[target] = {mean, std (over chains), se (with L(w*)'s error), flagged, n_ok, init_loss,
 *                  mixing (m at the first draw read; from format 2)}
 *   norms                            the L2 norm of every tensor of the checkpoint as trained (as the
 *                                    llc stage recorded it, at the checkpoints it estimated)
 */
import { blocksReading, type HeightRow, mixingOfEstimate, relaxHeights, unreadableReason } from '@sortscope/llc/diagnostics';
import type { LoadedExperiment } from '@sortscope/report';
import type { Behaviour } from './behaviour.ts';
import { type ExperimentFacts, experimentFacts, fmtValue } from './facts.ts';

export interface LlcPoint {
  mean: number;
  /** spread over chains */
  std: number;
  /** standard error of λ̂, including the error of L(w*) that every chain shares */
  se: number;
  flagged: number;
  n_ok: number;
  init_loss: number;
  /** m = S·εγ/2 at the first draw λ̂ reads (llc mixing.ts; null: not defined, e.g. preconditioned;
   *  absent in entries of COMPACT_FORMAT 1) */
  mixing?: number | null;
  /** h = nβ·(L(w0) − L(w*))/λ̂_all, how far the relaxation lowered the loss in the whole model's λ̂
   *  (llc readable.ts relaxHeight; null: not relaxed; absent in entries of COMPACT_FORMAT ≤ 2) */
  height?: number | null;
}

export interface CheckpointRow {
  step: number;
  val_loss: number | null;
  val_token_acc: number | null;
  overlap: number | null;
  co_copied: number | null;
  regions: number[];
  n_copied: number[];
  split_agreement: number | null;
  llc: Record<string, LlcPoint>;
  norms: Record<string, number>;
  /**
   * the authors' translational-symmetry measure per head and circuit (`L0H0 OV`, `L0H1 QK`, …) in
   * the raw-normalised convention, on every number token: T_norm = (S_perp − S_par)/(S_perp + S_par),
   * and the Toeplitz explained variance EV (docs/circuits.md); absent in results saved before it
   */
  symmetry?: Record<string, { t_norm: number | null; ev: number | null }>;
}

/**
 * The version of the compact form (compactExperiment, behaviour.ts and the facts): bump it with
 * any change to what they compute, so that `findings --save` recomputes entries written before
 * instead of reusing them (results.ts). Entries without it are never reused.
 */
export const COMPACT_FORMAT = 3; // 2: llc points carry `mixing`; 3: and `height`

export interface CompactExperiment {
  /** COMPACT_FORMAT of the code that computed this entry */
  format?: number;
  experiment: string;
  /** the experiment's name without its seed (`architecture/2heads`) */
  cell: string;
  seed: number | null;
  facts: ExperimentFacts;
  curve: CheckpointRow[];
  /** essential dynamics and confidence under ablation (findings-behaviour.ts); null without checkpoints */
  behaviour: Behaviour | null;
  /** the stages whose artifacts these numbers come from, and their keys (a merged `--save` keeps
   *  a committed entry only while the study's config still gives these keys) */
  stages?: string[];
  keys?: Record<string, string>;
  /** the stage versions its numbers were computed under (COMPACT_FORMAT ≥ 3) */
  versions?: Record<string, string>;
  /** stages whose numbers come from an earlier version than today's (compact-file.ts mergeCompact: a
   *  committed entry kept while a new llc version recomputes the study) */
  stale?: string[];
}

export interface CompactStudy {
  study: string;
  /** what the numbers were computed with, for a reader checking them */
  note: string;
  experiments: CompactExperiment[];
}

const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
/** 6 significant digits: enough for every number the docs cite, small in the committed file */
const r6 = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v);
const r6n = (v: number | null): number | null => (v === null ? null : r6(v));

/** `noise/permute-p=1-seed=2` → cell `noise/permute-p=1`, seed 2 */
export function cellOf(name: string): { cell: string; seed: number | null } {
  const m = /^(.*)-seed=(\d+)$/.exec(name);
  return m ? { cell: m[1], seed: Number(m[2]) } : { cell: name, seed: null };
}

export function compactExperiment(e: LoadedExperiment, behaviour: Behaviour | null = null): CompactExperiment {
  const ck = e.train?.checkpoints ?? {};
  const ckSteps = ck.step ?? [];
  const at = (col: string, step: number) => {
    const i = ckSteps.indexOf(step);
    return i < 0 ? null : finiteOrNull(ck[col]?.[i]);
  };
  const spec = (e.circuits?.specialisation ?? []).filter((r) => r.layer === 0);
  const steps = [...new Set([...ckSteps, ...spec.map((r) => r.step), ...(e.llc?.estimates ?? []).map((r) => r.step)])].sort((a, b) => a - b);
  const finalStep = spec.length ? Math.max(...spec.map((r) => r.step)) : null;
  const copierAt = (step: number) => {
    const heads = spec.filter((r) => r.step === step).sort((a, b) => a.head - b.head);
    const n = heads[0]?.copies.length ?? 0;
    return Array.from({ length: n }, (_, t) => heads.find((r) => r.copies[t])?.head ?? -1);
  };
  const finalCopier = finalStep === null ? [] : copierAt(finalStep);
  const heightOf = relaxHeights(e.llc?.estimates ?? []);
  const curve = steps.map((step): CheckpointRow => {
    const heads = spec.filter((r) => r.step === step).sort((a, b) => a.head - b.head);
    const H = heads.length;
    let overlap: number | null = null;
    let coCopied: number | null = null;
    if (H >= 2) {
      let sum = 0;
      let pairs = 0;
      for (let a = 0; a < H; a++) for (let b = a + 1; b < H; b++, pairs++) sum += heads[a].overlap[b];
      overlap = sum / pairs;
      const n = heads[0].copy_range.length;
      coCopied = Array.from({ length: n }, (_, t) => heads.filter((h) => h.copy_range[t]).length >= 2).filter(Boolean).length;
    }
    const copier = H ? copierAt(step) : [];
    const llc: Record<string, LlcPoint> = {};
    let norms: Record<string, number> = {};
    for (const r of (e.llc?.estimates ?? []).filter((x) => x.step === step)) {
      // flagged: chains whose flags make λ_c unreadable (advisory ones, e.g. acceptance_high, do not count)
      const flagged = (e.llc?.chains ?? []).filter((c) => c.step === step && c.target === r.target && blocksReading(c.flags)).length;
      const mixing = mixingOfEstimate(e.llc!.config, r);
      llc[r.target] = { mean: r6(r.llc_mean), std: r6(r.llc_std), se: r6(r.llc_se), flagged, n_ok: r.n_chains_ok, init_loss: r6(r.init_loss), mixing: mixing === null ? null : r6(mixing), height: r6n(heightOf(r)) };
      norms = Object.fromEntries(Object.entries(r.norms).map(([k, v]) => [k, r6(v)]));
    }
    return {
      step,
      val_loss: r6n(at('validation_loss', step)),
      val_token_acc: r6n(at('validation_token_accuracy', step)),
      overlap: r6n(overlap),
      co_copied: coCopied,
      regions: heads.map((h) => h.regions),
      n_copied: heads.map((h) => h.n_copied),
      split_agreement: H && finalCopier.length ? r6(copier.reduce((a, h, t) => a + (h === finalCopier[t] ? 1 : 0), 0) / finalCopier.length) : null,
      llc,
      norms,
      symmetry: Object.fromEntries(
        (e.circuits?.measures ?? [])
          .filter((m) => m.step === step && m.circuit !== 'QK_pos')
          .map((m) => [`L${m.layer}H${m.head} ${m.circuit}`, { t_norm: r6n(finiteOrNull(m.all.t_norm)), ev: r6n(finiteOrNull(m.all.ev)) }]),
      ),
    };
  });
  return { format: COMPACT_FORMAT, experiment: e.name, ...cellOf(e.name), facts: experimentFacts(e), curve, behaviour };
}

/**
 * `e` with the relaxation height (llc readable.ts relaxHeight) set on each LLC point that lacks one,
 * from the estimates.arrow rows its llc key wrote: for an entry saved before heights were recorded
 * (COMPACT_FORMAT ≤ 2) and kept stale (compact-file.ts mergeCompact) while its artifacts are still
 * here. Rows of other steps or targets are ignored; points with no row stay unjudged.
 */
export function withHeights(e: CompactExperiment, rows: HeightRow[]): CompactExperiment {
  const heightOf = relaxHeights(rows);
  const at = new Map(rows.map((r) => [`${r.step}|${r.target}`, r]));
  const curve = e.curve.map((c) => ({
    ...c,
    llc: Object.fromEntries(
      Object.entries(c.llc).map(([t, p]) => {
        const r = at.get(`${c.step}|${t}`);
        return [t, p.height !== undefined || !r ? p : { ...p, height: r6n(heightOf(r)) }];
      }),
    ),
  }));
  return { ...e, curve };
}

/** λ̂ ± std over chains, and why it is not read when it is not (llc readable.ts, the rule every reader applies) */
export function llcCell(p: LlcPoint): string {
  const why = unreadableReason(p);
  return `${fmtValue(p.mean)} ± ${fmtValue(p.std, 2)}${why ? ` (not read: ${why})` : ''}`;
}

/** One experiment's compact curve as a Markdown table. */
export function compactCurveMarkdown(e: CompactExperiment): string {
  const targets = [...new Set(e.curve.flatMap((r) => Object.keys(r.llc)))];
  const head = ['step', 'val loss', 'val tok acc', 'overlap', 'co-copied', 'regions', 'split agreement', ...targets.map((t) => `LLC ${t} (± std over chains)`)];
  const out = [e.experiment, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---:').join('|')}|`];
  for (const r of e.curve) {
    const llc = targets.map((t) => (r.llc[t] ? llcCell(r.llc[t]) : ''));
    out.push(`| ${[r.step, fmtValue(r.val_loss), fmtValue(r.val_token_acc, 4), fmtValue(r.overlap, 2), r.co_copied ?? '–', r.regions.join('/') || '–', fmtValue(r.split_agreement, 2), ...llc].join(' | ')} |`);
  }
  return `${out.join('\n')}\n`;
}
