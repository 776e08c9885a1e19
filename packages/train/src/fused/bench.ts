/**
 * ms per step of every engine in one process, on the baseline model (ARENA's: 1 layer, 2 heads,
 * d_model 96, d_head 48, d_vocab 52, lists of 10 → 20 fed tokens, loss on 10):
 *
 *   npx tsx packages/train/src/fused/bench.ts [--batches 64,512] [--reps 15] [--weights init|arena] [--engines …]
 *
 * or runBench(opts) from code (importing this module runs nothing).
 *
 * Measured per batch size, engines and kinds interleaved rep by rep (so that load from other
 * processes hits all alike); each timed step follows an untimed one of the same engine and
 * kind, as in a training loop (else every step would start with caches full of the other
 * engines' data); medians after warm-up:
 *   train   lossAndGrad + Adam (../optimizer.ts) on the engine's own copy of the weights
 *   sgld    lossAndGrad + one SGLD update with Gaussian noise (as packages/llc/src/sgld.ts)
 *   sgld×4  four chains' SGLD steps, per chain: one lossAndGradMany call on the fused engine
 *   grad    lossAndGrad alone
 *   forward evaluate (per-token loss and correctness at the scored positions)
 * and the ratio of each engine's time to the best engine's, and tfjs-wasm's time to each.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Rng } from '@sortscope/core';
import type { Batch, Engine } from '../engine.ts';
import { initParams } from '../init.ts';
import { paramLayout } from '../layout.ts';
import type { ModelConfig } from '../model-config.ts';
import { type AdamConfig, adamState, adamStep } from '../optimizer.ts';
import { ARENA_DIR, ARENA_WEIGHTS } from '../testing.ts';
import { TfjsEngine } from '../tfjs/engine.ts';
import { loadWeights } from '../weights.ts';
import { FusedEngine } from './engine.ts';

const BASELINE: ModelConfig = { n_layers: 1, n_heads: 2, d_model: 96, d_head: 48, layer_norm: true, ln_eps: 1e-5, d_vocab: 52, n_ctx: 21, list_length: 10 };
const ADAM: AdamConfig = { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };
const KINDS = ['train', 'sgld', 'sgld×4', 'grad', 'forward'] as const;
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
  /** where the table goes [console.log] */
  print?: (line: string) => void;
}

/** rows of ARENA-like sequences: 10 distinct numbers of 0 … 49, SEP (51), the sorted numbers */
function batchOf(rows: number, seed: number): Batch {
  const rng = Rng.derive(seed, 'bench-batch');
  const tokens = new Uint8Array(rows * 21);
  for (let r = 0; r < rows; r++) {
    const nums = Array.from(rng.permutation(50).subarray(0, 10));
    tokens.set([...nums, 51, ...nums.sort((a, b) => a - b)], r * 21);
  }
  return { tokens, rows };
}

/** one SGLD update in place (devinterp semantics; ε, γ, nβ of a typical calibration) */
function sgldUpdate(w: Float32Array, w0: Float32Array, grad: Float32Array, rng: Rng, noise: Float32Array): void {
  const eps = 1e-5, gamma = 1e4, nbeta = 100;
  rng.fillNormal(noise, Math.sqrt(eps));
  for (let i = 0; i < w.length; i++) w[i] += -(eps / 2) * (nbeta * grad[i] + gamma * (w[i] - w0[i])) + noise[i];
}

interface Runner {
  label: string;
  engine: Engine;
  step(kind: Kind, batch: Batch): void;
}

function runner(label: string, engine: Engine, w0: Float32Array): Runner {
  const w = w0.slice();
  const adam = adamState(w.length);
  const chains = Array.from({ length: 4 }, () => w0.slice());
  const rng = Rng.derive(1, 'bench-sgld');
  const noise = new Float32Array(w.length);
  return {
    label,
    engine,
    step(kind, batch) {
      if (kind === 'grad') engine.lossAndGrad(w, batch);
      else if (kind === 'forward') engine.evaluate(w, batch);
      else if (kind === 'train') adamStep(ADAM, w, engine.lossAndGrad(w, batch).grad, adam, 1e-3);
      else if (kind === 'sgld') sgldUpdate(chains[0], w0, engine.lossAndGrad(chains[0], batch).grad, rng, noise);
      else {
        const batches = chains.map(() => batch);
        const out = engine instanceof FusedEngine ? engine.lossAndGradMany(chains, batches) : chains.map((c, i) => engine.lossAndGrad(c, batches[i]));
        out.forEach((o, i) => sgldUpdate(chains[i], w0, o.grad, rng, noise));
      }
    },
  };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Measure and print the markdown tables (see the top of this file). */
export async function runBench(opts: BenchOptions = {}): Promise<void> {
  const batches = opts.batches ?? [64, 512];
  const reps = Math.max(10, opts.reps ?? 15);
  const weights = opts.weights ?? 'init';
  const names = opts.engines ?? ['fused-wasm×2', 'fused-wasm×1', 'tfjs-wasm'];
  const log = opts.print ?? ((line: string) => console.log(line));
  const w0 = weights === 'arena' && ARENA_DIR ? loadWeights(ARENA_WEIGHTS).params : initParams(BASELINE, paramLayout(BASELINE), 0);
  const runners: Runner[] = [];
  for (const name of names) {
    if (name === 'tfjs-wasm') runners.push(runner(name, await TfjsEngine.create(BASELINE, { backend: 'wasm' }), w0));
    else runners.push(runner(name, await FusedEngine.create(BASELINE, { threads: Number(name.split('×')[1] ?? 2) }), w0));
  }
  log(`sortscope fused-engine bench: baseline model (${paramLayout(BASELINE).size} parameters), ${weights === 'arena' ? 'ARENA trained' : 'initial'} weights`);
  log(`${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (before)`);
  log(`median ms per step over ${reps} reps after warm-up; ×best = time / best engine's; tfjs/ = tfjs-wasm's time / this engine's\n`);
  // V8 first runs wasm from its baseline compiler and swaps in optimised code as functions get
  // hot (in each thread): warm every engine up before timing anything
  for (const r of runners) for (const rows of batches) for (let i = 0; i < (r.label === 'tfjs-wasm' ? 2 : 20); i++) r.step(i % 2 ? 'grad' : 'forward', batchOf(rows, rows));
  for (const rows of batches) {
    const batch = batchOf(rows, rows);
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
      const best = Math.min(...med);
      const tfjs = med[runners.findIndex((r) => r.label === 'tfjs-wasm')];
      log(`| ${kind} | ${med.map((m) => `${m.toFixed(2)} | ${(m / best).toFixed(2)} | ${tfjs ? (tfjs / m).toFixed(1) + '×' : '–'}`).join(' | ')} |`);
    });
    log('');
  }
  log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (after)`);
  for (const r of runners) r.engine.dispose();
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
