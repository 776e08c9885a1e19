/**
 * The llc stage runner (`sortscope llc`, which also takes `--weights FILE` for a single checkpoint),
 * `sortscope llc calibrate` and `sortscope llc diagnose`.
 */
import { join } from 'node:path';
import type { GlobalOption } from '@sortscope/core/cli-args';
import { ConfigError } from '@sortscope/core/errors';
import { type LlcConfig, LlcConfigSchema } from '@sortscope/llc/schema';
import type { LlcRunner, TrainingData } from '@sortscope/llc';
import type { Progress } from '@sortscope/core/progress';
import type { ModelConfig } from '@sortscope/model';
import { BACKEND_OPTION, type Command, ENGINE_OPTION, MAX_WORKERS, STAGE_GLOBALS, type StageParts } from './command.ts';

const WORKERS: GlobalOption = { name: 'workers', type: 'number', value: 'N', description: 'worker threads running chains [default: 2, at most the chains]', integer: { min: 1, max: MAX_WORKERS } };
const WEIGHTS: GlobalOption = { name: 'weights', type: 'string', value: 'FILE', description: 'estimate for this TransformerLens safetensors file instead of a training run (prints the result; with --json as JSON)' };
const DATA: GlobalOption = { name: 'data', type: 'string', value: 'FILE', description: 'with --weights: SGLD minibatches from this dataset split (.arrow) or raw rows (.u8) [default: a fresh default training set]' };

/** The options `llc calibrate` and `llc diagnose` share: where the result goes, and what computes it. */
function outputAndEngine(what: string, text: string): GlobalOption[] {
  return [
    { name: 'out', type: 'string', value: 'FILE', description: `also write the ${what} as JSON to FILE` },
    { name: 'json', type: 'boolean', description: `print JSON instead of ${text}` },
    { name: 'quiet', type: 'boolean', description: 'no progress or log lines on stderr' },
    WORKERS,
    ENGINE_OPTION,
    BACKEND_OPTION,
  ];
}

export const llcParts: StageParts = {
  schema: LlcConfigSchema,
  globals: [WEIGHTS, DATA, WORKERS, ENGINE_OPTION, BACKEND_OPTION],
  notes: [
    'The default estimator (method canonical) samples the canonical form of each checkpoint at nβ = n/ln n with a step size set from the curvature; method sgld is devinterp on the raw weights (docs/llc.md).',
    '`sortscope llc diagnose` checks an estimate: invariance under the model\'s symmetries, saturation in nβ, the Gaussian-sharpness baseline.',
  ],
  async runner() {
    const { llcOfWeights, llcStage, plusMinus, runLlcStage } = await import('@sortscope/llc');
    return {
      def: llcStage,
      async run(ctx) {
        const o = ctx.options;
        const common = { quiet: ctx.quiet, backend: o.backend as string | undefined, workers: o.workers as number | undefined };
        if (o.weights) {
          const summary = await llcOfWeights(ctx.config as LlcConfig, { weightsPath: String(o.weights), dataPath: o.data as string | undefined, ...common });
          if (!o.json) for (const r of summary.results) process.stdout.write(`${r.target}: llc ${r.mean.toFixed(4)} ${plusMinus(r.std, 4, r.per_chain.length)} (per chain ${r.per_chain.map((x) => x.toFixed(3)).join(' ')}), acceptance ${r.acceptance.toFixed(3)}, mixing m ${r.mixing === null ? '–' : r.mixing.toPrecision(3)}, ${r.readable ? 'readable' : `NOT READABLE: ${r.reason}`}, ${summary.seconds.toFixed(0)} s\n`);
          return { files: {}, summary };
        }
        return runLlcStage(ctx.config as LlcConfig, { outDir: ctx.outDir, trainDir: ctx.upstreamDirs.train!, datasetDir: ctx.upstreamDirs.dataset!, ...common });
      },
    };
  },
};

const list = (v: unknown, what: string): number[] | undefined => {
  if (v === undefined) return undefined;
  const xs = String(v).split(',').map(Number);
  if (xs.some((x) => !Number.isFinite(x) || x <= 0)) throw new ConfigError(`--${what}: got ${JSON.stringify(v)}; expected comma-separated positive numbers`);
  return xs;
};

/** The checkpoint a calibrate/diagnose command works on: --weights FILE, or --config [--step S]. */
async function checkpointFor(g: Record<string, unknown>, root: string, overrides: Record<string, unknown>): Promise<{ base: LlcConfig; w0: Float32Array; cfg: ModelConfig; data: TrainingData; where: string }> {
  const { configRefFromCwd, experimentKeys, loadExperiment, taskDir } = await import('@sortscope/workspace');
  const { readSplit, splitFile } = await import('@sortscope/dataset');
  const { trainingData } = await import('@sortscope/llc');
  const { checkpointParams, readCheckpoints, TRAIN_FILES } = await import('@sortscope/train');
  const { loadWeights } = await import('@sortscope/model');
  const file = g.config === undefined ? undefined : configRefFromCwd(String(g.config), root);
  const exp = loadExperiment(file, root, { stage: 'llc', values: overrides });
  const base = exp.config.llc as LlcConfig;
  if (g.weights) {
    const w = loadWeights(String(g.weights));
    return { base, w0: w.params, cfg: w.cfg, data: trainingData(g.data as string | undefined, w.cfg), where: String(g.weights) };
  }
  const keys = experimentKeys(exp.config);
  const ck = readCheckpoints(join(taskDir(root, 'train', keys.train.key), TRAIN_FILES.checkpoints));
  const step = (g.step as number | undefined) ?? ck.steps.at(-1)!;
  const i = ck.steps.indexOf(step);
  if (i < 0) throw new ConfigError(`--step: got ${step}; expected one of the checkpoint steps ${ck.steps.join(', ')}`);
  const split = readSplit(splitFile(taskDir(root, 'dataset', keys.dataset.key), 'train'));
  return { base, w0: checkpointParams(ck, i), cfg: ck.cfg, data: { tokens: split.tokens, rows: split.rows }, where: `${exp.name} step ${step}` };
}

const STEP: GlobalOption = { name: 'step', type: 'number', value: 'S', description: "with --config: the training run's checkpoint at step S [default: the last]" };

/** Run `work` on a pool of chain workers with a progress bar over `draws`; the pool is closed whatever happens. */
async function withRunner<T>(g: Record<string, unknown>, cfg: ModelConfig, data: TrainingData, bar: { label: string; draws: number; quiet: boolean }, work: (runner: LlcRunner, progress: Progress) => Promise<T>): Promise<T> {
  const { Progress } = await import('@sortscope/core');
  const { LlcRunner } = await import('@sortscope/llc');
  const runner = await LlcRunner.start(cfg, data, { workers: (g.workers as number | undefined) ?? 2, backend: g.backend as string | undefined });
  const progress = new Progress({ label: bar.label, total: bar.draws, unit: 'draws', quiet: bar.quiet });
  progress.update(0); // the rate counts from here
  let result: T;
  try {
    result = await work(runner, progress);
  } finally {
    await runner.close();
  }
  progress.finish();
  return result;
}

/** The result as JSON to --out, and as JSON (--json) or `text` on stdout. */
async function emit(g: Record<string, unknown>, result: object, text: string): Promise<void> {
  const { writeFileAtomic } = await import('@sortscope/core');
  if (g.out) writeFileAtomic(String(g.out), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(g.json ? `${JSON.stringify(result, null, 2)}\n` : `${text}\n`);
}

export const calibrateCommand: Command = {
  spec: {
    name: 'llc calibrate',
    summary: 'Sweep the SGLD step × localization γ (× nβ) on one checkpoint; report the LLC surface, its invariance under the model\'s symmetries, and a recommendation.',
    section: { name: 'llc', schema: LlcConfigSchema },
    globals: [
      STAGE_GLOBALS[0],
      STEP,
      WEIGHTS,
      DATA,
      { name: 'epsilons', type: 'string', value: 'LIST', description: 'step sizes to try [default: method sgld → 1e-6,1e-5,1e-4,1e-3; method canonical → fractions of the stability limit, see --fractions]' },
      { name: 'fractions', type: 'string', value: 'LIST', description: 'method canonical: fractions of the drift-stability limit 4/(nβ·λ_max + γ) to try [default: 0.03,0.1,0.3]' },
      { name: 'gammas', type: 'string', value: 'LIST', description: 'localizations to try [default: 3000,10000,30000 (canonical); 100,1000,10000 (sgld)]' },
      { name: 'nbetas', type: 'string', value: 'LIST', description: "inverse temperatures to try [default: the config's nβ, or the method's rule]" },
      { name: 'no-invariance', type: 'boolean', description: 'skip the invariance check (4 more estimates per setting)' },
      ...outputAndEngine('calibration', 'the table'),
    ],
    notes: ['Short chains are usual here, e.g. --chains 2 --draws 100 --burnin 50. The base settings (method, batch size, chains, draws, seed) come from the llc section and flags.'],
  },
  async run(args, root) {
    const g = args.globals;
    const quiet = Boolean(g.quiet);
    const { base, w0, cfg, data, where } = await checkpointFor(g, root, args.overrides);
    const { log } = await import('@sortscope/core');
    const { calibrate, calibrationTable, invarianceImages } = await import('@sortscope/llc');
    const canonical = base.method === 'canonical';
    const eps = list(g.epsilons, 'epsilons');
    const grid = {
      steps: eps ?? (canonical ? (list(g.fractions, 'fractions') ?? [0.03, 0.1, 0.3]) : [1e-6, 1e-5, 1e-4, 1e-3]),
      stepAxis: (eps || !canonical ? 'epsilon' : 'fraction') as 'epsilon' | 'fraction',
      gammas: list(g.gammas, 'gammas') ?? (canonical ? [3000, 10000, 30000] : [100, 1000, 10000]),
      nbetas: list(g.nbetas, 'nbetas') ?? [base.nbeta],
    };
    const invariance = !g['no-invariance'];
    const points = grid.steps.length * grid.gammas.length * grid.nbetas.length;
    const images = 1 + invarianceImages(cfg, invariance);
    log(`llc calibrate: ${where}; method ${base.method}; ${points} settings × ${images} (checkpoint${invariance ? ` and ${images - 1} symmetric images` : ''}) × ${base.chains} chains × ${base.draws} draws, B ${base.batch_size}`, quiet);
    const t0 = performance.now();
    const cal = await withRunner(g, cfg, data, { label: 'calibrate', draws: points * images * base.chains * base.draws, quiet }, (runner, progress) => calibrate(runner, cfg, w0, base, grid, { invariance, progress }));
    const result = { where, method: base.method, batch_size: base.batch_size, chains: base.chains, draws: base.draws, burnin: base.burnin, seconds: (performance.now() - t0) / 1000, ...cal };
    await emit(g, result, calibrationTable(cal));
    return 0;
  },
};

export const diagnoseCommand: Command = {
  spec: {
    name: 'llc diagnose',
    summary: 'Check an LLC estimate on one checkpoint: stationarity, convergence, invariance under the model\'s symmetries, curvature; with --sweep, λ̂ against γ, ε, nβ and chain length, and each head against the whole model.',
    section: { name: 'llc', schema: LlcConfigSchema },
    globals: [
      STAGE_GLOBALS[0],
      STEP,
      WEIGHTS,
      DATA,
      { name: 'sweep', type: 'boolean', description: 'also sweep γ (×¼ … ×4), the step (0.025 … 0.2 of the stability limit), nβ (×0.3, ×1, ×3 at fixed γ and at fixed γ/nβ) and the chain length (×1, ×2, ×4, fixed), and estimate each head restricted' },
      { name: 'only', type: 'string', value: 'LIST', description: 'with --sweep: only these parts of it, comma-separated, of gamma, epsilon, nbeta, length, heads (e.g. --only length,gamma)' },
      { name: 'no-invariance', type: 'boolean', description: 'skip the estimates on the symmetric images (one per symmetry of the model)' },
      ...outputAndEngine('diagnosis', 'text'),
    ],
    notes: ['Runs 1 + (one per symmetry of the model, about 10) estimates at the llc settings, and with --sweep about 20 more, each lengthened until it converges: on the ARENA checkpoint about 15 min, and 30–60 min with --sweep, on 2 cores.'],
  },
  async run(args, root) {
    const g = args.globals;
    const quiet = Boolean(g.quiet);
    const { base, w0, cfg, data, where } = await checkpointFor(g, root, args.overrides);
    const { log } = await import('@sortscope/core');
    const { diagnose, diagnoseEstimates, diagnosisText, parseSweepParts } = await import('@sortscope/llc');
    const t0 = performance.now();
    if (g.only !== undefined && !g.sweep) throw new ConfigError('--only chooses parts of --sweep: give --sweep too');
    const sweep = g.only !== undefined ? parseSweepParts(String(g.only)) : Boolean(g.sweep);
    const invariance = !g['no-invariance'];
    const n = diagnoseEstimates(cfg, base, { sweep, invariance });
    log(`llc diagnose: ${where}; method ${base.method}; ${n.estimates} estimates × ${base.chains} chains × ≥ ${base.draws} draws, B ${base.batch_size}`, quiet);
    const d = await withRunner(g, cfg, data, { label: 'diagnose', draws: n.draws, quiet }, (runner, progress) =>
      diagnose(runner, cfg, w0, data, base, { progress, sweep, invariance, backend: g.backend as string | undefined }),
    );
    const result = { where, data_rows: data.rows, batch_size: base.batch_size, chains: base.chains, draws: base.draws, burnin: base.burnin, seconds: (performance.now() - t0) / 1000, ...d };
    await emit(g, result, `${where}\n${diagnosisText(d)}`);
    return 0;
  },
};
