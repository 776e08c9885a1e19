/**
 * Arrow I/O of the llc stage (docs/artifacts.md):
 *   estimates.arrow  'llc/estimates' v2  one row per checkpoint × target: step, target, llc_mean,
 *                    llc_std (spread over chains), llc_se (standard error: the chains' spread and the
 *                    error of init_loss, which every chain shares), n_chains_ok, init_loss,
 *                    init_loss_se, acceptance_mean, flagged_chains; the sampler
 *                    used: method, nbeta, epsilon, epsilon_limit and lambda_max (NaN where not
 *                    measured), residual_scale; and the L2 norm of every tensor of the checkpoint
 *                    as trained (norm:<TransformerLens name>, e.g. norm:embed.W_E)
 *   chains.arrow     'llc/chains' v1     one row per checkpoint × target × chain: llc, mean_loss,
 *                    acceptance_mean, final_distance, flag_* (bool), nan_draw, nan_step (−1: none)
 *   traces.arrow     'llc/traces' v1     one row per checkpoint × target × chain: loss, acceptance,
 *                    distance, drift_norm, noise_norm (FixedSizeList<float32>[draws])
 * The resolved config (ε, γ, nβ, B, chains, draws, …), seed, engine and checkpoint steps are in
 * the metadata of every file.
 */
import { type ArtifactMeta, boolVector, fixedSizeListVector, numberVector, readArtifact, readFixedSizeList, readNumbers, readStrings, stringVector, tableOf, writeArtifact } from '@sortscope/core';
import { type ModelConfig, paramLayout } from '@sortscope/train';
import type { LlcEstimate } from './estimate.ts';

export const LLC_KINDS = {
  estimates: { kind: 'llc/estimates', schemaVersion: 2 },
  chains: { kind: 'llc/chains', schemaVersion: 1 },
  traces: { kind: 'llc/traces', schemaVersion: 1 },
} as const;

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
    flagged_chains: numberVector(Int32Array.from(rows, (r) => r.estimate.chains.filter((c) => Object.values(c.flags).some(Boolean)).length)),
    method: stringVector(rows.map((r) => r.estimate.sampler?.method ?? '')),
    nbeta: numberVector(Float64Array.from(rows, (r) => r.estimate.sampler?.nbeta ?? NaN)),
    epsilon: numberVector(Float64Array.from(rows, (r) => r.estimate.sampler?.epsilon ?? NaN)),
    epsilon_limit: numberVector(Float64Array.from(rows, (r) => r.estimate.sampler?.epsilon_limit ?? NaN)),
    lambda_max: numberVector(Float64Array.from(rows, (r) => r.estimate.sampler?.lambda_max ?? NaN)),
    residual_scale: numberVector(Float64Array.from(rows, (r) => r.estimate.sampler?.residual_scale ?? NaN)),
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
    nan_draw: numberVector(Int32Array.from(cr, (x) => x.c.trace.nan?.draw ?? -1)),
    nan_step: numberVector(Int32Array.from(cr, (x) => x.c.trace.nan?.step ?? -1)),
  });
  return writeArtifact(path, table, { ...base, ...LLC_KINDS.chains });
}

export function writeTraces(path: string, rows: EstimateRow[], draws: number, base: BaseMeta): string {
  const cr = chainRows(rows);
  const list = (f: (x: (typeof cr)[number]) => Float64Array) => fixedSizeListVector(Float32Array.from(cr.flatMap((x) => Array.from(f(x)))), draws);
  const table = tableOf({
    step: numberVector(Int32Array.from(cr, (x) => x.step)),
    target: stringVector(cr.map((x) => x.target)),
    chain: numberVector(Int32Array.from(cr, (x) => x.c.chain)),
    loss: list((x) => x.c.trace.loss),
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

const REGENERATE = 'npx sortscope llc --config <experiment.json> (or npx nx run-many -t analyze)';

export function readEstimates(path: string) {
  const { table, meta } = readArtifact(path, { ...LLC_KINDS.estimates, regenerate: REGENERATE });
  const col = (n: string) => readNumbers(table, n);
  const [step, mean, std, ok, init, acc, flagged] = ['step', 'llc_mean', 'llc_std', 'n_chains_ok', 'init_loss', 'acceptance_mean', 'flagged_chains'].map(col);
  const [nbeta, epsilon, epsLimit, lambdaMax, scale, initSe, se] = ['nbeta', 'epsilon', 'epsilon_limit', 'lambda_max', 'residual_scale', 'init_loss_se', 'llc_se'].map(col);
  const method = readStrings(table, 'method');
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
    norms: Object.fromEntries(normCols.map((n, k) => [n.slice('norm:'.length), normValues[k][i]])),
  }));
  return { meta, rows };
}

export function readChains(path: string) {
  const { table, meta } = readArtifact(path, { ...LLC_KINDS.chains, regenerate: REGENERATE });
  const num = (n: string) => readNumbers(table, n);
  const [step, chain, llc, meanLoss, init, acc, dist, nanDraw, nanStep] = ['step', 'chain', 'llc', 'mean_loss', 'init_loss', 'acceptance_mean', 'final_distance', 'nan_draw', 'nan_step'].map(num);
  const flagNames = ['negative', 'not_flat', 'left_basin', 'acceptance_low', 'acceptance_high', 'nan'] as const;
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
  const draws = (meta.config as { draws: number }).draws;
  const list = (n: string) => readFixedSizeList(table, n, draws, Float32Array);
  const [loss, acceptance, distance, drift, noise] = ['loss', 'acceptance', 'distance', 'drift_norm', 'noise_norm'].map(list);
  const step = readNumbers(table, 'step');
  const chain = readNumbers(table, 'chain');
  const rows = readStrings(table, 'target').map((target, i) => {
    const at = (a: Float32Array) => a.subarray(i * draws, (i + 1) * draws);
    return { step: step[i], target, chain: chain[i], loss: at(loss), acceptance: at(acceptance), distance: at(distance), drift_norm: at(drift), noise_norm: at(noise) };
  });
  return { meta, draws, rows };
}
