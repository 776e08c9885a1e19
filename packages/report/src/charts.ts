/**
 * Which charts the report has: per experiment and across experiments, each with its file name
 * under figures/, a caption, and either a spec or the reason it cannot be drawn (a missing stage).
 */
import { maxStepOf, type VlSpec } from './chart-common.ts';
import { ablationSpec, attentionSpec, measuresSpec, overlapSpec, regionsSpec } from './chart-circuits.ts';
import { heatmapSpec } from './chart-heatmap.ts';
import { DIAGNOSE_SWEEPS, diagnoseSpec } from './chart-diagnose.ts';
import { acceptanceSpec, llcSpec, normsSpec, tracesSpec } from './chart-llc.ts';
import { studyAccuracySpec, studyLlcSpec, studyLossSpec } from './chart-study.ts';
import { accuracySpec, lossSpec } from './chart-training.ts';
import type { ExperimentModel, StudyModel } from './model.ts';

export interface ChartEntry {
  /** HTML id of the chart's container (unique in the page) */
  id: string;
  /** folder under figures/ ('study' or the experiment's slug) and file stem */
  folder: string;
  file: string;
  title: string;
  caption: string;
  /** null when the chart cannot be drawn; `missing` says why */
  spec: VlSpec | null;
  /** the spec of the static figure when it differs from the page's (no slider, no tooltips) */
  still?: VlSpec;
  missing: string | null;
  /** the circuits-developing view: its frames' steps (for the Play button) */
  frames?: number[];
}

function missingText(e: ExperimentModel, stage: string): string {
  const m = e.missing.find((x) => x.stage === stage);
  return m ? `No ${stage} artifacts: ${m.reason}` : `No ${stage} data`;
}

/** The last step any time axis of the experiment shows. */
export function experimentMaxStep(e: ExperimentModel): number {
  return Math.max(e.training?.last_step ?? 0, maxStepOf(e.llc?.rows ?? [], e.circuits?.measures ?? [], e.circuits?.specialisation ?? []));
}

export function experimentCharts(e: ExperimentModel): ChartEntry[] {
  const b = e.stages?.boundaries ?? null;
  const maxStep = experimentMaxStep(e);
  const entry = (file: string, title: string, caption: string, spec: VlSpec | null, missing: string, extra: Partial<ChartEntry> = {}): ChartEntry => ({
    id: `${e.slug}--${file}`,
    folder: e.slug,
    file,
    title,
    caption,
    spec,
    missing: spec ? null : missing,
    ...extra,
  });
  const { training: t, llc: l, circuits: c } = e;
  const h = c?.heatmap ?? null;
  const [noTrain, noLlc, noCircuits] = ['train', 'llc', 'circuits'].map((s) => missingText(e, s));
  const hasAblation = c?.specialisation.some((r) => r.ablation !== null) ?? false;
  const subtitle = h ? [`${c!.convention} convention; ${h.steps.length} of ${h.checkpoints} checkpoints; colour: ±max |value| of each head and circuit over training, near-white = 0`] : [];
  return [
    entry('loss', 'Loss', 'Minibatch loss and each evaluation set at the checkpoints, against the Bayes loss of the training data.', t && lossSpec(t, b), noTrain),
    entry('accuracy', 'Accuracy', 'Token and sequence accuracy of each evaluation set at the checkpoints.', t && accuracySpec(t, b), noTrain),
    entry('llc', 'LLC', 'Local learning coefficient per checkpoint and target, with the SGLD settings used; only readable estimates are drawn as data, the others (a chain flagged, λ̂ ≤ 0, chains whose λ_c spread more than 20% of λ̂, or chains too short to have relaxed) as ▼ on the bottom edge, their reason on hover.', l && llcSpec(l, b, maxStep, e.stages_fit), noLlc),
    entry('llc-acceptance', 'SGLD acceptance', 'Mean MALA acceptance probability of the SGLD chains (a diagnostic of the step size).', l && acceptanceSpec(l, b, maxStep), noLlc),
    entry('llc-traces', 'SGLD traces', 'Minibatch loss above L(w0) and running λ̂ of every SGLD chain at a chosen estimated checkpoint: whether the chains settled.', l && l.traces.length ? tracesSpec(l) : null, l ? 'No traces recorded' : noLlc),
    entry('llc-norms', 'Weight norms', 'L2 norm of every tensor at the checkpoints the LLC was estimated at.', l && l.norms.length ? normsSpec(l, b, maxStep) : null, l ? 'The LLC artifacts predate per-tensor norms (rerun the llc stage)' : noLlc),
    entry('circuit-symmetry', 'Circuit symmetry', 'Translational symmetry of each head’s QK and OV circuit (per-head values fall when heads split the vocabulary; docs/circuits.md).', c && measuresSpec(c, b, maxStep), noCircuits),
    entry('regions', 'Vocabulary regions', 'Contiguous runs of tokens each head copies most.', c && regionsSpec(c, b, maxStep), noCircuits),
    entry('overlap', 'Head overlap', 'Jaccard overlap of the heads’ copy ranges: the head-overlap stage and the split.', c && c.specialisation.some((r) => r.overlap !== null) ? overlapSpec(c, b, maxStep) : null, c ? 'One head: nothing to overlap' : noCircuits),
    entry('ablation', 'Head importance', 'Loss increase when each head is mean-ablated.', c && hasAblation ? ablationSpec(c, b, maxStep) : null, c ? 'Not measured (the circuits stage ran with ablation_rows = 0)' : noCircuits),
    entry('attention', 'Attention', 'Attention each head pays to the token that should be output next.', c && c.attention.length ? attentionSpec(c, b, maxStep) : null, c ? 'Not measured (the circuits stage ran with probe_rows = 0)' : noCircuits),
    entry('circuits', 'Circuits developing', 'QK and OV circuit of every head over training: drag the slider or press Play.', h && heatmapSpec(h, { title: e.name, subtitle }), c?.heatmap_note ?? noCircuits, {
      frames: h?.steps,
      ...(h ? { still: heatmapSpec(h, { title: e.name, subtitle, interactive: false }) } : {}),
    }),
  ];
}

/** The estimator checks (llc diagnose --sweep), when the options name any. */
export function diagnoseCharts(s: StudyModel): ChartEntry[] {
  if (s.diagnoses.length === 0) return [];
  const names: Record<string, string> = { gamma: 'LLC against γ', epsilon_fraction: 'LLC against the step size', nbeta: 'LLC against nβ', length: 'LLC against chain length' };
  return DIAGNOSE_SWEEPS.map((sweep) => {
    const spec = diagnoseSpec(s.diagnoses, sweep);
    return { id: `study--diagnose-${sweep}`, folder: 'study', file: `diagnose-${sweep.replace('_', '-')}`, title: names[sweep], caption: `λ̂ of ${s.diagnoses.map((d) => d.label).join('; ')} (llc diagnose --sweep).`, spec, missing: spec ? null : 'This sweep was not run' };
  });
}

export function studyCharts(s: StudyModel): ChartEntry[] {
  const entry = (file: string, title: string, caption: string, spec: VlSpec | null): ChartEntry => ({ id: `study--${file}`, folder: 'study', file, title, caption, spec, missing: spec ? null : 'No experiment has these data' });
  return [
    entry('llc', 'LLC per experiment', 'The LLC of every experiment (target all) on one axis.', studyLlcSpec(s)),
    entry('loss', 'Loss per experiment', 'Validation and training-sample loss of every experiment, with their Bayes floors.', studyLossSpec(s)),
    entry('accuracy', 'Accuracy per experiment', 'Clean validation token accuracy of every experiment.', studyAccuracySpec(s)),
  ];
}
