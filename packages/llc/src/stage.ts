/**
 * The llc stage's declaration and I/O wrapper: LLC estimates at the selected checkpoints of a
 * training run (resumable: each finished checkpoint is saved in partial/, sealed (core/sealed.ts), and skipped on a rerun when its seal matches),
 * or of a single weights file (`llcOfWeights`, for `sortscope llc --weights FILE --json`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkSealed, ConfigError, hashJson, log, PARTIAL, Progress, removeSealed, writeFileAtomic, writeSealed } from '@sortscope/core';
import { readSplit, splitFile } from '@sortscope/dataset';
import { checkpointParams, readCheckpoints, TRAIN_FILES } from '@sortscope/train';
import { engineName } from '@sortscope/engine';
import { loadWeights } from '@sortscope/model';
import { trainingData } from './data.ts';
import { flaggedChains, flagList } from './diagnostics.ts';
import { lengthensBurnin, mixingOfEstimate } from './mixing.ts';
import { relaxHeight, unreadableReason } from './readable.ts';
import type { LlcEstimate } from './estimate.ts';
import { type EstimateRow, tensorNorms, writeChains, writeEstimates, writeTraces } from './io.ts';
import { LlcRunner, nanReport, warnings } from './run.ts';
import { estimatorOptions, type LlcConfig, LlcConfigSchema, targetName, llcStage } from './schema.ts';
import { targetIndices } from './targets.ts';

export { llcStage };

export const LLC_FILES = { estimates: 'estimates.arrow', chains: 'chains.arrow', traces: 'traces.arrow', runInfo: 'run-info.json' } as const;

/**
 * Indices of the checkpoints to estimate: `steps` if given, else every k-th and the last; with
 * `last`, the last checkpoint too (alone: only the last).
 */
export function selectCheckpoints(steps: number[], sel: LlcConfig['checkpoints']): number[] {
  const lastIndex = steps.length - 1;
  if (sel.last && !sel.steps.length) return [lastIndex];
  if (sel.steps.length) {
    const named = sel.steps.map((s) => {
      const i = steps.indexOf(s);
      if (i < 0) throw new ConfigError(`llc.checkpoints.steps: got ${s}; expected one of the checkpoint steps ${steps.join(', ')}`);
      return i;
    });
    return sel.last && !named.includes(lastIndex) ? [...named, lastIndex] : named;
  }
  const out = steps.map((_, i) => i).filter((i) => i % sel.every === 0);
  if (out.at(-1) !== steps.length - 1) out.push(steps.length - 1);
  return out;
}

/** `± x` to `digits` decimals, or why there is no spread (one chain; nothing measured). */
export function plusMinus(x: number, digits: number, chains: number): string {
  if (Number.isFinite(x)) return `± ${x.toFixed(digits)}`;
  return chains < 2 ? '± – (one chain: no spread)' : '± – (not measured)';
}

export function describe(est: LlcEstimate): string {
  const estimateFlags = new Set(['not_converged', 'not_minimum']);
  const flags = [...new Set(est.chains.flatMap((c) => flagList(c.flags).filter((f) => estimateFlags.has(f))))];
  const chainFlags = est.chains.flatMap((c) => flagList(c.flags).filter((f) => !estimateFlags.has(f)).map((f) => `${f}@${c.chain}`));
  const s = est.sampler;
  const sampler = s ? `, ε ${s.epsilon.toPrecision(3)}, nβ ${s.nbeta.toPrecision(5)}, γ ${s.gamma}` : '';
  const cv = est.convergence;
  const conv = cv ? `, ${cv.draws} draws${est.rounds && est.rounds > 1 ? ` (${est.rounds} rounds)` : ''}, R̂ ${cv.rhat.toFixed(3)}, ESS ${cv.ess.toFixed(0)}, drift ${cv.drift.toFixed(1)} ${plusMinus(cv.drift_se, 1, est.chains.length)}${cv.trending_chains ? `, ${cv.trending_chains} chain(s) trending` : ''}` : '';
  const st = est.stationarity;
  const r = st?.relaxation;
  const relaxed = r ? `; relaxed in ${r.iterations} step${r.iterations === 1 ? '' : 's'}${r.gradient_steps ? ` (${r.gradient_steps} of them gradient steps after negative curvature)` : ''}${r.converged ? '' : ' (NOT converged)'}: U −${r.drop.toFixed(1)}, ‖w* − w0‖ ${r.distance.toPrecision(3)}, loss ${r.loss0.toFixed(4)} → ${r.loss.toFixed(4)}` : '';
  const stat = st ? `, decrement ${Number.isFinite(st.decrement) ? st.decrement.toFixed(1) : '∞'}${st.converged ? '' : '+'}${r ? relaxed : st.tilt ? ' (tilted away)' : ''}` : '';
  const all = [...flags, ...chainFlags];
  return `λ̂ = ${est.mean.toFixed(3)} ${plusMinus(Number.isFinite(est.se) ? est.se : est.std, 3, est.chains.length)}  (init loss ${est.init_loss.toFixed(4)}, acceptance ${est.acceptance_mean.toFixed(3)}${sampler}${conv}${stat}${all.length ? `, flags ${all.join(' ')}` : ''})`;
}

function settingsLine(config: LlcConfig): string {
  const o = estimatorOptions(config);
  const eps = config.epsilon ?? (config.method === 'canonical' ? `${config.epsilon_fraction} × the stability limit` : '1e-4');
  const nbeta = config.nbeta ?? (config.method === 'canonical' ? 'T·n/ln n' : 'B/ln B');
  const extra = [o.relax ? 'at the relaxed point' : '', o.tilt ? 'tilted' : '', o.control_variate ? 'control variate' : '', config.preconditioner !== 'none' ? `preconditioner ${config.preconditioner}` : '', config.noise_stream !== 'ziggurat' ? `noise ${config.noise_stream}` : ''].filter(Boolean);
  return `method ${config.method}, ε ${eps}, γ ${o.gamma}, nβ ${typeof nbeta === 'number' ? nbeta.toPrecision(5) : nbeta}, B ${config.batch_size}, burn-in ${config.burnin}${lengthensBurnin(config) ? ` (longer where needed for m ≥ ${config.min_mixing})` : ''}, draws ${o.draws}${o.max_draws > o.draws ? ` → ≤ ${o.max_draws}` : ''}${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

export interface LlcStageOptions {
  outDir: string;
  trainDir: string;
  datasetDir: string;
  quiet?: boolean;
  backend?: string;
  workers?: number;
}

type PartialRow = { step: number; target: string; estimate: LlcEstimate; norms: Record<string, number> };

export async function runLlcStage(config: LlcConfig, opts: LlcStageOptions) {
  const t0 = performance.now();
  const ck = readCheckpoints(join(opts.trainDir, TRAIN_FILES.checkpoints));
  const train = readSplit(splitFile(opts.datasetDir, 'train'));
  const chosen = selectCheckpoints(ck.steps, config.checkpoints);
  warnings(config, opts.quiet);
  for (const t of config.targets) targetIndices(t, ck.layout, ck.cfg); // refuse a bad target before anything is written
  const partial = join(opts.outDir, PARTIAL);
  const stamp = hashJson({ config, checkpoints: ck.sha256, train: train.sha256 });
  if (existsSync(partial) && (!existsSync(join(partial, 'stamp')) || readFileSync(join(partial, 'stamp'), 'utf8') !== stamp)) rmSync(partial, { recursive: true });
  mkdirSync(partial, { recursive: true });
  writeFileAtomic(join(partial, 'stamp'), stamp);
  const done = new Map<number, PartialRow[]>();
  for (const f of readdirSync(partial).filter((f) => f.endsWith('.json'))) {
    const rows = readPartial(join(partial, f), config.targets.length);
    if (typeof rows === 'string') {
      log(`llc: ${rows}; recomputing that checkpoint`, opts.quiet);
      removeSealed(join(partial, f));
    } else done.set(rows[0].step, rows);
  }
  const todo = chosen.filter((i) => !done.has(ck.steps[i]));
  const perCheckpoint = config.targets.length * config.chains * config.draws;
  log(
    `llc: ${chosen.length} checkpoints × ${config.targets.length} target(s) × ${config.chains} chains × ${config.draws} draws; ${settingsLine(config)}` +
      (done.size ? `; resuming (${done.size} checkpoints done)` : ''),
    opts.quiet,
  );
  if (todo.length) {
    const runner = await LlcRunner.start(ck.cfg, { tokens: train.tokens, rows: train.rows }, { workers: opts.workers ?? Math.min(2, config.chains * config.targets.length), backend: opts.backend });
    const progress = new Progress({ label: 'llc', total: todo.length * perCheckpoint, unit: 'draws', quiet: opts.quiet });
    try {
      for (const i of todo) {
        const step = ck.steps[i];
        const w0 = checkpointParams(ck, i);
        const ests = await runner.estimate(w0, config.targets.map((target) => ({ config, target })), progress);
        const norms = tensorNorms(ck.cfg, w0);
        const rows = ests.map((estimate, k) => ({ step, target: targetName(config.targets[k]), estimate, norms }));
        for (const r of rows) for (const c of r.estimate.chains) delete c.trace.end; // a finished chain is not continued
        writeSealed(join(partial, `${String(step).padStart(9, '0')}.json`), JSON.stringify(rows, replacer));
        done.set(step, rows);
        for (const r of rows) {
          log(`llc step ${step} ${r.target}: ${describe(r.estimate)}`, opts.quiet);
          for (const line of nanReport(`llc step ${step} ${r.target}`, r.estimate)) log(line, opts.quiet);
        }
      }
    } finally {
      await runner.close();
    }
    progress.finish();
  }
  const rows = chosen.flatMap((i) => done.get(ck.steps[i])!);
  const base = {
    stage: llcStage.name,
    stageVersion: llcStage.version,
    config,
    seed: config.seed,
    inputs: { checkpoints: ck.sha256, train: train.sha256 },
    extra: { engine: await engineName(ck.cfg, { backend: opts.backend }), steps: chosen.map((i) => ck.steps[i]), model: ck.cfg },
  };
  const files = { estimates: join(opts.outDir, LLC_FILES.estimates), chains: join(opts.outDir, LLC_FILES.chains), traces: join(opts.outDir, LLC_FILES.traces) };
  writeEstimates(files.estimates, rows, base);
  writeChains(files.chains, rows, base);
  writeTraces(files.traces, rows, base);
  const seconds = (performance.now() - t0) / 1000;
  writeFileAtomic(join(opts.outDir, LLC_FILES.runInfo), `${JSON.stringify({ seconds, checkpoints: chosen.length }, null, 2)}\n`);
  // partial/ stays until the manifest certifies the result (stage-guard removes it then)
  return { files, summary: { seconds, estimates: rows.map((r) => ({ step: r.step, target: r.target, mean: r.estimate.mean, std: r.estimate.std, acceptance: r.estimate.acceptance_mean })) } };
}

/** One checkpoint's saved rows, or why they cannot be used (truncated, edited, another step). */
function readPartial(path: string, targets: number): PartialRow[] | string {
  const unsealed = checkSealed(path);
  if (unsealed) return unsealed;
  let rows: PartialRow[];
  try {
    rows = revive(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    return `${path} is damaged (${(err as Error).message})`;
  }
  const step = Number(/(\d+)\.json$/.exec(path)?.[1]);
  const ok = Array.isArray(rows) && rows.length === targets && rows.every((r) => r && r.step === step && typeof r.target === 'string' && r.estimate && Array.isArray(r.estimate.chains) && typeof r.norms === 'object');
  return ok ? rows : `${path} does not hold ${targets} estimate(s) of step ${step}`;
}

/** JSON for partial results: typed arrays and non-finite numbers survive the round trip. */
function replacer(_: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return { $f64: Array.from(v as Float64Array, (x) => (Number.isFinite(x) ? x : String(x))) };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
  return v;
}

function revive(rows: PartialRow[]): PartialRow[] {
  const fix = (v: unknown): unknown => {
    if (v && typeof v === 'object') {
      if ('$f64' in v) return Float64Array.from((v as { $f64: (number | string)[] }).$f64, Number);
      if ('$num' in v) return Number((v as { $num: string }).$num);
      for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = fix(x);
    }
    return v;
  };
  return fix(rows) as PartialRow[];
}

/** `sortscope llc --weights FILE`: the estimate for one weights file, as JSON-able data. */
export async function llcOfWeights(config: LlcConfig, opts: { weightsPath: string; dataPath?: string; quiet?: boolean; backend?: string; workers?: number }) {
  const t0 = performance.now();
  const w = loadWeights(opts.weightsPath);
  const data = trainingData(opts.dataPath, w.cfg);
  warnings(config, opts.quiet);
  log(`llc: ${opts.weightsPath} on ${data.source}; ${config.chains} chains × ${config.draws} draws; ${settingsLine(config)}`, opts.quiet);
  const runner = await LlcRunner.start(w.cfg, data, { workers: opts.workers ?? Math.min(2, config.chains), backend: opts.backend });
  const progress = new Progress({ label: 'llc', total: config.targets.length * config.chains * config.draws, unit: 'draws', quiet: opts.quiet });
  let ests: LlcEstimate[];
  try {
    ests = await runner.estimate(w.params, config.targets.map((target) => ({ config, target })), progress);
  } finally {
    await runner.close();
  }
  progress.finish();
  const seconds = (performance.now() - t0) / 1000;
  const all = ests.find((_, k) => targetName(config.targets[k]) === 'all')?.mean;
  const results = ests.map((e, k) => {
    for (const line of nanReport(targetName(config.targets[k]), e)) log(line, opts.quiet);
    log(`llc ${targetName(config.targets[k])}: ${describe(e)}`, opts.quiet);
    const mixing = mixingOfEstimate(config, { method: e.sampler?.method, epsilon: e.sampler?.epsilon ?? NaN, gamma: e.sampler?.gamma ?? NaN, draws: e.convergence?.draws ?? -1, preconditioner: e.sampler?.preconditioner });
    const r = e.stationarity?.relaxation;
    const height = relaxHeight(e.sampler?.nbeta ?? NaN, r?.loss0, r?.loss, all);
    const reason = unreadableReason({ mean: e.mean, std: e.std, flagged: flaggedChains(e.chains), mixing, height });
    return {
      target: targetName(config.targets[k]),
      mean: e.mean,
      std: e.std,
      se: e.se,
      ...(e.chains.length < 2 ? { note: 'std and se are null: one chain has no spread (run ≥ 2 chains for an error bar)' } : {}),
      per_chain: e.chains.map((c) => c.llc),
      acceptance: e.acceptance_mean,
      acceptance_per_chain: e.chains.map((c) => c.trace.acceptanceMean),
      init_loss: e.init_loss,
      mean_loss_per_chain: e.chains.map((c) => c.mean_loss),
      flags: e.chains.map((c) => flagList(c.flags)),
      nan: e.chains.filter((c) => c.trace.nan).map((c) => ({ chain: c.chain, ...c.trace.nan })),
      sampler: e.sampler,
      convergence: e.convergence,
      rounds: e.rounds,
      stationarity: e.stationarity,
      /** m = S·εγ/2 at the first draw read (mixing.ts) */
      mixing,
      /** h = nβ·(L(w0) − L(w*))/λ̂_all, the loss the relaxation removed in the whole model's λ̂ (readable.ts) */
      height,
      /** whether λ̂ can be read as a measurement of the checkpoint (readable.ts), and if not, why */
      readable: reason === null,
      reason,
    };
  });
  return { weights: opts.weightsPath, data: data.source, data_rows: data.rows, method: config.method, gamma: estimatorOptions(config).gamma, batch_size: config.batch_size, chains: config.chains, draws: config.draws, burnin: config.burnin, noise_stream: config.noise_stream, seconds, norms: tensorNorms(w.cfg, w.params), results };
}
