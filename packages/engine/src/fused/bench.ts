/**
 * ms per step of every engine in one process, on the baseline model (ARENA's: 1 layer, 2 heads,
 * d_model 96, d_head 48, d_vocab 52, lists of 10 → 20 fed tokens, loss on 10):
 *
 *   npx tsx packages/engine/src/fused/bench.ts [--batches 64,512] [--reps 15] [--weights init|arena] [--engines …]
 *
 * or runBench(opts) from code (importing this module runs nothing).
 *
 * Measured per batch size, engines and kinds interleaved rep by rep (so that load from other
 * processes hits all alike); each timed step follows an untimed one of the same engine and
 * kind, as in a training loop (else every step would start with caches full of the other
 * engines' data); medians after warm-up:
 *   train   lossAndGrad + Adam (../optimizer.ts) on the engine's own copy of the weights
 *   sgld    one SGLD step with Box–Muller noise: on the fused engine its sgldStep (gradient, noise
 *           and update in one call, as the llc stage runs it; the tilt included), elsewhere
 *           lossAndGrad + the llc stage's update in JavaScript (see SgldStepFn)
 *   sgld-zig the same with the ziggurat noise stream (llc `noise_stream: ziggurat`, the default)
 *   sgld×4  four chains' SGLD steps, per chain: one lossAndGradMany call on the fused engine
 *   grad    lossAndGrad alone
 *   forward evaluate (per-token loss and correctness at the scored positions)
 * and the ratio of each engine's time to the best engine's, and tfjs-wasm's time to each.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Rng, zigguratNormals } from '@sortscope/core';
import type { Batch, Engine, SgldStepArgs } from '../engine.ts';
import { initParams, loadWeights, paramLayout } from '@sortscope/model';
import { type AdamConfig, adamState, adamStep } from '../optimizer.ts';
import { ARENA_DIR, ARENA_WEIGHTS } from '@sortscope/model/testing';
import { TfjsEngine } from '../tfjs/engine.ts';
import { BASELINE, benchBatch } from './bench-batch.ts';
import { FusedEngine } from './engine.ts';

const ADAM: AdamConfig = { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };
const KINDS = ['train', 'sgld', 'sgld-zig', 'sgld×4', 'grad', 'forward'] as const;
type Kind = (typeof KINDS)[number];

export interface BenchOptions {
  /** batch sizes [64, 512] */
  batches?: number[];
  /** timed reps per measurement (at least 10) [15] */
  reps?: number;
  /** 'init' (TransformerLens init, seed 0) or 'arena' (the fixture's trained weights) ['init'] */
  weights?: 'init' | 'arena';
  /** engines: 'fused-wasm×T' (T threads) and 'tfjs-wasm' */
  engines?: string[];
  /** the SGLD update after each gradient (see SgldStepFn) [this file's sgldUpdate('box-muller')] */
  sgldStep?: SgldStepFn;
  /** the same with the ziggurat noise stream [this file's sgldUpdate('ziggurat')] */
  sgldZigStep?: SgldStepFn;
  /** where the table goes [console.log] */
  print?: (line: string) => void;
}

/**
 * One SGLD update after a gradient, in place: (w, w0, grad, rng) → w. `sortscope bench` passes the
 * llc stage's own step (packages/llc/src/chain-step.ts: drift, the potential's norms and the step
 * in one pass, Box–Muller noise from Rng.normals); run standalone, this file uses `sgldUpdate`
 * below, which does the same work.
 */
export type SgldStepFn = (w: Float32Array, w0: Float32Array, grad: Float32Array, rng: Rng) => void;

/** ε, γ, nβ of a typical calibration (devinterp semantics; packages/llc/src/sgld.ts) */
export const BENCH_SGLD = { epsilon: 1e-5, gamma: 1e4, nbeta: 100, weight_decay: 0, noise_level: 1 };

function sgldUpdate(stream: 'box-muller' | 'ziggurat'): SgldStepFn {
  let xi = new Float64Array(0);
  return (w, w0, grad, rng) => {
    if (xi.length !== w.length) xi = new Float64Array(w.length);
    const { epsilon: eps, gamma, nbeta } = BENCH_SGLD;
    if (stream === 'ziggurat') zigguratNormals(rng, xi);
    else rng.normals(xi);
    const scale = Math.sqrt(eps);
    for (let i = 0; i < w.length; i++) w[i] = w[i] - (eps / 2) * (nbeta * grad[i] + gamma * (w[i] - w0[i])) + scale * xi[i];
  };
}

interface Runner {
  label: string;
  engine: Engine;
  step(kind: Kind, batch: Batch): void;
}

function runner(label: string, engine: Engine, w0: Float32Array, sgld: SgldStepFn, sgldZig: SgldStepFn): Runner {
  const w = w0.slice();
  const adam = adamState(w.length);
  const chains = Array.from({ length: 4 }, () => w0.slice());
  const rng = Rng.derive(1, 'bench-sgld');
  const tilt = new Float32Array(w0.length); // the llc stage's canonical chains are tilted: the same work
  const whole = (stream: SgldStepArgs['stream']): SgldStepArgs => {
    const { epsilon, gamma, nbeta, weight_decay: weightDecay, noise_level: noiseLevel } = BENCH_SGLD;
    return { w0, tilt, indices: null, precondition: null, nbeta, gamma, weightDecay, epsilon, noiseLevel, noise: rng, stream, keep: null };
  };
  if (engine.sgldStep) {
    const [a, b] = [whole('box-muller'), whole('ziggurat')];
    const step = engine.sgldStep.bind(engine);
    return {
      label,
      engine,
      step(kind, batch) {
        if (kind === 'sgld') step(chains[0], batch, a);
        else if (kind === 'sgld-zig') step(chains[1], batch, b);
        else plainStep(kind, batch);
      },
    };
  }
  return { label, engine, step: plainStep };
  function plainStep(kind: Kind, batch: Batch): void {
    if (kind === 'grad') engine.lossAndGrad(w, batch);
    else if (kind === 'forward') engine.evaluate(w, batch);
    else if (kind === 'train') adamStep(ADAM, w, engine.lossAndGrad(w, batch).grad, adam, 1e-3);
    else if (kind === 'sgld') sgld(chains[0], w0, engine.lossAndGrad(chains[0], batch).grad, rng);
    else if (kind === 'sgld-zig') sgldZig(chains[1], w0, engine.lossAndGrad(chains[1], batch).grad, rng);
    else {
      const batches = chains.map(() => batch);
      const out = engine instanceof FusedEngine ? engine.lossAndGradMany(chains, batches) : chains.map((c, i) => engine.lossAndGrad(c, batches[i]));
      out.forEach((o, i) => sgld(chains[i], w0, o.grad, rng));
    }
  }
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** medians in ms per step: [batch size][engine label][kind] */
export type BenchResult = Record<string, Record<string, Record<string, number>>>;

/** Measure and print the markdown tables (see the top of this file); returns the medians. */
export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const batches = opts.batches ?? [64, 512];
  const reps = Math.max(10, opts.reps ?? 15);
  const weights = opts.weights ?? 'init';
  const names = opts.engines ?? ['fused-wasm×2', 'fused-wasm×1', 'tfjs-wasm'];
  const log = opts.print ?? ((line: string) => console.log(line));
  const w0 = weights === 'arena' && ARENA_DIR ? loadWeights(ARENA_WEIGHTS).params : initParams(BASELINE, paramLayout(BASELINE), 0);
  const sgld = opts.sgldStep ?? sgldUpdate('box-muller');
  const sgldZig = opts.sgldZigStep ?? sgldUpdate('ziggurat');
  const runners: Runner[] = [];
  for (const name of names) {
    if (name === 'tfjs-wasm') runners.push(runner(name, await TfjsEngine.create(BASELINE, { backend: 'wasm' }), w0, sgld, sgldZig));
    else runners.push(runner(name, await FusedEngine.create(BASELINE, { threads: Number(name.split('×')[1] ?? 2) }), w0, sgld, sgldZig));
  }
  log(`sortscope fused-engine bench: baseline model (${paramLayout(BASELINE).size} parameters), ${weights === 'arena' ? 'ARENA trained' : 'initial'} weights`);
  log(`${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (before)`);
  log(`median ms per step over ${reps} reps after warm-up; ×best = time / best engine's; tfjs/ = tfjs-wasm's time / this engine's\n`);
  // V8 first runs wasm from its baseline compiler and swaps in optimised code as functions get
  // hot (in each thread): warm every engine up before timing anything
  for (const r of runners) for (const rows of batches) for (let i = 0; i < (r.label === 'tfjs-wasm' ? 2 : 20); i++) r.step(i % 2 ? 'grad' : 'forward', benchBatch(rows));
  const result: BenchResult = {};
  for (const rows of batches) {
    const batch = benchBatch(rows);
    const times = KINDS.map(() => runners.map(() => [] as number[])); // [kind][engine][rep]
    for (const kind of KINDS) for (const r of runners) for (let i = 0; i < (r.label === 'tfjs-wasm' ? 2 : 5); i++) r.step(kind, batch); // warm-up
    for (let i = 0; i < reps; i++)
      KINDS.forEach((kind, q) =>
        runners.forEach((r, k) => {
          r.step(kind, batch);
          const t = performance.now();
          r.step(kind, batch);
          times[q][k].push((performance.now() - t) / (kind === 'sgld×4' ? 4 : 1));
        }),
      );
    log(`| batch ${rows} | ${runners.map((r) => `${r.label} ms | ×best | tfjs/`).join(' | ')} |`);
    log(`|---|${runners.map(() => '---:|---:|---:').join('|')}|`);
    KINDS.forEach((kind, q) => {
      const med = times[q].map(median);
      runners.forEach((r, k) => (((result[rows] ??= {})[r.label] ??= {})[kind] = med[k]));
      const best = Math.min(...med);
      const tfjs = med[runners.findIndex((r) => r.label === 'tfjs-wasm')];
      log(`| ${kind} | ${med.map((m) => `${m.toFixed(2)} | ${(m / best).toFixed(2)} | ${tfjs ? (tfjs / m).toFixed(1) + '×' : '–'}`).join(' | ')} |`);
    });
    log('');
  }
  log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (after)`);
  for (const r of runners) r.engine.dispose();
  return result;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBench({
    batches: flag('batches')?.split(',').map(Number),
    reps: flag('reps') ? Number(flag('reps')) : undefined,
    weights: flag('weights') === 'arena' ? 'arena' : 'init',
    engines: flag('engines')?.split(','),
  });
}
