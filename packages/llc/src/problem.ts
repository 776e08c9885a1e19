/**
 * The transformer as an SGLD problem: the engine's mean minibatch loss and gradient, and the
 * minibatch streams over the training set (reshuffled each epoch, remainder batches skipped so
 * every minibatch has exactly B rows). Stream labels (docs/science.md §4, core/rng.ts):
 *   chain c's data   Rng.derive(seed, 'llc', target, c, 'data', epoch)
 *   chain c's noise  Rng.derive(seed, 'llc', target, c, 'noise')
 *   init_loss        Rng.derive(seed, 'llc', 'init', epoch)
 *   curvature batch  Rng.derive(seed, 'llc', 'curvature-batch')
 * The same at every checkpoint (common random numbers), so curves over training are smoother.
 */
import { Rng } from '@sortscope/core';
import type { Batch, Engine } from '@sortscope/engine';
import type { SgldProblem } from './chain.ts';
import type { StepArgs, StepOutcome } from './chain-step.ts';
import type { Streams } from './estimate.ts';

export function engineProblem(engine: Engine): SgldProblem<Batch> {
  const whole = engine.sgldStep?.bind(engine);
  return {
    size: engine.layout.size,
    lossAndGrad: (w, batch) => engine.lossAndGrad(w, batch),
    // the loss, gradient and SGLD step in one engine call (the fused engine), bit for bit referenceStep
    ...(whole
      ? {
          step(w: Float32Array, batch: Batch, a: StepArgs, tilt: Float32Array | null = null): StepOutcome {
            const { sgld } = a;
            const r = whole(w, batch, {
              w0: a.w0,
              tilt,
              indices: a.indices,
              precondition: a.pre,
              nbeta: sgld.nbeta,
              gamma: sgld.gamma,
              weightDecay: sgld.weight_decay,
              epsilon: sgld.epsilon,
              noiseLevel: sgld.noise_level,
              noise: a.noise,
              stream: sgld.noise_stream ?? 'box-muller',
              keep: a.keepBefore ? { g: a.buf.g, before: a.buf.before } : null,
            });
            return { loss: tilt ? r.loss - r.slope : r.loss, dist2: r.dist2, wd2: r.wd2, driftNorm: r.driftNorm, noiseNorm: r.noiseNorm };
          },
        }
      : {}),
    loss(w, batch) {
      const { nll } = engine.evaluate(w, batch);
      let s = 0;
      for (const x of nll) s += x;
      return s / nll.length;
    },
  };
}

/** A minibatch that knows its training rows (row r of the batch is training row index[r]). */
export type RowBatch = Batch & { index: Uint32Array };

/**
 * L_B(w0) of a minibatch from the per-token losses at w0 of the whole training set (`nll`,
 * [rows, n] from the whole-set pass, engine.evaluate): the batch's values summed in float64 in the
 * batch's row order, as engineProblem.loss sums evaluate's output on the batch itself, so the
 * control variate needs no forward pass per draw and gives the same bits (problem.test.ts).
 */
export function rowBaseline(nll: Float32Array, n: number): (batch: unknown) => number {
  return (batch) => {
    const { index, rows } = batch as RowBatch;
    if (!index || index.length !== rows) throw new RangeError('rowBaseline: the batch does not carry its training rows');
    let s = 0;
    for (let r = 0; r < rows; r++) for (let t = index[r] * n, end = t + n; t < end; t++) s += nll[t];
    return s / (rows * n);
  };
}

/**
 * Minibatches of `batchSize` rows, the rows reshuffled each epoch; `skip` batches already drawn
 * (a continued chain picks up where its stream stopped).
 */
export function tokenStream(tokens: Uint8Array, rows: number, nCtx: number, batchSize: number, rngFor: (epoch: number) => Rng, skip = 0): () => RowBatch {
  if (batchSize > rows) throw new RangeError(`SGLD batch size ${batchSize} exceeds the ${rows} training rows`);
  const perEpoch = Math.floor(rows / batchSize);
  let epoch = Math.floor(skip / perEpoch);
  let order = rngFor(epoch).permutation(rows);
  let pos = (skip % perEpoch) * batchSize;
  return () => {
    if (pos + batchSize > rows) {
      order = rngFor(++epoch).permutation(rows);
      pos = 0;
    }
    const out = new Uint8Array(batchSize * nCtx);
    const index = order.slice(pos, pos + batchSize);
    for (let i = 0; i < batchSize; i++) {
      const r = index[i];
      out.set(tokens.subarray(r * nCtx, (r + 1) * nCtx), i * nCtx);
    }
    pos += batchSize;
    return { tokens: out, rows: batchSize, index };
  };
}

export function tokenStreams(tokens: Uint8Array, rows: number, nCtx: number, batchSize: number, seed: number, target: string): Streams<Batch> {
  return {
    batches: (c, skip = 0) => tokenStream(tokens, rows, nCtx, batchSize, (e) => Rng.derive(seed, 'llc', target, c, 'data', e), skip),
    noise: (c) => Rng.derive(seed, 'llc', target, c, 'noise'),
    init: () => tokenStream(tokens, rows, nCtx, batchSize, (e) => Rng.derive(seed, 'llc', 'init', e)),
  };
}

/** Rows per job of the pass over the whole training set (full.ts): a fixed partition, so sums do not depend on the workers. */
export const FULL_PASS_ROWS = 4096;

/** The training rows [start, start + n) as one batch. */
export function rowRange(tokens: Uint8Array, nCtx: number, start: number, n: number): Batch {
  return { tokens: tokens.subarray(start * nCtx, (start + n) * nCtx), rows: n };
}

/** the fixed batch curvature is measured on: `rows` training sequences chosen by the seed */
export function curvatureBatch(tokens: Uint8Array, total: number, nCtx: number, rows: number, seed: number): Batch {
  const n = Math.min(rows, total);
  const pick = Rng.derive(seed, 'llc', 'curvature-batch').permutation(total).subarray(0, n);
  const out = new Uint8Array(n * nCtx);
  pick.forEach((r, i) => out.set(tokens.subarray(r * nCtx, (r + 1) * nCtx), i * nCtx));
  return { tokens: out, rows: n };
}
