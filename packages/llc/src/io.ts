/**
 * Arrow I/O of the llc stage (docs/artifacts.md):
 *   estimates.arrow  'llc/estimates' v5  one row per checkpoint × target: step, target, llc_mean,
 *                    llc_std (spread over chains), llc_se (standard error: the chains' spread and the
 *                    error of init_loss, which every chain shares), n_chains_ok, init_loss,
 *                    init_loss_se, acceptance_mean, flagged_chains (chains with a flag that blocks
 *                    reading; diagnostics.ts); the sampler used: method, nbeta, gamma, resolution
 *                    (γ/nβ), epsilon, epsilon_limit and lambda_max (null where not measured),
 *                    residual_scale, preconditioner, tilt, control_variate; stationarity: decrement
 *                    (the Newton decrement of the untilted loss at w0, in λ̂'s units), decrement_converged,
 *                    negative_curvature, gradient_norm; where the estimate was taken (relax.ts):
 *                    relaxed, relax_iterations, relax_gradient_steps (of those iterations, gradient steps after
 *                    negative curvature; llc 7), relax_drop (U(w0) − U(w*), λ̂'s units), relax_distance
 *                    (‖w* − w0‖), relax_converged, loss_checkpoint and loss_relaxed (L_n at w0 and
 *                    w*; the relax_ columns are null where not relaxed); convergence: draws (per chain), rounds, rhat,
 *                    ess, drift, drift_se, trending_chains, converged; and the L2 norm of every tensor of the checkpoint
 *                    as trained (norm:<TransformerLens name>, e.g. norm:embed.W_E)
 *   chains.arrow     'llc/chains' v3     one row per checkpoint × target × chain: llc, mean_loss,
 *                    acceptance_mean, final_distance, flag_* (bool), nan_draw, nan_step (null: none)
 *   traces.arrow     'llc/traces' v2     one row per checkpoint × target × chain: draws (the chain's
 *                    length), thin (draws per trace point), loss, baseline (L_B(w0) on the draw's
 *                    batch; NaN without the control variate), running_llc (λ̂ of the chain had it
 *                    stopped there), acceptance, distance, drift_norm, noise_norm
 *                    (FixedSizeList<float32>[length]: at most TRACE_POINTS points, block means of
 *                    `thin` draws, NaN past the chain's end)
 * Since llc 7 (estimates v5, chains v3) a value that does not apply to a row is Arrow null, not NaN,
 * false or −1 (epsilon_limit and lambda_max where not measured, the relax_ columns where not relaxed,
 * nan_draw where no NaN was met); readers here read null as NaN. A computed NaN stays NaN.
 * The resolved config (ε, γ, nβ, B, chains, draws, …), seed, engine and checkpoint steps are in
 * the metadata of every file.
 */
import {
  ArtifactError, type ArtifactMeta, regenerateHint, boolVector, fixedSizeListVector, numberVector, optionalBoolVector, optionalFloat64Vector, optionalInt32Vector, optionalStringVector, readArtifact, readFixedSizeList, readNumbers, readStrings, stringVector, tableOf, writeArtifact,
} from '@sortscope/core';
import { type ModelConfig, paramLayout } from '@sortscope/model';
import { runningLlc } from './convergence.ts';
import { flaggedChains } from './diagnostics.ts';
import type { HeightRow } from './readable.ts';
import type { LlcEstimate } from './estimate.ts';
import { increments } from './estimator.ts';

export const LLC_KINDS = {
  estimates: { kind: 'llc/estimates', schemaVersion: 5 },
  chains: { kind: 'llc/chains', schemaVersion: 3 },
  traces: { kind: 'llc/traces', schemaVersion: 2 },
} as const;

/** the most points a trace keeps per chain (longer chains are stored as block means) */
export const TRACE_POINTS = 2000;

export interface EstimateRow {
  step: number;
  target: string;
  estimate: LlcEstimate;
  /** L2 norm of each tensor of the checkpoint (TransformerLens names) */
  norms: Record<string, number>;
}

/** the L2 norm of every tensor of a flat parameter vector */
export function tensorNorms(cfg: ModelConfig, params: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of paramLayout(cfg).params) {
    let s = 0;
    for (let i = p.offset; i < p.offset + p.size; i++) s += params[i] * params[i];
    out[p.name] = Math.sqrt(s);
  }
  return out;
}

type BaseMeta = Omit<ArtifactMeta, 'kind' | 'schemaVersion'>;

export function writeEstimates(path: string, rows: EstimateRow[], base: BaseMeta): string {
  const table = tableOf({
    step: numberVector(Int32Array.from(rows, (r) => r.step)),
    target: stringVector(rows.map((r) => r.target)),
    llc_mean: numberVector(Float64Array.from(rows, (r) => r.estimate.mean)),
    llc_std: numberVector(Float64Array.from(rows, (r) => r.estimate.std)),
    n_chains_ok: numberVector(Int32Array.from(rows, (r) => r.estimate.n_ok)),
    init_loss: numberVector(Float64Array.from(rows, (r) => r.estimate.init_loss)),
    init_loss_se: numberVector(Float64Array.from(rows, (r) => r.estimate.init_loss_se)),
    llc_se: numberVector(Float64Array.from(rows, (r) => r.estimate.se)),
    acceptance_mean: numberVector(Float64Array.from(rows, (r) => r.estimate.acceptance_mean)),
    flagged_chains: numberVector(Int32Array.from(rows, (r) => flaggedChains(r.estimate.chains))),
    method: optionalStringVector(rows.map((r) => r.estimate.sampler?.method)),
    nbeta: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.nbeta)),
    gamma: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.gamma)),
    resolution: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.resolution)),
    epsilon: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.epsilon)),
    epsilon_limit: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.epsilon_limit)),
    lambda_max: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.lambda_max)),
    residual_scale: optionalFloat64Vector(rows.map((r) => r.estimate.sampler?.residual_scale)),
    preconditioner: optionalStringVector(rows.map((r) => r.estimate.sampler?.preconditioner)),
    tilt: optionalBoolVector(rows.map((r) => r.estimate.sampler?.tilt)),
    control_variate: optionalBoolVector(rows.map((r) => r.estimate.sampler?.control_variate)),
    decrement: optionalFloat64Vector(rows.map((r) => r.estimate.stationarity?.decrement)),
    decrement_converged: optionalBoolVector(rows.map((r) => r.estimate.stationarity?.converged)),
    negative_curvature: optionalBoolVector(rows.map((r) => r.estimate.stationarity?.negative_curvature)),
    gradient_norm: optionalFloat64Vector(rows.map((r) => r.estimate.stationarity?.gradient_norm)),
    relaxed: boolVector(Uint8Array.from(rows, (r) => (r.estimate.stationarity?.relaxation ? 1 : 0))),
    relax_iterations: optionalInt32Vector(rows.map((r) => r.estimate.stationarity?.relaxation?.iterations)),
    relax_gradient_steps: optionalInt32Vector(rows.map((r) => r.estimate.stationarity?.relaxation?.gradient_steps)),
    relax_drop: optionalFloat64Vector(rows.map((r) => r.estimate.stationarity?.relaxation?.drop)),
    relax_distance: optionalFloat64Vector(rows.map((r) => r.estimate.stationarity?.relaxation?.distance)),
    relax_converged: optionalBoolVector(rows.map((r) => r.estimate.stationarity?.relaxation?.converged)),
    loss_checkpoint: optionalFloat64Vector(rows.map((r) => r.estimate.stationarity?.relaxation?.loss0)),
    loss_relaxed: optionalFloat64Vector(rows.map((r) => r.estimate.stationarity?.relaxation?.loss)),
    draws: optionalInt32Vector(rows.map((r) => r.estimate.convergence?.draws)),
    rounds: numberVector(Int32Array.from(rows, (r) => r.estimate.rounds ?? 1)),
    rhat: optionalFloat64Vector(rows.map((r) => r.estimate.convergence?.rhat)),
    ess: optionalFloat64Vector(rows.map((r) => r.estimate.convergence?.ess)),
    drift: optionalFloat64Vector(rows.map((r) => r.estimate.convergence?.drift)),
    drift_se: optionalFloat64Vector(rows.map((r) => r.estimate.convergence?.drift_se)),
    trending_chains: optionalInt32Vector(rows.map((r) => r.estimate.convergence?.trending_chains)),
    converged: optionalBoolVector(rows.map((r) => r.estimate.convergence?.stable)),
    ...Object.fromEntries(Object.keys(rows[0]?.norms ?? {}).map((name) => [`norm:${name}`, numberVector(Float64Array.from(rows, (r) => r.norms[name]))])),
  });
  return writeArtifact(path, table, { ...base, ...LLC_KINDS.estimates });
}

function chainRows(rows: EstimateRow[]) {
  return rows.flatMap((r) => r.estimate.chains.map((c) => ({ step: r.step, target: r.target, init: r.estimate.init_loss, c })));
}

export function writeChains(path: string, rows: EstimateRow[], base: BaseMeta): string {
  const cr = chainRows(rows);
  const flag = (k: keyof (typeof cr)[number]['c']['flags']) => boolVector(Uint8Array.from(cr, (x) => (x.c.flags[k] ? 1 : 0)));
  const table = tableOf({
    step: numberVector(Int32Array.from(cr, (x) => x.step)),
    target: stringVector(cr.map((x) => x.target)),
    chain: numberVector(Int32Array.from(cr, (x) => x.c.chain)),
    llc: numberVector(Float64Array.from(cr, (x) => x.c.llc)),
    mean_loss: numberVector(Float64Array.from(cr, (x) => x.c.mean_loss)),
    init_loss: numberVector(Float64Array.from(cr, (x) => x.init)),
    acceptance_mean: numberVector(Float64Array.from(cr, (x) => x.c.trace.acceptanceMean)),
    final_distance: numberVector(Float64Array.from(cr, (x) => lastFinite(x.c.trace.distance))),
    flag_negative: flag('negative'),
    flag_not_flat: flag('not_flat'),
    flag_left_basin: flag('left_basin'),
    flag_acceptance_low: flag('acceptance_low'),
    flag_acceptance_high: flag('acceptance_high'),
    flag_nan: flag('nan'),
    flag_not_converged: flag('not_converged'),
    flag_not_minimum: flag('not_minimum'),
    nan_draw: optionalInt32Vector(cr.map((x) => x.c.trace.nan?.draw)),
    nan_step: optionalInt32Vector(cr.map((x) => x.c.trace.nan?.step)),
  });
  return writeArtifact(path, table, { ...base, ...LLC_KINDS.chains });
}

/** `x` as at most `points` block means of `thin` values each, padded with NaN to `points`. */
function thinned(x: Float64Array, thin: number, points: number): Float64Array {
  const out = new Float64Array(points).fill(NaN);
  for (let j = 0; j * thin < x.length && j < points; j++) {
    let s = 0;
    const end = Math.min(x.length, (j + 1) * thin);
    for (let d = j * thin; d < end; d++) s += x[d];
    out[j] = s / (end - j * thin);
  }
  return out;
}

export function writeTraces(path: string, rows: EstimateRow[], base: BaseMeta): string {
  const cr = chainRows(rows);
  const draws = cr.map((x) => x.c.trace.loss.length);
  const thin = draws.map((n) => Math.max(1, Math.ceil(n / TRACE_POINTS)));
  const points = Math.max(1, ...draws.map((n, i) => Math.ceil(n / thin[i])));
  const nbeta = (x: (typeof cr)[number]) => rows.find((r) => r.step === x.step && r.target === x.target)!.estimate.sampler?.nbeta ?? NaN;
  const list = (f: (x: (typeof cr)[number]) => Float64Array, reduce: 'mean' | 'last' = 'mean') =>
    fixedSizeListVector(
      Float32Array.from(
        cr.flatMap((x, i) => {
          const v = f(x);
          if (reduce === 'mean') return Array.from(thinned(v, thin[i], points));
          const out = new Float64Array(points).fill(NaN);
          for (let j = 0; j < points && j * thin[i] < v.length; j++) out[j] = v[Math.min(v.length, (j + 1) * thin[i]) - 1];
          return Array.from(out);
        }),
      ),
      points,
    );
  const table = tableOf({
    step: numberVector(Int32Array.from(cr, (x) => x.step)),
    target: stringVector(cr.map((x) => x.target)),
    chain: numberVector(Int32Array.from(cr, (x) => x.c.chain)),
    draws: numberVector(Int32Array.from(draws)),
    thin: numberVector(Int32Array.from(thin)),
    loss: list((x) => x.c.trace.loss),
    baseline: list((x) => x.c.trace.baseline ?? new Float64Array(x.c.trace.loss.length).fill(NaN)),
    running_llc: list((x) => runningLlc(increments(x.c.trace, x.init), nbeta(x)), 'last'),
    acceptance: list((x) => x.c.trace.acceptance),
    distance: list((x) => x.c.trace.distance),
    drift_norm: list((x) => x.c.trace.driftNorm),
    noise_norm: list((x) => x.c.trace.noiseNorm),
  });
  return writeArtifact(path, table, { ...base, ...LLC_KINDS.traces });
}

function lastFinite(a: Float64Array): number {
  for (let i = a.length - 1; i >= 0; i--) if (Number.isFinite(a[i])) return a[i];
  return NaN;
}

const REGENERATE = regenerateHint('llc');

export function readEstimates(path: string) {
  const { table, meta } = readArtifact(path, { ...LLC_KINDS.estimates, regenerate: REGENERATE });
  const col = (n: string) => readNumbers(table, n);
  const [step, mean, std, ok, init, acc, flagged] = ['step', 'llc_mean', 'llc_std', 'n_chains_ok', 'init_loss', 'acceptance_mean', 'flagged_chains'].map(col);
  const [nbeta, epsilon, epsLimit, lambdaMax, scale, initSe, se] = ['nbeta', 'epsilon', 'epsilon_limit', 'lambda_max', 'residual_scale', 'init_loss_se', 'llc_se'].map(col);
  const [gamma, resolution, decrement, gradNorm, draws, rounds, rhat, ess, drift, driftSe, trendingChains] = ['gamma', 'resolution', 'decrement', 'gradient_norm', 'draws', 'rounds', 'rhat', 'ess', 'drift', 'drift_se', 'trending_chains'].map(col);
  const [tilt, cv, decConverged, negCurv, converged, relaxed, relaxConverged] = ['tilt', 'control_variate', 'decrement_converged', 'negative_curvature', 'converged', 'relaxed', 'relax_converged'].map(col);
  const [relaxIterations, relaxGradientSteps, relaxDrop, relaxDistance, lossCheckpoint, lossRelaxed] = ['relax_iterations', 'relax_gradient_steps', 'relax_drop', 'relax_distance', 'loss_checkpoint', 'loss_relaxed'].map(col);
  const method = readStrings(table, 'method');
  const preconditioner = readStrings(table, 'preconditioner');
  const normCols = table.schema.fields.map((f) => f.name).filter((n) => n.startsWith('norm:'));
  const normValues = normCols.map(col);
  const rows = readStrings(table, 'target').map((target, i) => ({
    step: step[i],
    target,
    llc_mean: mean[i],
    llc_std: std[i],
    n_chains_ok: ok[i],
    init_loss: init[i],
    init_loss_se: initSe[i],
    llc_se: se[i],
    acceptance_mean: acc[i],
    flagged_chains: flagged[i],
    method: method[i],
    nbeta: nbeta[i],
    epsilon: epsilon[i],
    epsilon_limit: epsLimit[i],
    lambda_max: lambdaMax[i],
    residual_scale: scale[i],
    gamma: gamma[i],
    resolution: resolution[i],
    preconditioner: preconditioner[i],
    tilt: tilt[i] === 1,
    control_variate: cv[i] === 1,
    decrement: decrement[i],
    decrement_converged: decConverged[i] === 1,
    negative_curvature: negCurv[i] === 1,
    gradient_norm: gradNorm[i],
    relaxed: relaxed[i] === 1,
    relax_iterations: relaxIterations[i],
    relax_gradient_steps: relaxGradientSteps[i],
    relax_drop: relaxDrop[i],
    relax_distance: relaxDistance[i],
    relax_converged: relaxConverged[i] === 1,
    loss_checkpoint: lossCheckpoint[i],
    loss_relaxed: lossRelaxed[i],
    draws: draws[i],
    rounds: rounds[i],
    rhat: rhat[i],
    ess: ess[i],
    drift: drift[i],
    drift_se: driftSe[i],
    trending_chains: trendingChains[i],
    converged: converged[i] === 1,
    norms: Object.fromEntries(normCols.map((n, k) => [n.slice('norm:'.length), normValues[k][i]])),
  }));
  return { meta, rows };
}

export function readChains(path: string) {
  const { table, meta } = readArtifact(path, { ...LLC_KINDS.chains, regenerate: REGENERATE });
  const num = (n: string) => readNumbers(table, n);
  const [step, chain, llc, meanLoss, init, acc, dist, nanDraw, nanStep] = ['step', 'chain', 'llc', 'mean_loss', 'init_loss', 'acceptance_mean', 'final_distance', 'nan_draw', 'nan_step'].map(num);
  const flagNames = ['negative', 'not_flat', 'left_basin', 'acceptance_low', 'acceptance_high', 'nan', 'not_converged', 'not_minimum'] as const;
  const flags = flagNames.map((f) => num(`flag_${f}`));
  const rows = readStrings(table, 'target').map((target, i) => ({
    step: step[i],
    target,
    chain: chain[i],
    llc: llc[i],
    mean_loss: meanLoss[i],
    init_loss: init[i],
    acceptance_mean: acc[i],
    final_distance: dist[i],
    flags: flagNames.filter((_, k) => flags[k][i] === 1),
    nan_draw: nanDraw[i],
    nan_step: nanStep[i],
  }));
  return { meta, rows };
}

export function readTraces(path: string) {
  const { table, meta } = readArtifact(path, { ...LLC_KINDS.traces, regenerate: REGENERATE });
  const field = table.schema.fields.find((f) => f.name === 'loss');
  const points = (field?.type as { listSize?: number } | undefined)?.listSize ?? 0;
  const list = (n: string) => readFixedSizeList(table, n, points, Float32Array);
  const [loss, baseline, running, acceptance, distance, drift, noise] = ['loss', 'baseline', 'running_llc', 'acceptance', 'distance', 'drift_norm', 'noise_norm'].map(list);
  const [step, chain, draws, thin] = ['step', 'chain', 'draws', 'thin'].map((n) => readNumbers(table, n));
  const rows = readStrings(table, 'target').map((target, i) => {
    const n = Math.ceil(draws[i] / thin[i]);
    const at = (a: Float32Array) => a.subarray(i * points, i * points + n);
    return { step: step[i], target, chain: chain[i], draws: draws[i], thin: thin[i], loss: at(loss), baseline: at(baseline), running_llc: at(running), acceptance: at(acceptance), distance: at(distance), drift_norm: at(drift), noise_norm: at(noise) };
  });
  return { meta, points, rows };
}

/**
 * The columns of an estimates.arrow that the relaxation height reads (readable.ts HeightRow), from
 * this schema (v5) or the one before it (v4, llc 6–6.1, which wrote NaN where v5 writes null; both
 * read as NaN). For `findings --save`, which judges results kept from an earlier llc version by
 * their own artifacts; everything else reads only the current schema (readEstimates).
 */
export function readHeightRows(path: string): HeightRow[] {
  const expected = { ...LLC_KINDS.estimates, regenerate: REGENERATE };
  let table;
  try {
    table = readArtifact(path, expected).table;
  } catch (err) {
    if (!(err instanceof ArtifactError)) throw err;
    table = readArtifact(path, { ...expected, schemaVersion: 4 }).table;
  }
  const col = (n: string) => readNumbers(table, n);
  const [step, gamma, nbeta, mean, lossCheckpoint, lossRelaxed] = ['step', 'gamma', 'nbeta', 'llc_mean', 'loss_checkpoint', 'loss_relaxed'].map(col);
  return readStrings(table, 'target').map((target, i) => ({ step: step[i], target, gamma: gamma[i], nbeta: nbeta[i], llc_mean: mean[i], loss_checkpoint: lossCheckpoint[i], loss_relaxed: lossRelaxed[i] }));
}
