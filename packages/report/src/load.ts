/**
 * Reading one experiment's artifacts for the report, with the stage packages' own readers. A
 * stage whose folder is not given, does not exist or cannot be read does not stop the report:
 * it is recorded in `missing` with the reason (the readers' errors say how to regenerate).
 *
 * Only what the report shows is kept: the dataset's metadata (its noise, Bayes loss and sizes;
 * the token rows are not decoded), the training metrics, the circuits of one convention and the
 * LLC estimates with their chains' flags. Checkpoint parameters and SGLD traces are not read.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type AttentionSummary, CIRCUITS_FILES, type Convention, type MatrixRecord, type MeasureRecord, readAttention, readMatrices, readMeasures, readSpecialisation, type SpecialisationRecord, type Stepped } from '@sortscope/circuits';
import { readArtifact, regenerateHint, verifyStageDir } from '@sortscope/core';
import { type BayesLoss, type DatasetConfig, SPLIT_KIND, SPLIT_SCHEMA_VERSION, splitFile, type Vocab } from '@sortscope/dataset';
import { LLC_FILES, readChains, readEstimates, readTraces } from '@sortscope/llc';
import { type ModelConfig } from '@sortscope/model';
import { readCheckpointMetrics, readStepMetrics, TRAIN_FILES } from '@sortscope/train';

export interface ReportExperiment {
  name: string;
  description: string;
  dirs: { dataset?: string; train?: string; circuits?: string; llc?: string };
}

export type ReportStage = keyof ReportExperiment['dirs'];
export const REPORT_STAGES: ReportStage[] = ['dataset', 'train', 'circuits', 'llc'];

export interface LoadedDataset {
  source: string;
  config: DatasetConfig;
  vocab: Vocab;
  bayes: BayesLoss;
  noise_stats: { rows_selected: number; fraction_rows_selected: number; fraction_output_tokens_changed: number };
}

export interface LoadedTrain {
  source: string;
  /** metrics-steps.arrow columns (step, epoch, lr, loss, grad_norm, weight_norm) */
  steps: Record<string, number[]>;
  /** metrics-checkpoints.arrow columns (step, epoch, <set>_loss, …; NaN where not applicable) */
  checkpoints: Record<string, number[]>;
  model: ModelConfig | null;
  bayes: BayesLoss | null;
  final_validation: { loss: number; token_accuracy: number; sequence_accuracy: number; rows: number } | null;
  total_steps: number | null;
}

export interface LoadedCircuits {
  source: string;
  model: ModelConfig;
  /** the convention shown, and the ones the artifacts hold */
  convention: Convention;
  conventions: Convention[];
  /** QK and OV of `convention` */
  matrices: Stepped<MatrixRecord>[];
  measures: Stepped<MeasureRecord>[];
  specialisation: Stepped<SpecialisationRecord>[];
  specialisation_convention: string;
  attention: Stepped<AttentionSummary>[];
}

export interface LoadedLlc {
  source: string;
  config: { method?: 'canonical' | 'sgld'; epsilon?: number; epsilon_fraction?: number; gamma?: number; nbeta?: number; batch_size: number; chains: number; draws: number; max_draws?: number; burnin: number; min_mixing?: number; steps_between_draws: number; seed: number; tilt?: boolean; preconditioner?: string };
  estimates: ReturnType<typeof readEstimates>['rows'];
  chains: ReturnType<typeof readChains>['rows'];
  /** the SGLD traces of every chain at every estimated checkpoint (devinterp's plot_trace): the
   *  loss, L(w0) on the same minibatch (NaN without the control variate), the running λ̂; `thin`
   *  draws per point */
  traces: { step: number; target: string; chain: number; thin: number; loss: Float32Array; baseline: Float32Array; running_llc: Float32Array }[];
}

export interface MissingStage {
  stage: ReportStage;
  reason: string;
  /** the folder exists but was refused (damaged, mismatched or unfinished): the report command exits 3 */
  refused?: boolean;
}

export interface LoadedExperiment {
  name: string;
  description: string;
  dataset: LoadedDataset | null;
  train: LoadedTrain | null;
  circuits: LoadedCircuits | null;
  llc: LoadedLlc | null;
  missing: MissingStage[];
  /** facts worth saying that are not failures (e.g. the convention shown is not the one asked for) */
  notes: string[];
}

/** `<stage>/<key>`: the artifact folder without the machine-specific prefix. */
export function sourceName(dir: string): string {
  return `${basename(dirname(dir))}/${basename(dir)}`;
}

const REGENERATE = regenerateHint('dataset');

function loadDataset(dir: string): LoadedDataset {
  // the split's metadata is all the report needs; readSplit would also decode 150,000 token rows
  const { meta } = readArtifact(splitFile(dir, 'train'), { kind: SPLIT_KIND, schemaVersion: SPLIT_SCHEMA_VERSION, regenerate: REGENERATE });
  return {
    source: sourceName(dir),
    config: meta.config as DatasetConfig,
    vocab: meta.extra.vocab as Vocab,
    bayes: meta.extra.bayes_loss as BayesLoss,
    noise_stats: meta.extra.noise_stats as LoadedDataset['noise_stats'],
  };
}

function loadTrain(dir: string): LoadedTrain {
  const cm = readCheckpointMetrics(join(dir, TRAIN_FILES.checkpointMetrics));
  const sm = readStepMetrics(join(dir, TRAIN_FILES.steps));
  const x = cm.meta.extra;
  return {
    source: sourceName(dir),
    steps: sm.columns,
    checkpoints: cm.columns,
    model: (x.model as ModelConfig | undefined) ?? null,
    bayes: (x.bayes_loss as BayesLoss | undefined) ?? null,
    final_validation: (x.final_validation as LoadedTrain['final_validation'] | undefined) ?? null,
    total_steps: (x.total_steps as number | undefined) ?? null,
  };
}

function loadCircuits(dir: string, want: Convention, notes: string[]): LoadedCircuits {
  const measures = readMeasures(join(dir, CIRCUITS_FILES.measures));
  const conventions = Object.keys((measures.meta.extra.conventions as Record<string, string> | undefined) ?? {}) as Convention[];
  const convention = conventions.includes(want) ? want : conventions[0];
  if (convention !== want) notes.push(`circuits: the artifacts hold the ${conventions.join(', ')} convention(s), not ${want}; showing ${convention}`);
  const matrices = readMatrices(join(dir, CIRCUITS_FILES.matrices)).records.filter((r) => r.convention === convention && (r.circuit === 'QK' || r.circuit === 'OV'));
  const spec = readSpecialisation(join(dir, CIRCUITS_FILES.specialisation));
  return {
    source: sourceName(dir),
    model: measures.meta.extra.model as ModelConfig,
    convention,
    conventions,
    matrices,
    measures: measures.records.filter((r) => r.convention === convention),
    specialisation: spec.records,
    specialisation_convention: String(spec.meta.extra.specialisation_convention ?? spec.records[0]?.convention ?? ''),
    attention: readAttention(join(dir, CIRCUITS_FILES.attention)).records,
  };
}

function loadLlc(dir: string): LoadedLlc {
  const est = readEstimates(join(dir, LLC_FILES.estimates));
  const chains = readChains(join(dir, LLC_FILES.chains));
  const traces = readTraces(join(dir, LLC_FILES.traces)).rows.map((r) => ({ step: r.step, target: r.target, chain: r.chain, thin: r.thin, loss: r.loss, baseline: r.baseline, running_llc: r.running_llc }));
  return { source: sourceName(dir), config: est.meta.config as LoadedLlc['config'], estimates: est.rows, chains: chains.rows, traces };
}

/** each stage's upstream stages: a folder is read only if it still matches the ones it was computed from */
const UPSTREAM: Record<ReportStage, ReportStage[]> = { dataset: [], train: ['dataset'], circuits: ['dataset', 'train'], llc: ['dataset', 'train'] };

/** The folder's lineage and manifest, with its upstream folders among `dirs` (throws when they do not verify). */
function verifyStage(stage: ReportStage, dir: string, dirs: ReportExperiment['dirs']): void {
  const upstreamDirs = Object.fromEntries(UPSTREAM[stage].flatMap((u) => (dirs[u] ? [[u, dirs[u]!]] : [])));
  verifyStageDir(dir, stage, { upstreamDirs, regenerate: regenerateHint(stage) });
}

function attempt<T>(stage: ReportStage, dir: string | undefined, missing: MissingStage[], load: (dir: string) => T, dirs: ReportExperiment['dirs'] = {}): T | null {
  if (dir === undefined) {
    missing.push({ stage, reason: `no ${stage} artifacts given (the stage is not part of this experiment or has not run)` });
    return null;
  }
  if (!existsSync(dir)) {
    missing.push({ stage, reason: `${sourceName(dir)} does not exist: run the ${stage} stage (npx nx run-many -t analyze)` });
    return null;
  }
  try {
    // lineage first (core/lineage.ts): a changed, copied or unfinished folder is not read
    verifyStage(stage, dir, dirs);
    return load(dir);
  } catch (err) {
    let reason = (err as Error).message;
    for (const d of [dir, ...Object.values(dirs)].filter((x): x is string => !!x).sort((a, b) => b.length - a.length)) reason = reason.split(d).join(sourceName(d));
    missing.push({ stage, reason, refused: true });
    return null;
  }
}

/**
 * The stages whose folders verify as loadExperiment checks them (lineage and manifest, upstream
 * included), without reading their files: what `findings --save` compares with a committed entry
 * before deciding to reuse it.
 */
export function verifiedStages(exp: ReportExperiment): ReportStage[] {
  return REPORT_STAGES.filter((stage) => {
    const dir = exp.dirs[stage];
    if (dir === undefined || !existsSync(dir)) return false;
    try {
      verifyStage(stage, dir, exp.dirs);
      return true;
    } catch {
      return false;
    }
  });
}

/** Read what exists of one experiment's artifacts. */
export function loadExperiment(exp: ReportExperiment, convention: Convention): LoadedExperiment {
  const missing: MissingStage[] = [];
  const notes: string[] = [];
  return {
    name: exp.name,
    description: exp.description,
    dataset: attempt('dataset', exp.dirs.dataset, missing, loadDataset, exp.dirs),
    train: attempt('train', exp.dirs.train, missing, loadTrain, exp.dirs),
    circuits: attempt('circuits', exp.dirs.circuits, missing, (d) => loadCircuits(d, convention, notes), exp.dirs),
    llc: attempt('llc', exp.dirs.llc, missing, loadLlc, exp.dirs),
    missing,
    notes,
  };
}

