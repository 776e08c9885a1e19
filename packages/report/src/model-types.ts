/**
 * The shapes of the report's model (model.ts builds them, summary.ts its summary rows); in a
 * module of their own so that model.ts and summary.ts do not import each other.
 */
import type { ChangepointResult } from './changepoints.ts';
import type { HeatmapData } from './heatmap-data.ts';
import type { DiagnosisModel } from './load-diagnoses.ts';
import type { LoadedLlc, MissingStage } from './load.ts';

export interface TrainingModel {
  /** minibatch loss every log_every steps, and each evaluation set's loss at the checkpoints */
  loss: { step: number; series: string; loss: number }[];
  accuracy: { step: number; series: string; metric: 'token' | 'sequence'; accuracy: number }[];
  /** the Bayes (best achievable) loss of the training data, nats per token; null when unknown */
  bayes_mean: number | null;
  bayes_note: string;
  last_step: number;
}

export interface LlcModel {
  config: LoadedLlc['config'];
  rows: { step: number; target: string; mean: number; std: number; se: number | null; lo: number; hi: number; n_ok: number; acceptance: number; flagged: number; flags: string; readable: boolean; reason: string; method: string; nbeta: number | null; gamma: number | null; epsilon: number | null; draws: number | null; mixing: number | null; rhat: number | null; decrement: number | null; tilt: boolean; relaxed: boolean }[];
  /** per chain and (thinned) draw at each estimated checkpoint whose traces the report keeps
   *  (model.ts traceSteps): the draw's loss above L(w0) (on its own minibatch with the control
   *  variate) and the running λ̂ */
  traces: { step: number; target: string; chain: string; draw: number; loss: number; running: number | null }[];
  /** L2 norm of each tensor of the checkpoint as trained, one row per step × tensor */
  norms: { step: number; tensor: string; norm: number }[];
  /** estimates without a finite λ̂ (left out of the rows and the charts) */
  not_finite: { step: number; target: string }[];
  flagged_chains: number;
  total_chains: number;
}

export interface CircuitsModel {
  convention: string;
  specialisation_convention: string;
  measures: { step: number; head: string; circuit: string; t_norm: number | null; t_std_norm: number | null; ev: number | null; ev_z: number | null; ev_p: number | null }[];
  specialisation: { step: number; head: string; regions: number; n_copied: number; ablation: number | null; copy_suppression: number | null; overlap: number | null }[];
  attention: { step: number; head: string; mean: number }[];
  heatmap: HeatmapData | null;
  /** why there is no heatmap although there are circuits */
  heatmap_note: string | null;
}

export interface ExperimentModel {
  name: string;
  /** folder and HTML id */
  slug: string;
  description: string;
  facts: { label: string; value: string }[];
  sources: Record<string, string>;
  missing: MissingStage[];
  notes: string[];
  training: TrainingModel | null;
  llc: LlcModel | null;
  /** stage boundaries from the `all` target's LLC; null without LLC */
  stages: ChangepointResult | null;
  stages_note: string;
  /** which LLC estimates the stage fit used ('fitted through 12 of 17 estimates; …'); null without LLC */
  stages_fit: string | null;
  circuits: CircuitsModel | null;
  summary: SummaryRow;
}

export interface StudyModel {
  title: string;
  convention: string;
  experiments: ExperimentModel[];
  summary: SummaryRow[];
  /** the estimator checks named in the options (load-diagnoses.ts) */
  diagnoses: DiagnosisModel[];
}

export interface HeadSummary {
  regions: number;
  n_copied: number;
  ablation_loss_increase: number | null;
  qk_t_norm: number | null;
  qk_ev_z: number | null;
  ov_t_norm: number | null;
  ov_ev_z: number | null;
}

export interface SummaryRow {
  experiment: string;
  description: string;
  noise: string | null;
  final_step: number | null;
  clean_token_accuracy: number | null;
  clean_sequence_accuracy: number | null;
  clean_loss: number | null;
  clean_accuracy_source: string | null;
  train_loss: number | null;
  bayes_loss: number | null;
  train_loss_above_bayes: number | null;
  llc: { step: number; mean: number; std: number; flagged_chains: number; chains: number } | null;
  stage_boundaries: { step_before: number; step_after: number }[] | null;
  circuits_step: number | null;
  convention: string | null;
  heads: Record<string, HeadSummary>;
  missing: string[];
}
