/**
 * The report model: a pure function from the loaded artifacts to the tidy tables the charts and
 * the summary table show (no I/O, no rendering). Values that are not finite are left out of the
 * chart tables (Vega-Lite would draw them as gaps or at 0); numbers keep 6 significant digits.
 */
import { blocksReading, mixingOfEstimate, readableEstimate, relaxHeights, unreadableReason } from '@sortscope/llc';
import type { DiagnosisModel } from './load-diagnoses.ts';
import { EVAL_SETS } from '@sortscope/train';
import { type ChangepointResult, detectStages } from './changepoints.ts';
import { headName, sig, slug } from './format.ts';
import { heatmapData } from './heatmap-data.ts';
import type { LoadedExperiment, LoadedLlc, LoadedTrain } from './load.ts';
import type { ReportConfig } from './schema.ts';
import type { CircuitsModel, ExperimentModel, LlcModel, StudyModel, TrainingModel } from './model-types.ts';
import { summaryRow } from './summary.ts';

export type { CircuitsModel, ExperimentModel, LlcModel, StudyModel, TrainingModel };

const S = (v: number) => sig(v, 6);

/** What each checkpoint evaluation set is, as the legend says it. */
export const SET_LABELS: Record<(typeof EVAL_SETS)[number], string> = {
  validation: 'validation (clean)',
  train: 'train sample',
  train_noisy: 'train sample: noisy rows',
  train_clean: 'train sample: clean rows',
  train_noisy_vs_clean_targets: 'noisy rows vs clean targets',
};
export const MINIBATCH_LABEL = 'train minibatch';





const finite = (v: number) => Number.isFinite(v);

/** mean Jaccard overlap of a head's copy range with the other heads' (null with one head) */
function meanOverlap(overlap: ArrayLike<number>, head: number): number | null {
  const others = Array.from(overlap).filter((_, h) => h !== head);
  return others.length ? S(others.reduce((a, b) => a + b, 0) / others.length) : null;
}
const orNull = (v: number) => (finite(v) ? S(v) : null);

function trainingModel(t: LoadedTrain, datasetBayes: LoadedExperiment['dataset']): TrainingModel {
  const loss: TrainingModel['loss'] = [];
  const accuracy: TrainingModel['accuracy'] = [];
  t.steps.step.forEach((step, i) => finite(t.steps.loss[i]) && loss.push({ step, series: MINIBATCH_LABEL, loss: S(t.steps.loss[i]) }));
  const c = t.checkpoints;
  for (const set of EVAL_SETS) {
    const series = SET_LABELS[set];
    c.step.forEach((step, i) => {
      const l = c[`${set}_loss`]?.[i] ?? NaN;
      if (finite(l)) loss.push({ step, series, loss: S(l) });
      for (const metric of ['token', 'sequence'] as const) {
        const a = c[`${set}_${metric}_accuracy`]?.[i] ?? NaN;
        if (finite(a)) accuracy.push({ step, series, metric, accuracy: S(a) });
      }
    });
  }
  const bayes = t.bayes ?? datasetBayes?.bayes ?? null;
  return {
    loss,
    accuracy,
    bayes_mean: bayes?.mean ?? null,
    bayes_note: bayes ? `${bayes.method}: ${bayes.note}` : 'unknown (no Bayes loss recorded)',
    last_step: Math.max(0, ...c.step, ...t.steps.step),
  };
}

function llcModel(l: LoadedLlc, allTraces: boolean): LlcModel {
  const flagsAt = new Map<string, string[]>();
  const blockedAt = new Map<string, number>(); // chains whose flags make λ_c unreadable (not only advisory ones)
  const blockingAt = new Map<string, Map<string, number>>(); // per estimate: blocking flag → chains
  const chainsAt = new Map<string, number>();
  for (const ch of l.chains) {
    const k = `${ch.step}|${ch.target}`;
    chainsAt.set(k, (chainsAt.get(k) ?? 0) + 1);
    if (ch.flags.length === 0) continue;
    flagsAt.set(k, [...(flagsAt.get(k) ?? []), `chain ${ch.chain}: ${ch.flags.join(', ')}`]);
    if (!blocksReading(ch.flags)) continue;
    blockedAt.set(k, (blockedAt.get(k) ?? 0) + 1);
    const counts = blockingAt.get(k) ?? new Map<string, number>();
    for (const f of ch.flags) if (blocksReading([f])) counts.set(f, (counts.get(f) ?? 0) + 1);
    blockingAt.set(k, counts);
  }
  const heightOf = relaxHeights(l.estimates);
  const rows = l.estimates
    .filter((r) => finite(r.llc_mean))
    .map((r) => {
      const std = finite(r.llc_std) ? r.llc_std : 0;
      const k = `${r.step}|${r.target}`;
      const flagged = blockedAt.get(k) ?? 0;
      const blocking = [...(blockingAt.get(k) ?? new Map<string, number>())].map(([f, n]) => `${f} (${n} of ${chainsAt.get(k)} chains)`);
      const mixing = mixingOfEstimate(l.config, r);
      const why = unreadableReason({ mean: r.llc_mean, std: r.llc_std, flagged, mixing, height: heightOf(r) }); // null: readable
      const readable = why === null;
      return {
        step: r.step,
        target: r.target,
        mean: S(r.llc_mean),
        std: S(std),
        se: orNull(r.llc_se),
        lo: S(r.llc_mean - std),
        hi: S(r.llc_mean + std),
        n_ok: r.n_chains_ok,
        acceptance: S(r.acceptance_mean),
        flagged,
        flags: (flagsAt.get(k) ?? []).join('; ') || 'none',
        readable,
        reason: why === null ? 'readable' : blocking.length ? blocking.join(', ') : why,
        method: r.method,
        nbeta: orNull(r.nbeta),
        gamma: orNull(r.gamma),
        epsilon: orNull(r.epsilon),
        draws: r.draws > 0 ? r.draws : null,
        mixing: mixing === null ? null : S(mixing),
        rhat: orNull(r.rhat),
        decrement: orNull(r.decrement),
        tilt: r.tilt,
        relaxed: r.relaxed,
      };
    });
  const norms: LlcModel['norms'] = [];
  const seen = new Set<number>();
  for (const r of l.estimates) {
    if (seen.has(r.step)) continue;
    seen.add(r.step);
    for (const [tensor, norm] of Object.entries(r.norms)) if (finite(norm) && norm > 0) norms.push({ step: r.step, tensor, norm: S(norm) });
  }
  // traces: at every checkpoint (100 points per chain) when `allTraces`, else the last one only
  // (200 points per chain at the last checkpoint), to keep the page small
  const lastStep = Math.max(...l.traces.map((t) => t.step));
  const traces: LlcModel['traces'] = [];
  for (const t of l.traces) {
    if (!allTraces && t.step !== lastStep) continue;
    const init = l.estimates.find((r) => r.step === t.step && r.target === t.target)?.init_loss ?? 0;
    const every = Math.max(1, Math.ceil(t.loss.length / (t.step === lastStep ? 200 : 100)));
    for (let d = 0; d < t.loss.length; d += every) {
      const above = t.loss[d] - (finite(t.baseline[d]) ? t.baseline[d] : init);
      if (finite(above)) traces.push({ step: t.step, target: t.target, chain: `chain ${t.chain}`, draw: d * t.thin, loss: S(above), running: orNull(t.running_llc[d]) });
    }
  }
  const notFinite = l.estimates.filter((r) => !finite(r.llc_mean)).map((r) => ({ step: r.step, target: r.target }));
  return { config: l.config, rows, norms, traces, not_finite: notFinite, flagged_chains: l.chains.filter((c) => blocksReading(c.flags)).length, total_chains: l.chains.length };
}

function circuitsModel(e: LoadedExperiment, cfg: ReportConfig, withHeatmap: boolean): CircuitsModel | null {
  const c = e.circuits;
  if (!c) return null;
  const heatmap = withHeatmap ? heatmapData(c.matrices, { max_frames: cfg.max_heatmap_checkpoints, digits: cfg.significant_digits }) : null;
  const heatmapNote = withHeatmap
    ? heatmap
      ? null
      : 'No QK/OV matrices in the circuits artifacts'
    : `Heatmaps omitted: only the first ${cfg.max_heatmap_experiments} experiment(s) of the report get them (report option max_heatmap_experiments), to keep the page small`;
  return {
    convention: c.convention,
    specialisation_convention: c.specialisation_convention,
    measures: c.measures
      .filter((r) => r.circuit === 'QK' || r.circuit === 'OV')
      .map((r) => ({ step: r.step, head: headName(r.layer, r.head), circuit: r.circuit, t_norm: orNull(r.all.t_norm), t_std_norm: orNull(r.all.t_std_norm), ev: orNull(r.all.ev), ev_z: orNull(r.all.ev_z), ev_p: orNull(r.all.ev_p) })),
    specialisation: c.specialisation.map((r) => ({ step: r.step, head: headName(r.layer, r.head), regions: r.regions, n_copied: r.n_copied, ablation: orNull(r.ablation_loss_increase), copy_suppression: orNull(r.copy_suppression), overlap: meanOverlap(r.overlap, r.head) })),
    attention: c.attention.filter((r) => finite(r.mean)).map((r) => ({ step: r.step, head: headName(r.layer, r.head), mean: S(r.mean) })),
    heatmap,
    heatmap_note: heatmapNote,
  };
}

/** An LLC estimate the stage fit can read, by the llc stage's rule (llc readable.ts): no chain flagged, a finite λ̂ > 0, chains that agree and had relaxed. */
export { readableEstimate };

/**
 * Stage boundaries from the LLC of the target `all`, fitted only through the estimates that can be
 * read (readableEstimate): a flagged chain, a λ̂ ≤ 0, or chains that disagree or had not relaxed mean
 * the sampler did not measure the basin, and such points would bend the fitted trend. The note says how many were left out.
 */
export function stagesOf(llc: Pick<LlcModel, 'rows' | 'not_finite'> | null, cfg: Pick<ReportConfig, 'changepoints'>): { stages: ChangepointResult | null; note: string; fit: string | null } {
  if (!llc) return { stages: null, note: 'no LLC estimates: stage boundaries (where the LLC trend changes) cannot be marked', fit: null };
  const all = llc.rows.filter((r) => r.target === 'all').sort((a, b) => a.step - b.step);
  const total = all.length + llc.not_finite.filter((r) => r.target === 'all').length;
  if (total === 0) return { stages: null, note: "no LLC estimates for the target 'all': stage boundaries cannot be marked", fit: null };
  const used = all.filter(readableEstimate);
  const left = total - used.length;
  const fit = left === 0 ? `fitted through all ${total} estimates` : `fitted through ${used.length} of ${total} estimates; ${left} unreadable left out (a chain flagged, λ̂ ≤ 0, chains disagreeing or not relaxed)`;
  const stages = detectStages(used.map((r) => r.step), used.map((r) => r.mean), cfg.changepoints);
  const b = stages.boundaries;
  const found =
    stages.note ??
    (b.length === 0
      ? 'no stage boundary: one linear trend in LLC vs log(1 + step) fits best'
      : `${b.length} stage boundar${b.length === 1 ? 'y' : 'ies'} (dashed lines): ${b.map((x) => `between steps ${x.step_before} and ${x.step_after}`).join('; ')}`);
  return { stages, note: `${found} (${fit})`, fit };
}

function facts(e: LoadedExperiment): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  const d = e.dataset;
  if (d) {
    const n = d.config.noise as { kind: string; p?: number; k?: number; side?: string };
    out.push({ label: 'data', value: `${d.config.n_train.toLocaleString('en-US')} training lists of ${d.vocab.n} numbers from ${d.vocab.min_number}..${d.vocab.max_number}` });
    out.push({ label: 'noise', value: n.kind === 'none' ? 'none (clean)' : `${n.kind}${n.p !== undefined ? ` p = ${n.p}` : ''}${n.k !== undefined ? `, k = ${n.k}` : ''}${n.side ? `, ${n.side} side` : ''} (${(100 * d.noise_stats.fraction_rows_selected).toFixed(1)}% of training rows)` });
    out.push({ label: 'Bayes loss', value: d.bayes.mean === null ? `unknown (${d.bayes.note})` : `${sig(d.bayes.mean, 4)} nats/token (${d.bayes.method})` });
  }
  const m = e.train?.model ?? e.circuits?.model;
  if (m) out.push({ label: 'model', value: `${m.n_layers} layer${m.n_layers === 1 ? '' : 's'} × ${m.n_heads} heads, d_model ${m.d_model}, d_head ${m.d_head}, d_vocab ${m.d_vocab}` });
  if (e.train?.total_steps) out.push({ label: 'training', value: `${e.train.total_steps.toLocaleString('en-US')} steps, ${e.train.checkpoints.step.length} checkpoints` });
  return out;
}

/** The model of one experiment (`heatmap`: build its heatmap data and keep the SGLD traces of every checkpoint; default true). */
export function experimentModel(e: LoadedExperiment, cfg: ReportConfig, opts: { heatmap?: boolean } = {}): ExperimentModel {
  const training = e.train ? trainingModel(e.train, e.dataset) : null;
  const llc = e.llc ? llcModel(e.llc, opts.heatmap ?? true) : null;
  const { stages, note, fit } = stagesOf(llc, cfg);
  const circuits = circuitsModel(e, cfg, opts.heatmap ?? true);
  const sources = Object.fromEntries((['dataset', 'train', 'circuits', 'llc'] as const).flatMap((s) => (e[s] ? [[s, e[s]!.source]] : [])));
  const model = { name: e.name, slug: slug(e.name), description: e.description, facts: facts(e), sources, missing: e.missing, notes: e.notes, training, llc, stages, stages_note: note, stages_fit: fit, circuits };
  return { ...model, summary: summaryRow(e, model) };
}


/**
 * The whole report: every experiment and the summary table (experiment names must be distinct);
 * heatmaps and the SGLD traces of every checkpoint for the first `max_heatmap_experiments`
 * experiments (the others: the last checkpoint's traces).
 */
export function buildReportModel(loaded: LoadedExperiment[], cfg: ReportConfig, diagnoses: DiagnosisModel[] = []): StudyModel {
  const experiments = loaded.map((e, i) => experimentModel(e, cfg, { heatmap: i < cfg.max_heatmap_experiments }));
  const slugs = new Map<string, string>();
  for (const e of experiments) {
    const prev = slugs.get(e.slug);
    if (prev !== undefined) throw new RangeError(`report: experiments '${prev}' and '${e.name}' both map to the folder name '${e.slug}'; rename one`);
    slugs.set(e.slug, e.name);
  }
  return { title: cfg.title, convention: cfg.convention, experiments, summary: experiments.map((e) => e.summary), diagnoses };
}
