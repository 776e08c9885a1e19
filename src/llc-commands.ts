/**
 * The llc stage runner (`sortscope llc`, which also takes `--weights FILE` for a single checkpoint)
 * and `sortscope llc calibrate`.
 */
import { join } from 'node:path';
import { ConfigError, type GlobalOption, log, Progress, writeFileAtomic } from '@sortscope/core';
import { readSplit, splitFile } from '@sortscope/dataset';
import { calibrate, calibrationTable, type LlcConfig, llcOfWeights, LlcRunner, llcStage, runLlcStage, trainingData } from '@sortscope/llc';
import { checkpointParams, loadWeights, readCheckpoints, TRAIN_FILES } from '@sortscope/train';
import { loadExperiment } from './experiment.ts';
import type { Command } from './main.ts';
import { experimentKeys, taskDir } from './plan.ts';
import { BACKEND_OPTION, ENGINE_OPTION, STAGE_GLOBALS, type StageRunner } from './stage-command.ts';

const WORKERS: GlobalOption = { name: 'workers', type: 'number', value: 'N', description: 'worker threads running chains [default: 2, at most the chains]' };
const WEIGHTS: GlobalOption = { name: 'weights', type: 'string', value: 'FILE', description: 'estimate for this TransformerLens safetensors file instead of a training run (prints the result; with --json as JSON)' };
const DATA: GlobalOption = { name: 'data', type: 'string', value: 'FILE', description: 'with --weights: SGLD minibatches from this dataset split (.arrow) or raw rows (.u8) [default: a fresh default training set]' };

export const llcRunner: StageRunner = {
  def: llcStage,
  globals: [WEIGHTS, DATA, WORKERS, ENGINE_OPTION, BACKEND_OPTION],
  notes: ['The defaults (ε 1e-4, γ 100) are devinterp-typical but unhealthy for LayerNorm + weight-decay checkpoints: run `sortscope llc calibrate` first (science.md §4).'],
  async run(ctx) {
    const o = ctx.options;
    const common = { quiet: ctx.quiet, backend: o.backend as string | undefined, workers: o.workers as number | undefined };
    if (o.weights) {
      const summary = await llcOfWeights(ctx.config as LlcConfig, { weightsPath: String(o.weights), dataPath: o.data as string | undefined, ...common });
      if (!o.json) for (const r of summary.results) process.stdout.write(`${r.target}: llc ${r.mean.toFixed(4)} ± ${r.std.toFixed(4)} (per chain ${r.per_chain.map((x) => x.toFixed(3)).join(' ')}), acceptance ${r.acceptance.toFixed(3)}, ${summary.seconds.toFixed(0)} s\n`);
      return { files: {}, summary };
    }
    return runLlcStage(ctx.config as LlcConfig, { outDir: ctx.outDir, trainDir: ctx.upstreamDirs.train!, datasetDir: ctx.upstreamDirs.dataset!, ...common });
  },
};

const list = (v: unknown, what: string): number[] | undefined => {
  if (v === undefined) return undefined;
  const xs = String(v).split(',').map(Number);
  if (xs.some((x) => !Number.isFinite(x) || x <= 0)) throw new ConfigError(`--${what}: got ${JSON.stringify(v)}; expected comma-separated positive numbers`);
  return xs;
};

export const calibrateCommand: Command = {
  spec: {
    name: 'llc calibrate',
    summary: 'Sweep SGLD step size ε × localization γ (× nβ) on one checkpoint; report the LLC surface and a recommendation.',
    section: { name: 'llc', schema: llcStage.schema },
    globals: [
      STAGE_GLOBALS[0],
      { name: 'step', type: 'number', value: 'S', description: "with --config: the training run's checkpoint at step S [default: the last]" },
      WEIGHTS,
      DATA,
      { name: 'epsilons', type: 'string', value: 'LIST', description: 'step sizes to try [default: 1e-6,1e-5,1e-4,1e-3]' },
      { name: 'gammas', type: 'string', value: 'LIST', description: 'localizations to try [default: 100,1000,10000]' },
      { name: 'nbetas', type: 'string', value: 'LIST', description: "inverse temperatures to try [default: the config's nβ]" },
      { name: 'out', type: 'string', value: 'FILE', description: 'also write the calibration as JSON to FILE' },
      { name: 'json', type: 'boolean', description: 'print JSON instead of the table' },
      { name: 'quiet', type: 'boolean', description: 'no progress or log lines on stderr' },
      WORKERS,
      ENGINE_OPTION,
      BACKEND_OPTION,
    ],
    notes: ['Short chains are usual here, e.g. --chains 2 --draws 100. The base settings (batch size, chains, draws, seed) come from the llc section and flags.'],
  },
  async run(args, root) {
    const g = args.globals;
    const quiet = Boolean(g.quiet);
    const exp = loadExperiment(g.config as string | undefined, root, { stage: 'llc', values: args.overrides });
    const base = exp.config.llc;
    let w0: Float32Array;
    let cfg;
    let data;
    let where: string;
    if (g.weights) {
      const w = loadWeights(String(g.weights));
      [w0, cfg, data, where] = [w.params, w.cfg, trainingData(g.data as string | undefined, w.cfg), String(g.weights)];
    } else {
      const keys = experimentKeys(exp.config);
      const ck = readCheckpoints(join(taskDir(root, 'train', keys.train.key), TRAIN_FILES.checkpoints));
      const step = (g.step as number | undefined) ?? ck.steps.at(-1)!;
      const i = ck.steps.indexOf(step);
      if (i < 0) throw new ConfigError(`--step: got ${step}; expected one of the checkpoint steps ${ck.steps.join(', ')}`);
      const split = readSplit(splitFile(taskDir(root, 'dataset', keys.dataset.key), 'train'));
      [w0, cfg, data, where] = [checkpointParams(ck, i), ck.cfg, { tokens: split.tokens, rows: split.rows }, `${exp.name} step ${step}`];
    }
    const grid = {
      epsilons: list(g.epsilons, 'epsilons') ?? [1e-6, 1e-5, 1e-4, 1e-3],
      gammas: list(g.gammas, 'gammas') ?? [100, 1000, 10000],
      nbetas: list(g.nbetas, 'nbetas') ?? [base.nbeta],
    };
    const points = grid.epsilons.length * grid.gammas.length * grid.nbetas.length;
    log(`llc calibrate: ${where}; ${points} settings × ${base.chains} chains × ${base.draws} draws, B ${base.batch_size}`, quiet);
    const t0 = performance.now();
    const runner = await LlcRunner.start(cfg, data, { workers: (g.workers as number | undefined) ?? 2, backend: g.backend as string | undefined });
    const progress = new Progress({ label: 'calibrate', total: points * base.chains * base.draws, unit: 'draws', quiet });
    let cal;
    try {
      cal = await calibrate(runner, w0, base, grid, progress);
    } finally {
      await runner.close();
    }
    progress.finish();
    const result = { where, batch_size: base.batch_size, chains: base.chains, draws: base.draws, seconds: (performance.now() - t0) / 1000, ...cal };
    if (g.out) writeFileAtomic(String(g.out), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(g.json ? `${JSON.stringify(result, null, 2)}\n` : `${calibrationTable(cal)}\n`);
    return 0;
  },
};
