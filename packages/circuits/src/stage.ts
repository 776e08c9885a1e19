/**
 * The circuits stage's declaration and its I/O wrapper: read a training run's checkpoints and the
 * clean validation split, analyse every checkpoint (analyse.ts; on worker threads when there are
 * many, run.ts), and write matrices.arrow, measures.arrow, specialisation.arrow and attention.arrow
 * atomically (io.ts). `circuitsOfWeights` does the same for one weights file and returns JSON.
 */
import { join } from 'node:path';
import { log, Progress, ShapeError, writeFileAtomic } from '@sortscope/core';
import { readSplit, splitFile } from '@sortscope/dataset';
import { checkpointParams, readCheckpoints, TRAIN_FILES } from '@sortscope/train';
import { createEngine } from '@sortscope/engine';
import { loadWeights } from '@sortscope/model';
import { analyseCheckpoint, needsEngine, rowsUsed } from './analyse.ts';
import { CIRCUIT_NOTES } from './circuits.ts';
import { CONVENTION_NOTES } from './conventions.ts';
import { tokenSets } from './circuit-measures.ts';
import { loadProbeData } from './data.ts';
import { type BaseMeta, CIRCUITS_FILES, writeAttention, writeMatrices, writeMeasures, writeSpecialisation } from './io.ts';
import { analyseCheckpoints } from './run.ts';
import { type CircuitsConfig, CircuitsConfigSchema, circuitsStage } from './schema.ts';
import { analysisJson, headLines, jsonable } from './summary.ts';

export { circuitsStage };

export interface CircuitsStageOptions {
  outDir: string;
  trainDir: string;
  datasetDir: string;
  quiet?: boolean;
  /** tfjs backend: auto | tfjs-node | wasm */
  backend?: string;
  /** worker threads (0 = this thread) [default: 0 below 8 checkpoints, else min(cores, 4)] */
  workers?: number;
}

/** Facts recorded in every artifact's metadata besides the contract's keys. */
function extraMeta(config: CircuitsConfig, cfg: { d_vocab: number; list_length: number }, extra: Record<string, unknown>): Record<string, unknown> {
  const sets = tokenSets(cfg.d_vocab, config.edge_tokens);
  return {
    ...extra,
    conventions: Object.fromEntries(config.conventions.map((c) => [c, CONVENTION_NOTES[c]])),
    circuits: CIRCUIT_NOTES,
    token_sets: { all: [sets.all[0], sets.all.at(-1)], inner: [sets.inner[0], sets.inner.at(-1)], sep: cfg.d_vocab - 1 },
    qk_pos_measured_rows: [cfg.list_length, 2 * cfg.list_length - 1],
    null: { samples: config.null_samples, permutations: "Rng.derive(seed, 'circuits', 'null', n_tokens), shared by every matrix of that size" },
    specialisation_convention: config.specialisation.convention,
  };
}

export async function runCircuitsStage(config: CircuitsConfig, opts: CircuitsStageOptions): Promise<{ files: Record<string, string>; summary: unknown }> {
  const t0 = performance.now();
  const ck = readCheckpoints(join(opts.trainDir, TRAIN_FILES.checkpoints));
  const validation = readSplit(splitFile(opts.datasetDir, 'validation'));
  const { cfg } = ck;
  if (validation.vocab.seq_len !== cfg.n_ctx || validation.vocab.d_vocab !== cfg.d_vocab) {
    throw new ShapeError(`circuits: the validation split has sequences of ${validation.vocab.seq_len} tokens over ${validation.vocab.d_vocab} symbols; the model has n_ctx ${cfg.n_ctx}, d_vocab ${cfg.d_vocab}`);
  }
  if (ck.steps.length === 0) throw new ShapeError(`circuits: ${join(opts.trainDir, TRAIN_FILES.checkpoints)} holds no checkpoints`);
  const used = rowsUsed(config, validation.rows);
  const rows = Math.max(used.ablation_rows, used.probe_rows);
  const data = { tokens: validation.tokens.slice(0, rows * cfg.n_ctx), rows };
  const C = ck.steps.length;
  log(
    `circuits: ${C} checkpoints × ${cfg.n_layers * cfg.n_heads} heads, conventions ${config.conventions.join(', ')}; ${config.null_samples} relabelings; ` +
      `ablation on ${used.ablation_rows} and attention on ${used.probe_rows} validation sequences → ${opts.outDir}`,
    opts.quiet,
  );
  const progress = new Progress({ label: 'circuits', total: C, unit: 'checkpoints', quiet: opts.quiet });
  const params = Array.from({ length: C }, (_, i) => checkpointParams(ck, i));
  const { results, engine, workers } = await analyseCheckpoints(cfg, params, data, config, { workers: opts.workers, backend: opts.backend, progress });
  progress.finish();

  const base: BaseMeta = {
    stage: circuitsStage.name,
    stageVersion: circuitsStage.version,
    config,
    seed: config.seed,
    inputs: { checkpoints: ck.sha256, validation: validation.sha256 },
    extra: extraMeta(config, cfg, { model: cfg, steps: ck.steps, engine, rows: used }),
  };
  const stepped = <T>(pick: (i: number) => T[]) => ck.steps.flatMap((step, i) => pick(i).map((r) => ({ ...r, step })));
  const files = Object.fromEntries((['matrices', 'measures', 'specialisation', 'attention'] as const).map((k) => [k, join(opts.outDir, CIRCUITS_FILES[k])])) as Record<'matrices' | 'measures' | 'specialisation' | 'attention', string>;
  const nNum = cfg.d_vocab - 1;
  writeMatrices(files.matrices, stepped((i) => results[i].matrices), cfg.d_vocab, base);
  writeMeasures(files.measures, stepped((i) => results[i].measures), base);
  writeSpecialisation(files.specialisation, stepped((i) => results[i].specialisation), { n_num: nNum, n_heads: cfg.n_heads }, base);
  writeAttention(files.attention, stepped((i) => results[i].attention), { n: cfg.list_length, n_num: nNum }, base);

  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(join(opts.outDir, CIRCUITS_FILES.runInfo), `${JSON.stringify({ seconds, checkpoints: C, workers, engine }, null, 2)}\n`);
  const last = results[C - 1];
  log(`circuits: done in ${seconds.toFixed(1)}s (${workers || 'no'} worker threads); at step ${ck.steps[C - 1]}:\n  ${headLines(last).join('\n  ')}`, opts.quiet);
  return { files, summary: { seconds, checkpoints: C, workers, engine, rows: used, last_step: ck.steps[C - 1], last: analysisJson(last) } };
}

/** `sortscope circuits --weights FILE --json`: the analysis of one weights file, as JSON-able data. */
export async function circuitsOfWeights(config: CircuitsConfig, opts: { weightsPath: string; dataPath?: string; quiet?: boolean; backend?: string }) {
  const t0 = performance.now();
  const w = loadWeights(opts.weightsPath);
  const data = loadProbeData(opts.dataPath, w.cfg, Math.max(config.ablation_rows, config.probe_rows));
  const engine = needsEngine(config, data.rows) ? await createEngine(w.cfg, { backend: opts.backend }) : null;
  log(`circuits: ${opts.weightsPath} (${w.layout.size} parameters) on ${data.source}${engine ? `, engine ${engine.name}` : ''}`, opts.quiet);
  let analysis;
  try {
    analysis = analyseCheckpoint(engine, w.cfg, w.params, data, config);
  } finally {
    engine?.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const line of headLines(analysis)) log(`  ${line}`, opts.quiet);
  return {
    weights: opts.weightsPath,
    data: data.source,
    engine: engine?.name ?? null,
    rows: rowsUsed(config, data.rows),
    model: w.cfg,
    meta: jsonable(extraMeta(config, w.cfg, {})),
    seconds,
    ...analysisJson(analysis),
  };
}
